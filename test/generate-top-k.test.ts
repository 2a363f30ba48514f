import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topK } from '../src/generate/warpers.js';
import { Random } from '../src/util/random.js';

/** Top-k restated with a full sort: every score below the k-th highest (repeats counted) goes. */
function sortedTopK(values: Float32Array, k: number): Float32Array {
  const threshold = values.slice().sort()[values.length - k]!;
  return values.map((v) => (v < threshold ? -Infinity : v));
}

test('top-k with a large k over a 50257 vocabulary equals the full sort: ties, -Infinity runs and NaN', () => {
  const random = new Random(17);
  const rows: Float32Array[] = [];
  for (let trial = 0; trial < 4; trial++) {
    rows.push(Float32Array.from({ length: 50257 }, () => {
      const u = random.uniform();
      if (u < 0.3 * trial / 3) return -Infinity; // up to 30% banned
      return Math.round((random.uniform() - 0.5) * 200) / 8; // few distinct values: many ties
    }));
  }
  const ascending = Float32Array.from({ length: 50257 }, (_, i) => i / 7);
  rows.push(ascending, ascending.slice().reverse(), new Float32Array(50257).fill(-Infinity).fill(2, 100, 400));
  const withNaN = rows[0]!.slice();
  withNaN[123] = NaN;
  rows.push(withNaN);
  for (const [r, values] of rows.entries()) {
    for (const k of [257, 300, 1000, 20000, 50256]) {
      const actual = values.slice();
      topK(k)(actual, { ids: [], newTokens: 0 });
      assert.deepEqual(actual, sortedTopK(values, k), `row ${r} k ${k}`);
    }
  }
});
