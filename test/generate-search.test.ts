import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, generateStream, type GenerateOptions, type LogitsSource } from '../src/generate/index.js';

/**
 * A fixed table of next-token logits indexed by the previous real token, plus an optional term that
 * depends on the row's position (the number of real tokens, read from the mask) so that wrong padding
 * or masks change the result. A test fixture: the engines implement LogitsSource for real models.
 */
class TableSource implements LogitsSource {
  readonly vocabSize: number;
  rows: { last: number; length: number }[] = [];
  fed: number[][] = [];
  prefills: { ids: number[][]; mask: number[][] }[] = [];

  constructor(private readonly table: number[][], private readonly positionWeight = 0) {
    this.vocabSize = table[0]!.length;
  }

  private logits(): Float32Array {
    const out = new Float32Array(this.rows.length * this.vocabSize); // (B, V)
    this.rows.forEach((row, r) => {
      for (let v = 0; v < this.vocabSize; v++) {
        out[r * this.vocabSize + v] = this.table[row.last]![v]! + this.positionWeight * ((row.length + v) % 3);
      }
    });
    return out;
  }

  async prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array> {
    this.prefills.push({ ids: ids.map((r) => [...r]), mask: mask.map((r) => [...r]) });
    this.rows = ids.map((r, i) => {
      const m = mask[i]!;
      assert.equal(r.length, ids[0]!.length, 'rows have one length');
      assert.ok(m.every((v, t) => t === 0 || v >= m[t - 1]!), 'left padding only');
      return { last: r[r.length - 1]!, length: m.reduce((a, b) => a + b, 0) };
    });
    return this.logits();
  }

  async next(tokens: Int32Array): Promise<Float32Array> {
    assert.equal(tokens.length, this.rows.length);
    this.fed.push([...tokens]);
    this.rows.forEach((row, r) => {
      row.last = tokens[r]!;
      row.length++;
    });
    return this.logits();
  }

  select(index: Int32Array): void {
    this.rows = Array.from(index, (i) => ({ ...this.rows[i]! }));
  }

  dispose(): void {
    this.rows = [];
  }
}

const NEG = -Infinity;
const EOS = 4;
/** prev 0 -> 1 -> 2 -> EOS; 3 loops on itself. */
const CHAIN = [
  [0, 3, 1, 0, -1],
  [0, 0, 2, 0, 1],
  [1, 0, 0, 0, 3],
  [0, 0.5, 0, 1, 0],
  [1, 0, 0, 0, 0],
];

test('greedy follows the table, stops at EOS and returns prompt + new tokens', async () => {
  const source = new TableSource(CHAIN);
  const result = await generate(source, [[0]], { maxNewTokens: 10, eosTokenId: EOS });
  assert.deepEqual(result, { sequences: [[0, 1, 2, EOS]], newTokens: [[1, 2, EOS]], finishReasons: ['eos'] });
  assert.deepEqual(source.fed, [[1], [2]], 'no step is run after the last token');
});

test('maxLength counts the prompt; maxNewTokens wins; a prompt at maxLength is an error', async () => {
  let result = await generate(new TableSource(CHAIN), [[3, 3]], { maxLength: 5, eosTokenId: EOS });
  assert.deepEqual(result.newTokens, [[3, 3, 3]]);
  assert.deepEqual(result.finishReasons, ['length']);
  result = await generate(new TableSource(CHAIN), [[3, 3]], { maxLength: 5, maxNewTokens: 1 });
  assert.deepEqual(result.newTokens, [[3]]);
  result = await generate(new TableSource(CHAIN), [[3]]);
  assert.equal(result.sequences[0]!.length, 20, 'HF default max_length is 20');
  await assert.rejects(generate(new TableSource(CHAIN), [[3, 3, 3]], { maxLength: 3 }),
    /the prompt has 3 tokens, at or over maxLength=3 \(which counts the prompt\)/);
});

test('processors act inside the loop: no-repeat-ngram, repetition penalty, min new tokens', async () => {
  let result = await generate(new TableSource(CHAIN), [[3]], { maxNewTokens: 3, noRepeatNgramSize: 1 });
  // 3 is banned (already present): the best other is 1, then 2, then (1, 2, 3 present) EOS or 0: EOS scores 3.
  assert.deepEqual(result.newTokens, [[1, 2, EOS]]);
  result = await generate(new TableSource(CHAIN), [[3]], { maxNewTokens: 2, repetitionPenalty: 3 });
  // After 3: scores [0, .5, 0, 1/3, 0] -> 1; after 1: [0, 0/3, 2, 0/3, 1] -> 2.
  assert.deepEqual(result.newTokens, [[1, 2]]);
  result = await generate(new TableSource(CHAIN), [[1]], { maxNewTokens: 6, eosTokenId: EOS, minNewTokens: 3 });
  // 1 -> 2 -> (EOS banned) 0 -> 1 -> 2 -> EOS
  assert.deepEqual(result.newTokens, [[2, 0, 1, 2, EOS]]);
});

test('a left-padded batch gives each prompt what it gives alone; finished rows are fed the pad id', async () => {
  const prompts = [[0], [3, 3, 1], [2, 3]];
  const options: GenerateOptions = { maxNewTokens: 6, eosTokenId: EOS, repetitionPenalty: 1.3, noRepeatNgramSize: 2 };
  const source = new TableSource(CHAIN, 0.7);
  const batch = await generate(source, prompts, options);
  assert.deepEqual(source.prefills[0]!.mask, [[0, 0, 1], [1, 1, 1], [0, 1, 1]]);
  assert.deepEqual(source.prefills[0]!.ids, [[EOS, EOS, 0], [3, 3, 1], [EOS, 2, 3]]);
  for (const [p, prompt] of prompts.entries()) {
    const alone = await generate(new TableSource(CHAIN, 0.7), [prompt], options);
    assert.deepEqual(batch.sequences[p], alone.sequences[0]);
    assert.deepEqual(batch.finishReasons[p], alone.finishReasons[0]);
  }
  for (const [p, tokens] of batch.newTokens.entries()) {
    if (batch.finishReasons[p] !== 'eos') continue;
    const after = source.fed.slice(tokens.length).map((step) => step[p]);
    assert.ok(after.every((t) => t === EOS), `row ${p} is fed padding after EOS: ${after}`);
  }
  const padded = new TableSource(CHAIN);
  await generate(padded, [[0], [3, 3]], { maxNewTokens: 5, eosTokenId: EOS, padTokenId: 3 });
  assert.deepEqual(padded.prefills[0]!.ids[0], [3, 0]);
  assert.deepEqual(padded.fed.map((step) => step[0]), [1, 2, EOS, 3]);
});

/** Nearly uniform: every continuation is plausible, so samples differ. */
const FLAT = Array.from({ length: 6 }, (_, prev) => Array.from({ length: 6 }, (_, v) => ((prev * 5 + v * 3) % 7) / 10));

test('sampling is reproducible from a seed, and numReturnSequences=3 gives 3 different sequences per prompt', async () => {
  const options: GenerateOptions = { doSample: true, maxNewTokens: 12, seed: 1234, numReturnSequences: 3, padTokenId: 0 };
  const a = await generate(new TableSource(FLAT), [[0], [5, 1]], options);
  const b = await generate(new TableSource(FLAT), [[0], [5, 1]], options);
  assert.deepEqual(a, b);
  assert.equal(a.sequences.length, 6);
  for (const p of [0, 1]) {
    const group = a.sequences.slice(p * 3, p * 3 + 3);
    assert.ok(group.every((seq) => seq.slice(0, p === 0 ? 1 : 2).join() === (p === 0 ? '0' : '5,1')), 'row p*3+j belongs to prompt p');
    assert.equal(new Set(group.map((seq) => seq.join())).size, 3, `distinct samples: ${JSON.stringify(group)}`);
  }
  const c = await generate(new TableSource(FLAT), [[0], [5, 1]], { ...options, seed: 1235 });
  assert.notDeepEqual(a.sequences, c.sequences);
});

test('sampling with topK=1 is greedy; temperature and topP are applied', async () => {
  const greedy = await generate(new TableSource(CHAIN), [[0], [3]], { maxNewTokens: 5, eosTokenId: EOS });
  const sampled = await generate(new TableSource(CHAIN), [[0], [3]], { maxNewTokens: 5, eosTokenId: EOS, doSample: true, topK: 1, seed: 9 });
  assert.deepEqual(sampled, greedy);
  // topP small enough keeps only the top token, whatever the temperature.
  const nucleus = await generate(new TableSource(CHAIN), [[0], [3]], { maxNewTokens: 5, eosTokenId: EOS, doSample: true, topP: 0.05, temperature: 3, seed: 9 });
  assert.deepEqual(nucleus, greedy);
});

/** Transition probabilities for beam search by hand: greedy takes 1 (0.55); beam search finds 2 -> EOS. */
const BEAM = [
  [0, 0.55, 0.45, 0],
  [0.4, 0, 0.3, 0.3],
  [0.05, 0.05, 0, 0.9],
  [1, 0, 0, 0],
].map((row) => row.map(Math.log));

test('beam search matches the hand computation of HF semantics (length penalty on new tokens)', async () => {
  const f = Math.fround;
  const lp = (p: number) => f(Math.log(p));
  const greedy = await generate(new TableSource(BEAM), [[0]], { maxNewTokens: 3, eosTokenId: 3 });
  assert.deepEqual(greedy.newTokens, [[1, 0, 1]]);
  // Step 2: [0 2 3] finishes with log(.45) + log(.9) over 2 new tokens. Step 3: [0 1 2 3] finishes with
  // log(.55) + log(.3) + log(.9) over 3; the best running beam (-2.11 / 3) cannot beat it: done.
  const short = f(f(lp(0.45) + lp(0.9)) / 2);
  const long = f(f(f(lp(0.55) + lp(0.3)) + lp(0.9)) / 3);
  const result = await generate(new TableSource(BEAM), [[0]], { maxNewTokens: 8, eosTokenId: 3, numBeams: 2, numReturnSequences: 2 });
  assert.deepEqual(result.sequences, [[0, 2, 3], [0, 1, 2, 3]]);
  assert.deepEqual(result.finishReasons, ['eos', 'eos']);
  assert.ok(Math.abs(result.sequenceScores![0]! - short) < 1e-6 && Math.abs(result.sequenceScores![1]! - long) < 1e-6,
    `scores ${result.sequenceScores} vs ${short}, ${long}`);
  // lengthPenalty 2 favours the longer hypothesis.
  const longer = await generate(new TableSource(BEAM), [[0]], { maxNewTokens: 8, eosTokenId: 3, numBeams: 2, lengthPenalty: 2 });
  assert.deepEqual(longer.sequences, [[0, 1, 2, 3]]);
  assert.ok(Math.abs(longer.sequenceScores![0]! - f(f(f(lp(0.55) + lp(0.3)) + lp(0.9)) / 9)) < 1e-6);
});

test('beam search at the length limit returns running beams; a batch equals each prompt alone', async () => {
  const limited = await generate(new TableSource(BEAM), [[0]], { maxNewTokens: 1, eosTokenId: 3, numBeams: 2, numReturnSequences: 2 });
  assert.deepEqual(limited.sequences, [[0, 1], [0, 2]]);
  assert.deepEqual(limited.finishReasons, ['length', 'length']);
  const prompts = [[0], [2, 1], [1, 0, 1]];
  const options: GenerateOptions = { maxNewTokens: 5, eosTokenId: EOS, numBeams: 3, numReturnSequences: 2, noRepeatNgramSize: 2 };
  const batch = await generate(new TableSource(CHAIN, 0.4), prompts, options);
  for (const [p, prompt] of prompts.entries()) {
    const alone = await generate(new TableSource(CHAIN, 0.4), [prompt], options);
    assert.deepEqual(batch.sequences.slice(2 * p, 2 * p + 2), alone.sequences);
    assert.deepEqual(batch.sequenceScores!.slice(2 * p, 2 * p + 2), alone.sequenceScores);
  }
});

test('beam search drops a finished prompt\'s beams from the batch; the others continue as they would alone', async () => {
  const prompts = [[1], [3]];
  const options: GenerateOptions = { maxNewTokens: 8, eosTokenId: EOS, numBeams: 2, numReturnSequences: 2 };
  const source = new TableSource(CHAIN, 0.4);
  const batch = await generate(source, prompts, options);
  const sizes = source.fed.map((tokens) => tokens.length);
  // Both prompts' beams at first, then only the second prompt's: the first is done early.
  assert.equal(sizes[0], 4);
  assert.equal(sizes.at(-1), 2, `rows fed per step: ${sizes}`);
  for (const [p, prompt] of prompts.entries()) {
    const alone = await generate(new TableSource(CHAIN, 0.4), [prompt], options);
    assert.deepEqual(batch.sequences.slice(2 * p, 2 * p + 2), alone.sequences);
    assert.deepEqual(batch.sequenceScores!.slice(2 * p, 2 * p + 2), alone.sequenceScores);
    assert.deepEqual(batch.finishReasons.slice(2 * p, 2 * p + 2), alone.finishReasons);
  }
});

test('onToken and generateStream deliver every new token in order; the stream ends with the result', async () => {
  const seen: [number, number][] = [];
  const options: GenerateOptions = { maxNewTokens: 4, eosTokenId: EOS, doSample: true, seed: 5, numReturnSequences: 2 };
  const result = await generate(new TableSource(FLAT), [[1], [2]], { ...options, onToken: (row, token) => seen.push([row, token]) });
  for (let r = 0; r < 4; r++) {
    assert.deepEqual(seen.filter(([row]) => row === r).map(([, t]) => t), result.newTokens[r]);
  }
  const stream = generateStream(new TableSource(FLAT), [[1], [2]], options);
  const streamed: [number, number][] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) {
      assert.deepEqual(next.value, result);
      break;
    }
    streamed.push([next.value.row, next.value.token]);
  }
  assert.deepEqual(streamed, seen);
});

test('stoppingCriteria ends a row; an aborted signal rejects at the next step boundary', async () => {
  const stopped = await generate(new TableSource(CHAIN), [[3], [0]], {
    maxNewTokens: 6, eosTokenId: EOS, stoppingCriteria: (ids) => ids.length >= 3 && ids.at(-1) === 3,
  });
  assert.deepEqual(stopped.sequences, [[3, 3, 3], [0, 1, 2, EOS]]);
  assert.deepEqual(stopped.finishReasons, ['stop', 'eos']);
  const controller = new AbortController();
  const delivered: number[] = [];
  const source = new TableSource(CHAIN);
  await assert.rejects(generate(source, [[3]], {
    maxNewTokens: 10,
    signal: controller.signal,
    onToken: (_row, token) => {
      delivered.push(token);
      if (delivered.length === 2) controller.abort();
    },
  }), { name: 'AbortError' });
  assert.deepEqual(delivered, [3, 3]);
  assert.equal(source.fed.length, 1, 'no model step after the abort');
  await assert.rejects(generate(new TableSource(CHAIN), [[3]], { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('bad prompts and sources are clear errors', async () => {
  const source = new TableSource(CHAIN);
  await assert.rejects(generate(source, [], {}), /prompts must be a non-empty array/);
  await assert.rejects(generate(source, [[]], {}), /prompts\[0\] is empty/);
  await assert.rejects(generate(source, [[1, 9]], {}), /prompts\[0\]\[1\] = 9 is not a token id in \[0, 4\]/);
  await assert.rejects(generate(source, [[1], [1, 2]], {}), /padTokenId is required: prompts of different lengths/);
  await assert.rejects(generate({ vocabSize: 5 } as unknown as LogitsSource, [[1]], {}), /source must implement LogitsSource/);
  const broken = new TableSource(CHAIN);
  broken.prefill = async () => new Float32Array(3);
  await assert.rejects(generate(broken, [[1]], {}), /prefill must return a Float32Array of 1 x 5 logits, got length 3/);
  await assert.rejects(generate(source, [[1]], { maxNewTokens: 2, minNewTokens: 3, eosTokenId: EOS }), /minNewTokens \(3\) must be <= maxNewTokens \(2\)/);
  await assert.rejects(generate(source, [[1, 2, 3]], { maxLength: 5, minNewTokens: 3, eosTokenId: EOS }), /minNewTokens \(3\) exceeds the 2 new tokens/);
  await assert.rejects(generateStream(source, [[1]], { numBeams: 2 }).next(), /cannot stream/);
});

test('a row whose every token is banned is reported', async () => {
  const table = [[NEG, 0], [NEG, NEG]];
  await assert.rejects(generate(new TableSource(table), [[0]], { maxNewTokens: 3 }), /every token of row 0 has score -Infinity/);
});

interface ReferenceCase {
  options: GenerateOptions;
  prompts: number[][];
  sequences: number[][];
  sequenceScores?: number[];
}

const reference = JSON.parse(readFileSync(new URL('../../scripts/fixtures/generate_reference.json', import.meta.url), 'utf8')) as {
  table: (number | null)[][];
  generation: ReferenceCase[];
};

test('greedy and beam search equal the PyTorch restatement of HF generate on a bigram table', async () => {
  const table = reference.table.map((row) => row.map((v) => v ?? NEG));
  assert.ok(reference.generation.length >= 15);
  for (const [i, c] of reference.generation.entries()) {
    const result = await generate(new TableSource(table), c.prompts, c.options);
    const label = `case ${i} ${JSON.stringify(c.options)}`;
    assert.deepEqual(result.sequences, c.sequences, label);
    if (c.sequenceScores) {
      result.sequenceScores!.forEach((s, j) => assert.ok(Math.abs(s - c.sequenceScores![j]!) <= 1e-5 * Math.abs(s), `${label}: score ${s} vs ${c.sequenceScores![j]}`));
    }
  }
});
