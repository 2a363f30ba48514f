/**
 * The GPT-2 ONNX engine on onnxruntime-web's WASM backend against the PyTorch references of the tiny
 * fixture model, in every Hub layout and variant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../src/generate/index.js';
import { loadGpt2Model, type LoadModelOptions } from '../src/gpt2/load.js';
import type { Gpt2Model } from '../src/gpt2/model.js';
import { maxAbsDiff, reference, referenceLogits, TINY } from './helpers/gpt2-fixtures.js';

const EOS = 50256;
const NEW = reference.max_new_tokens;
const loaded = new Map<string, Gpt2Model>();

async function model(options: LoadModelOptions = {}): Promise<Gpt2Model> {
  const key = JSON.stringify(options);
  if (!loaded.has(key)) loaded.set(key, (await loadGpt2Model(TINY, { cache: null, threads: 1, ...options })).model);
  return loaded.get(key)!;
}

/** Logits of a full recomputation: disposing first keeps prefill from extending the cached prefix. */
async function lastLogits(m: Gpt2Model, ids: number[]): Promise<Float32Array> {
  m.dispose();
  return m.prefill([Int32Array.from(ids)], [new Uint8Array(ids.length).fill(1)]);
}

const VARIANTS: { name: string; options: LoadModelOptions; suffix: '' | '_fp16' | '_quantized'; tolerance: number }[] = [
  { name: 'model.onnx', options: { layout: 'single' }, suffix: '', tolerance: 1e-4 },
  { name: 'decoder_model_merged.onnx', options: { layout: 'merged' }, suffix: '', tolerance: 1e-4 },
  { name: 'decoder_model.onnx + decoder_with_past_model.onnx', options: { layout: 'pair' }, suffix: '', tolerance: 1e-4 },
  { name: 'model_quantized.onnx (vs its dequantized weights)', options: { dtype: 'q8' }, suffix: '_quantized', tolerance: 1e-4 },
  // fp16 logits are rounded to fp16 on output: half an ulp at |x| < 16 is 2^-7.
  { name: 'model_fp16.onnx (vs fp16-rounded weights)', options: { dtype: 'fp16' }, suffix: '_fp16', tolerance: 8e-3 },
];

for (const variant of VARIANTS) {
  test(`${variant.name}: last-position logits equal the PyTorch reference`, async () => {
    const m = await model(variant.options);
    const expected = referenceLogits(variant.suffix);
    for (const [p, prompt] of reference.prompts.entries()) {
      const diff = maxAbsDiff(await lastLogits(m, prompt.ids), expected[p]!);
      assert.ok(diff <= variant.tolerance, `prompt ${p}: max |diff| ${diff} > ${variant.tolerance}`);
    }
    m.dispose();
  });
}

test('the layouts are recognized as what they are', async () => {
  assert.deepEqual((await model({ layout: 'single' })).signature.kind, 'single');
  assert.deepEqual((await model({ layout: 'merged' })).signature.kind, 'merged');
  const pair = await model({ layout: 'pair' });
  assert.equal(pair.signature.kind, 'pair');
  assert.equal(pair.supportsPadding, false);
  assert.equal((await model({ dtype: 'fp16' })).signature.kvType, 'float16');
  assert.equal((await model()).signature.kind, 'single', 'the single file is preferred when several exist');
});

test('sessions are the runtime sessions; running one directly leaves the cache as it was', async () => {
  assert.equal((await model({ layout: 'pair' })).sessions.length, 2);
  const m = await model({ layout: 'single' });
  assert.equal(m.sessions.length, 1);
  const session = m.sessions[0]!;
  const prompt = reference.prompts[1]!;
  const step = prompt.ids.length;
  await lastLogits(m, prompt.ids);
  const ort = await import('onnxruntime-web');
  const headDim = m.config.nEmbd / m.config.nHead;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.of(11n, 12n, 13n), [1, 3]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.of(1n, 1n, 1n), [1, 3]),
  };
  if (session.inputNames.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n), [1, 3]);
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, m.config.nHead, 0, headDim]);
  }
  const direct = await session.run(feeds);
  assert.deepEqual(direct.logits!.dims, [1, 3, m.config.vocabSize]);
  const cached = (await m.next(Int32Array.of(prompt.greedy[step]!))).slice();
  const diff = maxAbsDiff(cached, await lastLogits(await model({ dtype: 'fp32' }), prompt.greedy.slice(0, step + 1)));
  assert.ok(diff < 1e-4, `max |diff| ${diff} after a direct run`);
  m.dispose();
});

for (const layout of ['single', 'merged', 'pair'] as const) {
  test(`${layout}: KV-cache decoding equals full recomputation`, async () => {
    const m = await model({ layout });
    const recompute = await model({ dtype: 'fp32' });
    const prompt = reference.prompts[1]!;
    const full = prompt.greedy;
    await lastLogits(m, prompt.ids);
    for (let t = prompt.ids.length; t < full.length; t++) {
      const cached = (await m.next(Int32Array.of(full[t]!))).slice();
      const diff = maxAbsDiff(cached, await lastLogits(recompute, full.slice(0, t + 1)));
      assert.ok(diff < 1e-4, `step ${t}: max |diff| ${diff}`);
    }
    m.dispose();
    recompute.dispose();
  });
}

test('fp16 cache decoding stays close to fp32 full recomputation', async () => {
  const half = await model({ dtype: 'fp16' });
  const full = await model({ layout: 'single' });
  const ids = reference.prompts[0]!.greedy;
  await lastLogits(half, ids.slice(0, 6));
  let worst = 0;
  for (let t = 6; t < ids.length; t++) {
    const step = (await half.next(Int32Array.of(ids[t]!))).slice();
    worst = Math.max(worst, maxAbsDiff(step, await lastLogits(full, ids.slice(0, t + 1))));
  }
  assert.ok(worst < 5e-2, `max |diff| ${worst}`);
  half.dispose();
  full.dispose();
});

for (const layout of ['single', 'merged', 'pair'] as const) {
  test(`${layout}: greedy ids equal the reference`, async () => {
    const m = await model({ layout });
    for (const prompt of reference.prompts) {
      const result = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS });
      assert.deepEqual(result.sequences[0], prompt.greedy);
    }
    m.dispose();
  });
}

test('no_repeat_ngram_size=2 and repetition_penalty=1.3 ids equal the reference', async () => {
  const m = await model();
  for (const prompt of reference.prompts) {
    const ngram = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS, noRepeatNgramSize: 2 });
    assert.deepEqual(ngram.sequences[0], prompt.no_repeat_ngram_size_2);
    const penalty = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS, repetitionPenalty: 1.3 });
    assert.deepEqual(penalty.sequences[0], prompt.repetition_penalty_1_3);
  }
  m.dispose();
});

test('beam search (3 beams) ids equal the reference', async () => {
  const m = await model();
  for (const prompt of reference.prompts) {
    const all = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS, numBeams: 3, numReturnSequences: 3 });
    assert.deepEqual(all.sequences, prompt.beam_3);
    const ngram = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS, numBeams: 3, noRepeatNgramSize: 2 });
    assert.deepEqual(ngram.sequences, prompt.beam_3_no_repeat_ngram_size_2);
  }
  m.dispose();
});

test('quantized greedy ids equal the reference of the dequantized weights', async () => {
  const m = await model({ dtype: 'q8' });
  for (const prompt of reference.prompts_quantized) {
    const result = await generate(m, [prompt.ids], { maxNewTokens: NEW, eosTokenId: EOS });
    assert.deepEqual(result.sequences[0], prompt.greedy);
  }
  m.dispose();
});

for (const layout of ['single', 'merged'] as const) {
  test(`${layout}: a left-padded batch gives each prompt's ids and logits alone`, async () => {
    const m = await model({ layout });
    const prompts = reference.prompts.map((p) => p.ids);
    const batch = await generate(m, prompts, { maxNewTokens: NEW, eosTokenId: EOS });
    assert.deepEqual(batch.sequences, reference.prompts.map((p) => p.greedy));
    const t = Math.max(...prompts.map((p) => p.length));
    const ids = prompts.map((p) => Int32Array.from([...new Array(t - p.length).fill(EOS), ...p]));
    const mask = prompts.map((p) => Uint8Array.from([...new Array(t - p.length).fill(0), ...new Array(p.length).fill(1)]));
    const logits = await m.prefill(ids, mask);
    const expected = referenceLogits('');
    const v = m.vocabSize;
    for (let r = 0; r < prompts.length; r++) {
      const diff = maxAbsDiff(logits.subarray(r * v, (r + 1) * v), expected[r]!);
      assert.ok(diff < 1e-4, `row ${r}: max |diff| ${diff}`);
    }
    m.dispose();
  });
}

test('a model without position_ids refuses a padded batch instead of shifting positions', async () => {
  const m = await model({ layout: 'pair' });
  await assert.rejects(
    m.prefill([Int32Array.of(EOS, 1, 2), Int32Array.of(3, 4, 5)], [Uint8Array.of(0, 1, 1), Uint8Array.of(1, 1, 1)]),
    /no position_ids input/,
  );
});

test('sampling: numReturnSequences=3 gives three sequences; the same seed gives the same ids', async () => {
  const m = await model();
  const options = { maxNewTokens: 8, eosTokenId: EOS, doSample: true, numReturnSequences: 3, topK: 0, temperature: 2 };
  const a = await generate(m, [reference.prompts[0]!.ids], { ...options, seed: 7 });
  const b = await generate(m, [reference.prompts[0]!.ids], { ...options, seed: 7 });
  const c = await generate(m, [reference.prompts[0]!.ids], { ...options, seed: 8 });
  assert.equal(a.sequences.length, 3);
  assert.equal(new Set(a.sequences.map((s) => s.join(','))).size, 3, 'three different samples');
  assert.deepEqual(a.sequences, b.sequences);
  assert.notDeepEqual(a.sequences, c.sequences);
  m.dispose();
});

test('a sequence longer than the context is an error naming n_positions', async () => {
  const m = await model();
  const n = reference.config.n_positions;
  await assert.rejects(lastLogits(m, new Array(n + 1).fill(11)), /129 tokens .* context of 128 positions \(n_positions\)/);
  await lastLogits(m, new Array(n).fill(11));
  await assert.rejects(m.next(Int32Array.of(11)), /exceeds the model's context of 128/);
  m.dispose();
});

test('bad token ids and masks are errors that say what is wrong', async () => {
  const m = await model();
  await assert.rejects(lastLogits(m, [1, 50257]), /token id 50257 at row 0, position 1 is outside the vocabulary \[0, 50256\]/);
  await assert.rejects(m.prefill([Int32Array.of(1, 2)], [Uint8Array.of(0, 0)]), /row 0 is all padding/);
  await assert.rejects(m.next(Int32Array.of(1)), /before prefill/);
  await lastLogits(m, [1, 2]);
  await assert.rejects(m.next(Int32Array.of(1, 2)), /one token per row \(1\), got 2/);
  m.dispose();
});

test('select() duplicates and reorders cache rows: each row continues the row it came from', async () => {
  const m = await model();
  const alone = await model({ dtype: 'fp32' });
  const [a, b] = [reference.prompts[0]!, reference.prompts[2]!];
  await m.prefill([Int32Array.from(a.ids), Int32Array.from(b.ids)], [new Uint8Array(6).fill(1), new Uint8Array(6).fill(1)]);
  m.select(Int32Array.of(1, 0, 1));
  m.select(Int32Array.of(0, 1, 2, 1));
  const tokens = Int32Array.of(a.greedy[6]!, b.greedy[6]!, 7, 8);
  const logits = await m.next(tokens);
  const rows = [b, a, b, a];
  const v = m.vocabSize;
  for (let r = 0; r < 4; r++) {
    const expected = await lastLogits(alone, [...rows[r]!.ids, tokens[r]!]);
    const diff = maxAbsDiff(logits.subarray(r * v, (r + 1) * v), expected);
    assert.ok(diff < 1e-4, `row ${r}: max |diff| ${diff}`);
  }
  assert.throws(() => m.select(Int32Array.of(4)), /row 4 does not exist in a batch of 4/);
  m.dispose();
  alone.dispose();
});

for (const layout of ['single', 'merged', 'pair'] as const) {
  test(`${layout}: prefill of an extension of the cached row feeds only the new tokens, with the same logits`, async () => {
    const m = await model({ layout });
    const full = reference.prompts[1]!.greedy;
    const expected = (await lastLogits(m, full)).slice();
    const runs = (m as unknown as { sessions: { run: (...a: unknown[]) => Promise<Record<string, { dims: readonly number[] }>> }[] }).sessions;
    const last = runs[runs.length - 1]!;
    const run = last.run.bind(last);
    const fedLengths: number[] = [];
    last.run = async (...a) => {
      const out = await run(...a);
      fedLengths.push(out.logits!.dims[1]!);
      return out;
    };
    try {
      await lastLogits(m, full.slice(0, 9));
      await m.next(Int32Array.of(full[9]!));
      const extended = await m.prefill([Int32Array.from(full)], [new Uint8Array(full.length).fill(1)]);
      assert.ok(maxAbsDiff(extended, expected) < 1e-4, `max |diff| ${maxAbsDiff(extended, expected)}`);
      assert.deepEqual(fedLengths.slice(-2), [1, full.length - 10], 'the extension fed only the tokens after the cache');
      await m.next(Int32Array.of(5));
      const other = [...full.slice(0, 5), 7];
      const restarted = await m.prefill([Int32Array.from(other)], [new Uint8Array(6).fill(1)]);
      assert.ok(maxAbsDiff(restarted, await lastLogits(m, other)) < 1e-4, 'a different prefix starts over');
    } finally {
      last.run = run;
      m.dispose();
    }
  });
}

test('a released model says so when asked to run, and releasing again does nothing', async () => {
  const { model: m } = await loadGpt2Model(TINY, { cache: null, threads: 1 });
  await generate(m, [[EOS]], { maxNewTokens: 2 });
  await m.release();
  await m.release();
  await assert.rejects(generate(m, [[EOS]], { maxNewTokens: 2 }), /Gpt2Model\.prefill: this model has been released \(release\(\) frees its ONNX sessions\); load it again to generate/);
  await assert.rejects(m.next(Int32Array.of(EOS)), /Gpt2Model\.next: this model has been released/);
});
