import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { badWords, minNewTokens, noRepeatNgram, repetitionPenalty } from '../src/generate/processors.js';
import { temperature, topK, topP } from '../src/generate/warpers.js';
import { exp64, log64 } from '../src/generate/math.js';
import { topIndices } from '../src/generate/select.js';
import { argmax, logSoftmax, sampleToken } from '../src/generate/sample.js';
import { Random } from '../src/util/random.js';
import { applyChain, buildChain } from '../src/generate/chain.js';
import { resolveOptions } from '../src/generate/options.js';

const NEG = -Infinity;
const row = (ids: number[], newTokens = 0) => ({ ids, newTokens });
const scores = (values: number[]) => Float32Array.from(values);
const NO_ROW = row([]); // the warpers do not look at the row

test('repetition penalty divides positive and multiplies negative scores once per distinct token, prompt included', () => {
  const s = scores([2, -2, 0.5, 1, NEG, 3]);
  repetitionPenalty(2, 6)(s, row([0, 1, 1, 4, 1], 2));
  assert.deepEqual([...s], [1, -4, 0.5, 1, NEG, 3]);
  // A second call penalizes afresh (no state leaks between calls).
  repetitionPenalty(1.5, 6)(s, row([0]));
  assert.equal(s[0], Math.fround(1 / 1.5));
});

test('repetition penalty below 1 rewards repeats the HF way', () => {
  const s = scores([2, -2]);
  repetitionPenalty(0.5, 2)(s, row([0, 1]));
  assert.deepEqual([...s], [4, -1]);
});

test('no-repeat-ngram bans tokens that would complete an existing n-gram', () => {
  const s = scores([0, 0, 0, 0, 0, 0]);
  noRepeatNgram(2)(s, row([3, 1, 4, 1]));
  assert.deepEqual([...s], [0, 0, 0, 0, NEG, 0]);
  const t = scores([0, 0, 0, 0, 0, 0]);
  noRepeatNgram(1)(t, row([5, 2]));
  assert.deepEqual([...t], [0, 0, NEG, 0, 0, NEG]);
});

test('no-repeat-ngram sees n-grams across the prompt boundary', () => {
  // prompt [5, 6, 7], generated [5, 6]: the trigram (5, 6, 7) spans both and bans 7.
  const s = scores(new Array(8).fill(1));
  noRepeatNgram(3)(s, row([5, 6, 7, 5, 6], 2));
  assert.deepEqual([...s], [1, 1, 1, 1, 1, 1, 1, NEG]);
});

test('no-repeat-ngram does nothing while the row is shorter than n - 1', () => {
  const s = scores([1, 1, 1]);
  noRepeatNgram(4)(s, row([1, 1]));
  assert.deepEqual([...s], [1, 1, 1]);
});

test('bad words: single tokens always, longer entries after their prefix, EOS entry dropped as HF does', () => {
  const ban = badWords([[2], [0, 3], [1, 2, 3], [4]], [4]);
  const s = scores([1, 1, 1, 1, 1]);
  ban(s, row([7, 1, 2]));
  assert.deepEqual([...s], [1, 1, NEG, NEG, 1]);
  const t = scores([1, 1, 1, 1, 1]);
  ban(t, row([0]));
  assert.deepEqual([...t], [1, 1, NEG, NEG, 1]);
  const u = scores([1, 1, 1, 1, 1]);
  ban(u, row([2]));
  assert.deepEqual([...u], [1, 1, NEG, 1, 1]);
});

test('min new tokens bans every EOS id until reached', () => {
  const ban = minNewTokens(2, [1, 3]);
  const s = scores([1, 1, 1, 1]);
  ban(s, row([0, 0], 1));
  assert.deepEqual([...s], [1, NEG, 1, NEG]);
  const t = scores([1, 1, 1, 1]);
  ban(t, row([0, 0, 0], 2));
  assert.deepEqual([...t], [1, 1, 1, 1]);
});

test('temperature divides every score', () => {
  const s = scores([1, -2, NEG, 0.3]);
  temperature(0.5)(s, NO_ROW);
  assert.deepEqual([...s], [2, -4, NEG, Math.fround(Math.fround(0.3) / 0.5)]);
});

test('top-k keeps every score equal to the k-th highest (ties), handles -Infinity and k >= V', () => {
  const s = scores([1, 3, 3, 2, NEG]);
  topK(2)(s, NO_ROW);
  assert.deepEqual([...s], [NEG, 3, 3, NEG, NEG]);
  const t = scores([1, 3, 3, 2, NEG]);
  topK(3)(t, NO_ROW);
  assert.deepEqual([...t], [NEG, 3, 3, 2, NEG]);
  const ties = scores([1, 2, 2, 2]);
  topK(2)(ties, NO_ROW);
  assert.deepEqual([...ties], [NEG, 2, 2, 2]);
  const few = scores([5, NEG, NEG]);
  topK(2)(few, NO_ROW);
  assert.deepEqual([...few], [5, NEG, NEG]);
  const all = scores([1, 2, 3]);
  topK(10)(all, NO_ROW);
  assert.deepEqual([...all], [1, 2, 3]);
});

test('top-p keeps the smallest top set reaching p; ties resolved as a stable ascending sort does', () => {
  // Four equal probabilities (0.25): HF's ascending cumsum is [.25, .5, .75, 1]; entries <= 1 - p go.
  const half = scores([0, 0, 0, 0]);
  topP(0.5)(half, NO_ROW);
  assert.deepEqual([...half], [NEG, NEG, 0, 0]);
  const more = scores([0, 0, 0, 0]);
  topP(0.6)(more, NO_ROW);
  assert.deepEqual([...more], [NEG, 0, 0, 0]);
  // probabilities 0.1, 0.2, 0.3, 0.4 (approximately): p = 0.45 keeps 0.4 and 0.3; p = 0.35 keeps 0.4.
  const logits = [0.1, 0.2, 0.3, 0.4].map(Math.log);
  const a = scores(logits);
  topP(0.45)(a, NO_ROW);
  assert.deepEqual([...a].map((v) => v !== NEG), [false, false, true, true]);
  const b = scores(logits);
  topP(0.35)(b, NO_ROW);
  assert.deepEqual([...b].map((v) => v !== NEG), [false, false, false, true]);
  // topP = 1 keeps everything, as HF (which leaves the warper out).
  const random = new Random(2);
  const wide = Float32Array.from({ length: 5000 }, () => random.normal() * 20);
  const whole = wide.slice();
  topP(1)(whole, NO_ROW);
  assert.deepEqual(whole, wide);
  // The top token always survives, even when it alone exceeds p.
  const c = scores([10, 0, NEG]);
  topP(0.01)(c, NO_ROW);
  assert.deepEqual([...c], [10, NEG, NEG]);
});

/** Full-sort top-p in the HF formulation (ascending order, cumulative mass), for comparison. */
function topPFullSort(values: Float32Array, p: number): boolean[] {
  const order = [...values.keys()].sort((a, b) => (values[a]! - values[b]!) || (a - b));
  const max = Math.max(...values);
  let total = 0;
  for (const v of values) if (v !== NEG) total += exp64(v - max);
  const keep = new Array<boolean>(values.length).fill(false);
  let above = 0; // mass ranked above, walking from the top of the ascending order
  for (let r = order.length - 1; r >= 0; r--) {
    const i = order[r]!;
    keep[i] = above < p * total;
    above += values[i] === NEG ? 0 : exp64(values[i]! - max);
  }
  return keep;
}

test('the chain holds the processors the options ask for, in HF order, and nothing at neutral values', () => {
  const V = 10;
  assert.equal(buildChain(resolveOptions({ doSample: true, topK: 0, topP: 1, temperature: 1 }, V), V).length, 0);
  assert.equal(buildChain(resolveOptions({ doSample: true }, V), V).length, 1, 'top-k 50 by default when sampling');
  assert.equal(buildChain(resolveOptions({}, V), V).length, 0, 'greedy has no warpers');
  // Order: repetition penalty before the n-gram ban (a banned token stays -Infinity), min new tokens
  // before temperature, top-k before top-p.
  const chain = buildChain(resolveOptions({
    doSample: true, repetitionPenalty: 2, noRepeatNgramSize: 2, badWordsIds: [[9]], minNewTokens: 1, eosTokenId: 8,
    temperature: 0.5, topK: 4, topP: 0.5,
  }, V), V);
  assert.equal(chain.length, 7);
  const s = scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  applyChain(chain, s, row([1, 2, 1], 0));
  // rep penalty: 1 -> 1, 2 -> 1.5; n-gram (1, 2) bans 2; bad word bans 9; EOS 8 banned; /0.5:
  // [2, 2, -inf, 8, 10, 12, 14, 16, -inf, -inf]; top-4 keeps 10..16 (indices 4..7 -> 10, 12, 14, 16);
  // top-p 0.5 keeps 16 (p ~ 0.87) alone.
  assert.deepEqual([...s].map((v) => v !== NEG), [false, false, false, false, false, false, false, true, false, false]);
});

test('top-p over a 50257 vocabulary equals the full sort, ties and -Infinity included', () => {
  const random = new Random(11);
  for (let trial = 0; trial < 6; trial++) {
    const values = new Float32Array(50257);
    for (let i = 0; i < values.length; i++) {
      // Quantized so that many scores tie; some tokens banned.
      values[i] = random.uniform() < 0.05 ? NEG : Math.round(random.normal() * 4 * (1 + trial)) / 2;
    }
    for (const p of [0.05, 0.5, 0.9, 0.999]) {
      const s = values.slice();
      topP(p)(s, NO_ROW);
      const expected = topPFullSort(values, p);
      for (let i = 0; i < s.length; i++) {
        assert.equal(s[i] !== NEG, expected[i]! && values[i] !== NEG, `trial ${trial} p ${p} token ${i}`);
        if (expected[i]) assert.equal(s[i], values[i]);
      }
    }
  }
});

test('top-k over a large vocabulary equals the full-sort threshold', () => {
  const random = new Random(5);
  const values = Float32Array.from({ length: 50257 }, () => Math.round(random.normal() * 8) / 4);
  for (const k of [1, 5, 50, 1000]) {
    const s = values.slice();
    topK(k)(s, NO_ROW);
    const threshold = [...values].sort((a, b) => b - a)[k - 1]!;
    for (let i = 0; i < s.length; i++) assert.equal(s[i], values[i]! >= threshold ? values[i] : NEG);
  }
});

test('partial selection equals the first m entries of a full sort, lower index first among ties', () => {
  const random = new Random(3);
  const values = Float64Array.from({ length: 997 }, () => random.int(20));
  values[5] = NEG;
  const full = [...values.keys()].sort((a, b) => (values[b]! - values[a]!) || (a - b));
  for (const m of [0, 1, 7, 64, 997, 2000]) {
    assert.deepEqual([...topIndices(values, m)], full.slice(0, m));
  }
});

test('exp64 and log64 agree with Math.exp/Math.log to 2e-16 relative', () => {
  const random = new Random(1);
  for (let i = 0; i < 20000; i++) {
    const x = -random.uniform() * (i % 2 ? 700 : 30);
    const e = Math.exp(x);
    assert.ok(Math.abs(exp64(x) - e) <= 2.3e-16 * e, `exp(${x})`);
    const y = random.uniform() * 10 ** random.int(20) + 1e-300;
    const l = Math.log(y);
    assert.ok(Math.abs(log64(y) - l) <= 2.3e-16 * Math.max(1, Math.abs(l)), `log(${y})`);
  }
  assert.equal(exp64(0), 1);
  assert.equal(exp64(-Infinity), 0);
  assert.equal(log64(1), 0);
  assert.equal(log64(0), -Infinity);
  assert.ok(exp64(-740) > 0);
});

test('argmax takes the first maximum; sampling follows the probabilities and the seed', () => {
  assert.equal(argmax(scores([1, 3, 3, NEG]), 0), 1);
  const probs = [0.1, 0.2, 0.7, 0];
  const logits = scores(probs.map(Math.log));
  const counts = [0, 0, 0, 0];
  const random = new Random(42);
  for (let i = 0; i < 20000; i++) counts[sampleToken(logits, random, 0)]!++;
  probs.forEach((p, i) => assert.ok(Math.abs(counts[i]! / 20000 - p) < 0.015, `token ${i}: ${counts[i]}`));
  assert.equal(counts[3], 0);
  const draw = (seed: number) => {
    const r = new Random(seed);
    return Array.from({ length: 50 }, () => sampleToken(logits, r, 0));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('a row with every token banned is a clear error', () => {
  assert.throws(() => argmax(scores([NEG, NEG]), 3), /every token of row 3 has score -Infinity/);
  assert.throws(() => sampleToken(scores([NEG, NEG]), new Random(1), 0), /every token of row 0/);
});

test('log-softmax sums to one in probability and keeps -Infinity', () => {
  const s = scores([1, 2, 3, NEG]);
  logSoftmax(s, 0);
  const z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assert.ok(Math.abs(s[2]! - (3 - z)) < 1e-6);
  assert.equal(s[3], NEG);
  assert.ok(Math.abs([...s].reduce((a, v) => a + Math.exp(v), 0) - 1) < 1e-6);
});

interface ReferenceRow {
  settings: { temperature?: number; topK?: number; topP?: number; repetitionPenalty?: number; noRepeatNgramSize?: number };
  logits: (number | null)[];
  expected: (number | null)[];
  ids?: number[];
}

const reference = JSON.parse(readFileSync(new URL('../../scripts/fixtures/generate_reference.json', import.meta.url), 'utf8')) as {
  warpers: ReferenceRow[];
  penalties: ReferenceRow[];
};

function assertSameScores(actual: Float32Array, expected: (number | null)[], label: string): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    if (e === null) assert.equal(actual[i], NEG, `${label}: token ${i} should be removed`);
    else assert.ok(Math.abs(actual[i]! - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${label}: token ${i} ${actual[i]} vs ${e}`);
  });
}

test('temperature, top-k and top-p equal the PyTorch restatement of HF warpers (ties and -Infinity included)', () => {
  assert.ok(reference.warpers.length >= 20);
  for (const [i, c] of reference.warpers.entries()) {
    const s = Float32Array.from(c.logits, (v) => v ?? NEG);
    const { temperature: t = 1, topK: k = 0, topP: p = 1 } = c.settings;
    if (t !== 1) temperature(t)(s, NO_ROW);
    if (k !== 0) topK(k)(s, NO_ROW);
    if (p < 1) topP(p)(s, NO_ROW);
    assertSameScores(s, c.expected, `warper case ${i} ${JSON.stringify(c.settings)}`);
  }
});

test('repetition penalty and no-repeat-ngram equal the PyTorch restatement of HF processors', () => {
  for (const [i, c] of reference.penalties.entries()) {
    const s = Float32Array.from(c.logits, (v) => v ?? NEG);
    const view = row(c.ids!);
    if (c.settings.repetitionPenalty !== 1) repetitionPenalty(c.settings.repetitionPenalty!, s.length)(s, view);
    if (c.settings.noRepeatNgramSize! > 0) noRepeatNgram(c.settings.noRepeatNgramSize!)(s, view);
    assertSameScores(s, c.expected, `penalty case ${i} ${JSON.stringify(c.settings)}`);
  }
});
