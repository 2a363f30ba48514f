import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChain, buildChain, RowChain } from '../src/generate/chain.js';
import { generate, type GenerateOptions, type LogitsSource } from '../src/generate/index.js';
import { resolveOptions } from '../src/generate/options.js';
import { argmax } from '../src/generate/sample.js';
import { Random } from '../src/util/random.js';

// The chain generation runs keeps per-row trackers; it must edit scores exactly as the plain processors,
// which rescan the whole row at every step.

const SETTINGS: GenerateOptions[] = [
  { repetitionPenalty: 1.7 },
  { repetitionPenalty: 0.6 },
  { noRepeatNgramSize: 1 },
  { noRepeatNgramSize: 2 },
  { noRepeatNgramSize: 3, repetitionPenalty: 1.3 },
  { noRepeatNgramSize: 5, badWordsIds: [[1, 2]], minNewTokens: 3, eosTokenId: 0 },
];

function randomScores(random: Random, vocabSize: number): Float32Array {
  return Float32Array.from({ length: vocabSize }, () => (random.uniform() < 0.05 ? -Infinity : (random.uniform() - 0.5) * 8));
}

function randomToken(random: Random, vocabSize: number): number {
  return Math.floor(random.uniform() * vocabSize);
}

/** Asserts that the row's trackers and the plain chain give the same bits on the same scores. */
function assertSameEdit(tracked: RowChain, plain: ReturnType<typeof buildChain>, ids: number[], newTokens: number, random: Random, label: string): void {
  const scores = randomScores(random, 1 + Math.max(...ids, 0) + 3);
  const expected = scores.slice();
  applyChain(plain, expected, { ids, newTokens });
  tracked.apply(scores, { ids, newTokens });
  assert.deepEqual(scores, expected, label);
}

test('per-row trackers edit scores exactly as the plain processors, step after step on random rows', () => {
  const random = new Random(21);
  for (const settings of SETTINGS) {
    for (const vocabSize of [3, 8, 40]) {
      const options = resolveOptions(settings, vocabSize + 3);
      const plain = buildChain(options, vocabSize + 3);
      const start = RowChain.builder(options, vocabSize + 3);
      for (let trial = 0; trial < 5; trial++) {
        const prompt = Array.from({ length: trial * 3 }, () => randomToken(random, vocabSize));
        const ids = prompt.slice();
        const row = start(prompt);
        for (let step = 0; step < 60; step++) {
          const scores = randomScores(random, vocabSize + 3);
          const expected = scores.slice();
          applyChain(plain, expected, { ids, newTokens: step });
          row.apply(scores, { ids, newTokens: step });
          assert.deepEqual(scores, expected, `${JSON.stringify(settings)} V ${vocabSize} prompt ${prompt} step ${step} ids ${ids}`);
          const token = randomToken(random, vocabSize);
          ids.push(token);
          row.push(token);
        }
      }
    }
  }
});

test('forked trackers follow their own row: beams reordered, copied and dropped at every step', () => {
  const random = new Random(5);
  for (const settings of SETTINGS) {
    const vocabSize = 6;
    const options = resolveOptions(settings, vocabSize + 3);
    const plain = buildChain(options, vocabSize + 3);
    const start = RowChain.builder(options, vocabSize + 3);
    const prompt = [1, 2, 1];
    let beams = Array.from({ length: 4 }, () => ({ ids: prompt.slice(), chain: start(prompt) }));
    for (let step = 0; step < 80; step++) {
      beams.forEach((beam, b) => assertSameEdit(beam.chain, plain, beam.ids, step, random, `${JSON.stringify(settings)} step ${step} beam ${b}`));
      // As beam search does: each new beam continues a random parent (some twice, some never); the last
      // child of a parent takes over its chain, the others fork it first.
      const parents = Array.from({ length: 1 + randomToken(random, 5) }, () => randomToken(random, beams.length));
      const children = new Int32Array(beams.length);
      for (const p of parents) children[p]!++;
      beams = parents.map((p) => {
        const parent = beams[p]!;
        const chain = --children[p]! === 0 ? parent.chain : parent.chain.fork();
        const token = randomToken(random, vocabSize);
        chain.push(token);
        return { ids: [...parent.ids, token], chain };
      });
    }
  }
});

test('trackers stay exact over long rows (tables and chains regrown many times)', () => {
  const random = new Random(8);
  for (const settings of [{ noRepeatNgramSize: 2, repetitionPenalty: 1.2 }, { noRepeatNgramSize: 4 }] as GenerateOptions[]) {
    for (const vocabSize of [30, 3000]) {
      const options = resolveOptions(settings, vocabSize);
      const plain = buildChain(options, vocabSize);
      const row = RowChain.builder(options, vocabSize)([]);
      const ids: number[] = [];
      // Tokens from a small pool now and then, so that long n-gram chains form.
      for (let step = 1; step <= 30000; step++) {
        const token = random.uniform() < 0.5 ? randomToken(random, 4) : randomToken(random, vocabSize);
        ids.push(token);
        row.push(token);
        if (step % 1499 === 0) assertSameEdit(row, plain, ids, step, random, `${JSON.stringify(settings)} V ${vocabSize} length ${step}`);
      }
    }
  }
});

/** Next-token logits from a hash of the whole row, so that every row's history matters. */
class HistorySource implements LogitsSource {
  readonly vocabSize = 7;
  private rows: number[] = [];

  private logits(): Float32Array {
    const out = new Float32Array(this.rows.length * this.vocabSize);
    this.rows.forEach((h, r) => {
      for (let v = 0; v < this.vocabSize; v++) out[r * this.vocabSize + v] = ((Math.imul(h ^ v, 0x9e3779b1) >>> 8) % 1000) / 250;
    });
    return out;
  }

  private static fold(h: number, token: number): number {
    return Math.imul(h ^ token, 0x01000193) >>> 0;
  }

  async prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array> {
    this.rows = ids.map((row, r) => row.reduce((h, t, i) => (mask[r]![i] ? HistorySource.fold(h, t) : h), 0x811c9dc5));
    return this.logits();
  }

  async next(tokens: Int32Array): Promise<Float32Array> {
    this.rows = this.rows.map((h, r) => HistorySource.fold(h, tokens[r]!));
    return this.logits();
  }

  select(index: Int32Array): void {
    this.rows = Array.from(index, (i) => this.rows[i]!);
  }

  dispose(): void {
    this.rows = [];
  }
}

function repeatedNgram(ids: readonly number[], n: number): string | null {
  const seen = new Set<string>();
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ids.slice(i, i + n).join(',');
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return null;
}

test('greedy generation with the trackers equals a step-by-step restatement with the plain processors', async () => {
  const options: GenerateOptions = { maxNewTokens: 300, noRepeatNgramSize: 3, repetitionPenalty: 1.4, padTokenId: 0 };
  const prompts = [[1, 2, 3, 1, 2], [4], [5, 5, 6]];
  const result = await generate(new HistorySource(), prompts, options);
  const plain = buildChain(resolveOptions(options, 7), 7);
  for (const [p, prompt] of prompts.entries()) {
    const source = new HistorySource();
    let logits = await source.prefill([Int32Array.from(prompt)], [new Uint8Array(prompt.length).fill(1)]);
    const ids = prompt.slice();
    for (let step = 0; step < 300; step++) {
      applyChain(plain, logits, { ids, newTokens: step });
      const token = argmax(logits, 0);
      ids.push(token);
      logits = await source.next(Int32Array.of(token));
    }
    assert.deepEqual(result.sequences[p], ids, `prompt ${prompt}`);
  }
});

test('beam search with batches and several returned sequences never repeats an n-gram', async () => {
  for (const n of [2, 3]) {
    const options: GenerateOptions = { maxNewTokens: 40, numBeams: 4, numReturnSequences: 3, noRepeatNgramSize: n, repetitionPenalty: 1.2, padTokenId: 0 };
    const result = await generate(new HistorySource(), [[1, 2, 1], [3, 3, 4, 5]], options);
    assert.equal(result.sequences.length, 6);
    for (const ids of result.sequences) assert.equal(repeatedNgram(ids, n), null, `n ${n}: ${ids}`);
  }
});
