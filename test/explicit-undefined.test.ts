// Every option of every public entry point taken as `{ key: undefined }` means "not given": the call
// gives what it gives without the key (a strict TypeScript user writes `{ seed: flags.seed }`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BpeTokenizer, CharTokenizer, Gpt2Chat, RNNChat, RNNModel, WordTokenizer, generate, generateText, loadGpt2, splitValidation,
  train, type BpeEncodeOptions, type BpeTokenizerOptions, type DecodeOptions, type GenerateOptions, type LoadGpt2Options,
  type LogitsSource, type RNNCreateOptions, type TextGenerationOptions, type TrainOptions, type VocabularyOptions,
} from '../src/index.js';
import type { ChatOptions as Gpt2ChatOptions } from '../src/gpt2/chat.js';
import { optionKeys } from '../src/util/options.js';
import { TINY } from './helpers/gpt2-fixtures.js';

/** `base` with `key` set to undefined, for every key (the key lists are complete by their types). */
function withUndefined<T extends object>(keys: readonly (keyof T & string)[], base: T): [string, T][] {
  return keys.map((key) => [key, { ...base, [key]: undefined }]);
}

const GENERATE_KEYS = optionKeys<GenerateOptions>({
  maxLength: true, maxNewTokens: true, minNewTokens: true, doSample: true, temperature: true, topK: true, topP: true,
  repetitionPenalty: true, noRepeatNgramSize: true, badWordsIds: true, numBeams: true, lengthPenalty: true,
  earlyStopping: true, numReturnSequences: true, eosTokenId: true, padTokenId: true, seed: true, random: true,
  signal: true, onToken: true, stoppingCriteria: true,
});

/** A result without its speed, which differs from run to run. */
const untimed = <T extends { tokensPerSecond?: number }>(result: T) => ({ ...result, tokensPerSecond: 0 });

const corpus = 'the cat sat on the mat and the dog sat on the log while the cat saw the dog '.repeat(20);

/** Next-token logits from the last token fed: a fixed table, so greedy runs are reproducible. */
class LastTokenSource implements LogitsSource {
  readonly vocabSize = 7;
  private last: number[] = [];
  private logits(): Float32Array {
    const out = new Float32Array(this.last.length * this.vocabSize);
    this.last.forEach((t, r) => {
      for (let v = 0; v < this.vocabSize; v++) out[r * this.vocabSize + v] = ((t * 5 + v * 3) % 7) / 2;
    });
    return out;
  }
  async prefill(ids: readonly Int32Array[]): Promise<Float32Array> {
    this.last = ids.map((row) => row[row.length - 1]!);
    return this.logits();
  }
  async next(tokens: Int32Array): Promise<Float32Array> {
    this.last = [...tokens];
    return this.logits();
  }
  select(index: Int32Array): void {
    this.last = Array.from(index, (i) => this.last[i]!);
  }
  dispose(): void {}
}

test('generate: each option given as undefined is not given', async () => {
  const expected = await generate(new LastTokenSource(), [[1, 2]], {});
  for (const [key, options] of withUndefined(GENERATE_KEYS, {} as GenerateOptions)) {
    assert.deepEqual(await generate(new LastTokenSource(), [[1, 2]], options), expected, key);
  }
});

test('RNNModel.create, train, generateText, RNNChat and the tokenizers: each option given as undefined is not given', async () => {
  const vocabularyKeys = optionKeys<VocabularyOptions>({ maxSize: true, minCount: true });
  const words = WordTokenizer.fromCorpus(corpus);
  for (const [key, options] of withUndefined(vocabularyKeys, {} as VocabularyOptions)) {
    assert.deepEqual(WordTokenizer.fromCorpus(corpus, options).toJSON(), words.toJSON(), `WordTokenizer ${key}`);
    assert.deepEqual(CharTokenizer.fromCorpus(corpus, options).toJSON(), CharTokenizer.fromCorpus(corpus).toJSON(), `CharTokenizer ${key}`);
  }
  const config = { cell: 'gru' as const, vocabSize: words.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 1 };
  const createKeys = optionKeys<RNNCreateOptions>({ seed: true, kernels: true, recompute: true, threads: true, splitThreshold: true, workerTimeoutMs: true });
  const weights = (model: RNNModel) => [...model.stateDict().values()].map((t) => [...t.data]);
  const reference = await RNNModel.create(config, { seed: 1 });
  for (const [key, options] of withUndefined(createKeys, { seed: 1 } as RNNCreateOptions)) {
    const model = await RNNModel.create(config, options);
    if (key !== 'seed') assert.deepEqual(weights(model), weights(reference), `RNNModel.create ${key}`);
  }
  const data = splitValidation(Int32Array.from(words.encode(corpus)), 0.1);
  const trainKeys = optionKeys<TrainOptions>({
    epochs: true, lr: true, batchSize: true, seqLen: true, clip: true, weightDecay: true, lrSchedule: true,
    warmupSteps: true, validation: true, earlyStopping: true, seed: true, signal: true, onProgress: true, resume: true,
  }).filter((key) => !['epochs', 'lr', 'batchSize', 'seqLen'].includes(key));
  const base: TrainOptions = { epochs: 1, lr: 0.02, batchSize: 4, seqLen: 8, seed: 2 };
  const trained = async (options: TrainOptions) => {
    const model = await RNNModel.create(config, { seed: 1 });
    const result = await train(model, data, options);
    return { losses: result.losses, weights: weights(model) };
  };
  const expected = await trained(base);
  for (const [key, options] of withUndefined(trainKeys, base)) {
    if (key === 'seed') await trained(options);
    else assert.deepEqual(await trained(options), expected, `train ${key}`);
  }
  const textKeys = optionKeys<TextGenerationOptions>({
    doSample: true, temperature: true, topK: true, topP: true, repetitionPenalty: true, noRepeatNgramSize: true,
    seed: true, signal: true, maxNewTokens: true, stop: true, onText: true, onWarning: true, initialState: true,
    allowUnknown: true,
  });
  const text = untimed(await generateText(reference, words, 'the cat', {}));
  const chatReply = untimed(await new RNNChat(reference, words).reply('the cat'));
  for (const [key, options] of withUndefined(textKeys, {} as TextGenerationOptions)) {
    assert.deepEqual(untimed(await generateText(reference, words, 'the cat', options)), text, `generateText ${key}`);
    if (key === 'initialState' || key === 'onText' || key === 'signal') continue;
    assert.deepEqual(untimed(await new RNNChat(reference, words, options).reply('the cat')), chatReply, `RNNChat ${key}`);
  }
  for (const key of ['onText', 'onWarning', 'signal']) {
    assert.deepEqual(untimed(await new RNNChat(reference, words).reply('the cat', { [key]: undefined })), chatReply, `RNNChat.reply ${key}`);
  }
  const bpeJson = JSON.parse(readFileSync(`${TINY}/vocab.json`, 'utf8')) as object;
  const merges = readFileSync(`${TINY}/merges.txt`, 'utf8');
  const bpe = BpeTokenizer.fromFiles(bpeJson, merges);
  const sample = 'Hello<|endoftext|> world';
  for (const [key, options] of withUndefined(optionKeys<BpeTokenizerOptions>({ cacheSize: true }), {} as BpeTokenizerOptions)) {
    assert.deepEqual(BpeTokenizer.fromFiles(bpeJson, merges, options).encode(sample), bpe.encode(sample), `BpeTokenizer ${key}`);
  }
  for (const [key, options] of withUndefined(optionKeys<BpeEncodeOptions>({ specialTokens: true }), {} as BpeEncodeOptions)) {
    assert.deepEqual(bpe.encode(sample, options), bpe.encode(sample), `encode ${key}`);
  }
  const ids = bpe.encode(sample, { specialTokens: 'special' });
  for (const [key, options] of withUndefined(optionKeys<DecodeOptions>({ skipSpecialTokens: true }), {} as DecodeOptions)) {
    assert.equal(bpe.decode(ids, options), bpe.decode(ids), `decode ${key}`);
  }
});

test('loadGpt2, its pipeline and Gpt2Chat: each option given as undefined is not given', async () => {
  const loadKeys = optionKeys<LoadGpt2Options>({
    dtype: true, layout: true, device: true, threads: true, onnxruntimeNode: true, hubUrl: true, revision: true, cache: true,
    onProgress: true, downloadAttempts: true, retryDelayMs: true, stallTimeoutMs: true, signal: true, onWarning: true,
  });
  const base: LoadGpt2Options = { cache: null, threads: 1 };
  const gpt2 = await loadGpt2(TINY, base);
  const expected = await gpt2.generate('Hello', { maxNewTokens: 4 });
  for (const [key, options] of withUndefined(loadKeys, base)) {
    const loaded = await loadGpt2(TINY, options);
    try {
      assert.deepEqual(await loaded.generate('Hello', { maxNewTokens: 4 }), expected, `loadGpt2 ${key}`);
    } finally {
      await loaded.release();
    }
  }
  // The model's generation defaults (its EOS id, its sampling settings) stay under an undefined option.
  assert.deepEqual(gpt2.options(Object.fromEntries(GENERATE_KEYS.map((key) => [key, undefined]))), gpt2.options());
  const seeded: GenerateOptions = { maxNewTokens: 4, seed: 3 };
  const sampled = await gpt2.generate('Hello', seeded);
  for (const [key, options] of withUndefined(GENERATE_KEYS, seeded)) {
    if (key === 'seed' || key === 'maxNewTokens') continue;
    assert.deepEqual(await gpt2.generate('Hello', options), sampled, `Gpt2Pipeline.generate ${key}`);
  }
  const chatKeys = optionKeys<Gpt2ChatOptions>({ preamble: true, generation: true, stop: true });
  const reply = await new Gpt2Chat(gpt2, {}).say('Hi');
  for (const [key, options] of withUndefined(chatKeys, {} as Gpt2ChatOptions)) {
    assert.deepEqual(await new Gpt2Chat(gpt2, options).say('Hi'), reply, `Gpt2Chat ${key}`);
  }
  // A reply is 40 tokens long by default, also when generation.maxNewTokens is given as undefined.
  assert.deepEqual(await new Gpt2Chat(gpt2, { generation: { maxNewTokens: undefined } }).say('Hi'), reply, 'Gpt2Chat generation.maxNewTokens');
  await gpt2.release();
});
