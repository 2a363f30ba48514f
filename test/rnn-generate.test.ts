import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RNNModel } from '../src/rnn/model.js';
import { decodeCheckpoint } from '../src/rnn/checkpoint.js';
import { RNNLogitsSource, generateText, encodeSeed } from '../src/rnn/generate.js';
import { RNNChat } from '../src/rnn/chat.js';
import { generate } from '../src/generate/index.js';
import { WordTokenizer, CharTokenizer, BpeTokenizer } from '../src/text/index.js';
import { biasedCharModel, scriptedModel } from './helpers/rnn-models.js';

const fixture = (dir: string, file: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/rnn/${dir}/${file}`, import.meta.url)));
const fixtureGeneration = (dir: string): { prefix: number[]; ids: number[] } =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/rnn/${dir}/train.json`, import.meta.url), 'utf8')).generation;

async function fixtureModel(dir: string): Promise<RNNModel> {
  const checkpoint = decodeCheckpoint(fixture(dir, 'final.safetensors'), dir);
  const model = await RNNModel.create(checkpoint.config);
  model.loadStateDict(checkpoint.weights);
  return model;
}

test('PyTorch checkpoints load and reproduce the fixtures\' greedy generations', async () => {
  for (const dir of ['rnn_tiny', 'lstm_tiny', 'gru_tiny', 'rnn_deep', 'lstm_deep', 'gru_deep']) {
    const model = await fixtureModel(dir);
    const expected = fixtureGeneration(dir);
    const source = new RNNLogitsSource(model);
    const result = await generate(source, [expected.prefix], { maxNewTokens: expected.ids.length });
    assert.deepEqual(result.newTokens[0], expected.ids, dir);
    model.dispose();
  }
});

test('left padding leaves a row\'s state untouched: batched rows equal rows run alone', async () => {
  const model = await fixtureModel('gru_deep');
  const prompts = [[5, 17, 42, 9, 100], [7], [250, 3, 3]];
  const alone = [];
  for (const prompt of prompts) {
    alone.push((await generate(new RNNLogitsSource(model), [prompt], { maxNewTokens: 8 })).newTokens[0]);
  }
  const batched = await generate(new RNNLogitsSource(model), prompts, { maxNewTokens: 8, padTokenId: 0 });
  assert.deepEqual(batched.newTokens, alone);
  const sampledAlone = await generate(new RNNLogitsSource(model), [prompts[1]!], { maxNewTokens: 6, doSample: true, seed: 3, numReturnSequences: 2 });
  assert.equal(sampledAlone.newTokens.length, 2);
  model.dispose();
});

test('the state carries across steps: continuing from a returned state equals one longer run', async () => {
  const model = await fixtureModel('lstm_deep');
  const once = await generate(new RNNLogitsSource(model), [[1, 2, 3, 4, 5, 6]], { maxNewTokens: 5 });
  const source = new RNNLogitsSource(model);
  await source.prefill([Int32Array.of(1, 2, 3)], [Uint8Array.of(1, 1, 1)]);
  const split = await generate(new RNNLogitsSource(model, source.current!), [[4, 5, 6]], { maxNewTokens: 5 });
  assert.deepEqual(split.newTokens, once.newTokens);
  model.dispose();
});

const corpus = 'the cat sat on the mat . the dog sat on the log . the cat saw the dog . '.repeat(40);

async function trainedWordModel(): Promise<{ model: RNNModel; tokenizer: WordTokenizer }> {
  const tokenizer = WordTokenizer.fromCorpus(corpus);
  const ids = Int32Array.from(tokenizer.encode(corpus));
  const model = await RNNModel.create({ cell: 'lstm', vocabSize: tokenizer.vocabSize, embedSize: 16, hiddenSize: 32, numLayers: 1 }, { seed: 1 });
  const state = model.createState(4);
  const T = 8;
  const L = Math.floor(ids.length / 4);
  for (let epoch = 0; epoch < 15; epoch++) {
    state.reset();
    for (let s = 0; s + T < L; s += T) {
      const x = new Int32Array(T * 4);
      const y = new Int32Array(T * 4);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < 4; b++) {
          x[t * 4 + b] = ids[b * L + s + t]!;
          y[t * 4 + b] = ids[b * L + s + t + 1]!;
        }
      }
      model.trainStep(x, y, T, 4, state, { lr: 0.02 });
    }
  }
  return { model, tokenizer };
}

test('text generation: greedy continues the pattern, streams, stops at a word, reports speed', async () => {
  const { model, tokenizer } = await trainedWordModel();
  const pieces: string[] = [];
  const result = await generateText(model, tokenizer, 'The cat sat on', { maxNewTokens: 12, onText: (p) => pieces.push(p) });
  assert.ok(result.text.startsWith('the mat the dog sat on the log'), result.text);
  assert.equal(pieces.join(''), ' ' + result.text);
  assert.equal(result.ids.length, 12);
  assert.equal(result.finishReason, 'length');
  assert.ok(result.tokensPerSecond > 0);
  const stopped = await generateText(model, tokenizer, 'the cat sat on', { maxNewTokens: 30, stop: 'dog' });
  assert.equal(stopped.text, 'the mat the dog');
  assert.equal(stopped.finishReason, 'stop');
  const a = await generateText(model, tokenizer, 'the dog', { maxNewTokens: 20, doSample: true, temperature: 1.5, topP: 0.95, topK: 0, seed: 9 });
  const b = await generateText(model, tokenizer, 'the dog', { maxNewTokens: 20, doSample: true, temperature: 1.5, topP: 0.95, topK: 0, seed: 9 });
  assert.equal(a.text, b.text);
  const penalized = await generateText(model, tokenizer, 'the cat', { maxNewTokens: 10, noRepeatNgramSize: 2, repetitionPenalty: 1.3 });
  const words = ['the', 'cat', ...penalized.text.split(' ')];
  const bigrams = words.slice(1).map((w, i) => `${words[i]} ${w}`);
  assert.equal(new Set(bigrams).size, bigrams.length, penalized.text);
  model.dispose();
});

test('seed words missing from the vocabulary are named in a warning; a seed of only unknown words is an error', async () => {
  const { model, tokenizer } = await trainedWordModel();
  const warnings: string[] = [];
  const result = await generateText(model, tokenizer, 'the zebra sat on the xylophone', { maxNewTokens: 3, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings, ['not in the vocabulary, read as <unk>: "zebra", "xylophone"']);
  assert.deepEqual(result.warnings, warnings);
  assert.equal(result.seedIds[1], 0);
  await assert.rejects(generateText(model, tokenizer, 'zebra xylophone', {}), /none of the seed's words are in the model's vocabulary \("zebra", "xylophone"\)/);
  await assert.rejects(generateText(model, tokenizer, '  ... 123 ', {}), /has no words after preprocessing/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { stop: 'zebra' }), /stop "zebra" is not in the model's vocabulary/);
  model.dispose();
});

test('invalid sampling options are refused', async () => {
  const { model, tokenizer } = await trainedWordModel();
  await assert.rejects(generateText(model, tokenizer, 'the cat', { doSample: true, temperature: 0 }), /temperature must be/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { doSample: true, temperature: -1 }), /temperature must be/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { doSample: true, topP: 0 }), /topP must be/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { doSample: true, topP: 1.5 }), /topP must be/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { maxNewTokens: 0 }), /maxNewTokens must be/);
  await assert.rejects(generateText(model, CharTokenizer.fromCorpus('abc'), 'abc'), /the tokenizer has 4 tokens but the model's vocabulary is \d+; use the tokenizer the model was trained with/);
  model.dispose();
});

test('character tokenizer seeds: unknown characters warned about', () => {
  const tokenizer = CharTokenizer.fromCorpus('abc abc');
  assert.deepEqual(encodeSeed(tokenizer, 'abz').warnings, ['not in the vocabulary, read as <unk>: "z"']);
  assert.throws(() => encodeSeed(tokenizer, 'zzq'), /none of the seed's chars are in the model's vocabulary/);
});

test('a conversation feeds each turn into the carried state', async () => {
  const { model, tokenizer } = await trainedWordModel();
  const chat = new RNNChat(model, tokenizer, { maxNewTokens: 6 });
  const streamed: string[] = [];
  const first = await chat.reply('the cat sat', { onText: (p) => streamed.push(p) });
  assert.equal(streamed.join(''), ' ' + first.text);
  const second = await chat.reply('the dog');
  assert.equal(chat.replies, 2);
  const expected = await generateText(model, tokenizer, 'the dog', { maxNewTokens: 6, initialState: first.state });
  assert.equal(second.text, expected.text);
  // The state after turn one covers the seed and all six reply words.
  const replay = await generateText(model, tokenizer, `the cat sat ${first.text} the dog`, { maxNewTokens: 6 });
  assert.equal(second.text, replay.text);
  chat.reset();
  const fresh = await chat.reply('the dog');
  assert.equal(fresh.text, (await generateText(model, tokenizer, 'the dog', { maxNewTokens: 6 })).text);
  model.dispose();
});

test('<unk> is not generated unless allowed', async () => {
  // Only "the" gets its own id, so after "the" the model has learned to expect <unk>.
  const text = 'the red fox the blue owl the green frog the old cat '.repeat(20);
  const tokenizer = WordTokenizer.fromCorpus(text, { maxSize: 2 });
  const ids = Int32Array.from(tokenizer.encode(text));
  const model = await RNNModel.create({ cell: 'gru', vocabSize: 2, embedSize: 4, hiddenSize: 8, numLayers: 1 }, { seed: 2 });
  const state = model.createState(1);
  for (let epoch = 0; epoch < 30; epoch++) {
    model.trainStep(ids.subarray(0, 60), ids.subarray(1, 61), 60, 1, state, { lr: 0.05 });
  }
  const allowed = await generateText(model, tokenizer, 'the', { maxNewTokens: 6, allowUnknown: true });
  assert.ok(allowed.ids.includes(0), `expected <unk> among ${allowed.ids}`);
  const banned = await generateText(model, tokenizer, 'the', { maxNewTokens: 6 });
  assert.deepEqual(banned.ids, [1, 1, 1, 1, 1, 1]);
  model.dispose();
});

test('plain-JS mistakes in generation options are refused by name, before any work', async () => {
  const tokenizer = CharTokenizer.fromCorpus('abc abc');
  const model = await RNNModel.create({ cell: 'gru', vocabSize: tokenizer.vocabSize, embedSize: 4, hiddenSize: 8, numLayers: 1 });
  const refuse = (options: unknown, pattern: RegExp) => assert.rejects(generateText(model, tokenizer, 'ab', options as never), pattern);
  await refuse(null, /generateText: options must be an object, got null/);
  await refuse({ temprature: 0.5 }, /generateText: unknown option "temprature"; did you mean temperature\?/);
  await refuse({ numBeams: 2 }, /generateText: numBeams is not supported for RNN models/);
  await refuse({ numReturnSequences: 2 }, /generateText: numReturnSequences is not supported for RNN models/);
  await refuse({ initialState: {} }, /generateText: initialState must be a model state \(model\.createState\(1\), or an earlier result's state\), got an object without clone/);
  await refuse({ stop: 5 }, /generateText: stop must be a string or an array of strings, got number 5/);
  await refuse({ stop: ['a', null] }, /generateText: stop\[1\] must be a non-empty string, got null/);
  await assert.rejects(generateText(model, tokenizer, 'ab', { stop: '' }), (e) => e instanceof RangeError && /generateText: stop must be a non-empty string, got ""/.test(e.message));
  assert.throws(() => new RNNChat(model, tokenizer, { maxNewToken: 5 } as never), /RNNChat: unknown option "maxNewToken"; did you mean maxNewTokens\?/);
  assert.throws(() => new RNNChat(model, tokenizer, { onText: () => undefined } as never), /RNNChat: onText is an option of reply/);
  assert.throws(() => new RNNChat(model, tokenizer, { numBeams: 3 } as never), /RNNChat: numBeams is not supported for RNN models/);
  assert.throws(() => new RNNChat(model, tokenizer, { stop: 'zzqx' }), /stop "zzqx" is not in the model's vocabulary/);
  assert.throws(() => new RNNChat(model, tokenizer, { stop: {} as never }), /RNNChat: stop must be a string or an array of strings, got an object/);
  assert.throws(() => new RNNChat(model, tokenizer, { doSample: true, seed: 2 ** 40 }),
    /generate: seed must be an integer from -2147483648 to 4294967295, got 1099511627776/);
  // The seed advances per turn and wraps at 32 bits, as Random reads it: the largest seed lasts a conversation.
  const lastSeed = new RNNChat(model, tokenizer, { maxNewTokens: 2, doSample: true, seed: 0xffffffff });
  const wrapped = new RNNChat(model, tokenizer, { maxNewTokens: 2, doSample: true, seed: -1 });
  for (const turn of ['the cat', 'the dog']) {
    assert.deepEqual((await lastSeed.reply(turn)).ids, (await wrapped.reply(turn)).ids);
  }
  const chat = new RNNChat(model, tokenizer, { maxNewTokens: 2 });
  await assert.rejects(chat.reply('ab', { onTxt: () => undefined } as never), /RNNChat\.reply: unknown option "onTxt"; did you mean onText\?/);
  assert.equal(chat.replies, 0);
  model.dispose();
});

test('a space generated by a character tokenizer stays in the text', async () => {
  const tokenizer = CharTokenizer.fromCorpus('hello world');
  // Greedy decoding writes ' ' every time.
  const model = await biasedCharModel(tokenizer, { ' ': 10, w: 5 });
  const pieces: string[] = [];
  const result = await generateText(model, tokenizer, 'hello', { maxNewTokens: 3, onText: (p) => pieces.push(p) });
  assert.equal(result.text, '   ');
  assert.equal(result.text, tokenizer.decode(result.ids));
  assert.equal(pieces.join(''), result.text);
  const chat = new RNNChat(model, tokenizer, { maxNewTokens: 2, noRepeatNgramSize: 1 });
  assert.equal((await chat.reply('hello')).text, ' w');
  model.dispose();
});

test('when no token is left, the error names the option that banned them, not the batch row or unset options', async () => {
  const tokenizer = CharTokenizer.fromCorpus('ab');
  const model = await biasedCharModel(tokenizer, { a: 10, b: 5 });
  await assert.rejects(generateText(model, tokenizer, 'b', { maxNewTokens: 5, noRepeatNgramSize: 1 }), (e: unknown) =>
    e instanceof RangeError && e.message === 'generateText: after 1 new token no token is left to choose: noRepeatNgramSize=1 bans every ' +
      'token that would repeat a sequence of one token, and <unk> is never generated; raise noRepeatNgramSize or leave it off');
  await assert.rejects(new RNNChat(model, tokenizer, { maxNewTokens: 5, noRepeatNgramSize: 2 }).reply('b'), (e: unknown) =>
    e instanceof RangeError && e.message === 'generateText: after 4 new tokens no token is left to choose: noRepeatNgramSize=2 bans every ' +
      'token that would repeat a sequence of 2 tokens, and <unk> is never generated; raise noRepeatNgramSize or leave it off');
  model.dispose();
});

const gpt2Fixture = (file: string): string => readFileSync(new URL(`../../test/fixtures/gpt2/${file}`, import.meta.url), 'utf8');

test('a character model streams U+FFFD and <unk> as they come', async () => {
  const tokenizer = CharTokenizer.fromCorpus('ab\ufffd');
  const model = await biasedCharModel(tokenizer, { '<unk>': 10, '\ufffd': 5 });
  for (const allowUnknown of [true, false]) {
    const pieces: string[] = [];
    const result = await generateText(model, tokenizer, 'ab', { maxNewTokens: 3, allowUnknown, onText: (p) => pieces.push(p) });
    assert.deepEqual(result.ids, allowUnknown ? [0, 0, 0] : [3, 3, 3]);
    assert.deepEqual(pieces, ['\ufffd', '\ufffd', '\ufffd'], `allowUnknown ${allowUnknown}`);
  }
  model.dispose();
});

test('a BPE model ends its text at <|endoftext|>: finishReason eos, the id kept, no text for it', async () => {
  const tokenizer = BpeTokenizer.fromFiles(gpt2Fixture('vocab.json'), gpt2Fixture('merges.txt'));
  const script = tokenizer.encode('the end.<|endoftext|>Next');
  assert.equal(script[3], 50256);
  const model = await scriptedModel(tokenizer, script);
  const pieces: string[] = [];
  const result = await generateText(model, tokenizer, 'the', { maxNewTokens: 10, onText: (p) => pieces.push(p) });
  assert.deepEqual([result.text, result.ids, result.finishReason], [' end.', script.slice(1, 4), 'eos']);
  assert.equal(pieces.join(''), ' end.');
  model.dispose();
});

test('a BPE model stops at a stop string however the tokens split it', async () => {
  const tokenizer = BpeTokenizer.fromFiles(gpt2Fixture('vocab.json'), gpt2Fixture('merges.txt'));
  const script = tokenizer.encode('the cat saw a dog, then ran 你好.');
  const model = await scriptedModel(tokenizer, script);
  const run = (stop: string | string[]) => generateText(model, tokenizer, 'the', { maxNewTokens: script.length - 1, stop });
  assert.deepEqual((await run([])).text, ' cat saw a dog, then ran 你好.');
  // "dog" is token 9703, but the text holds " dog", token 3290.
  for (const [stop, text] of [['dog', ' cat saw a dog'], [' dog', ' cat saw a dog'], ['do', ' cat saw a dog'], ['saw a', ' cat saw a'],
    ['og, th', ' cat saw a dog, then'], [',', ' cat saw a dog,'], ['好', ' cat saw a dog, then ran 你好'], ['ran 你', ' cat saw a dog, then ran 你']]) {
    const result = await run(stop!);
    assert.deepEqual([result.text, result.finishReason], [text, 'stop'], `stop ${JSON.stringify(stop)}`);
  }
  // Only the generated text counts: the seed's "the" does not stop it, the generated " then" does.
  const later = await run(['the', 'zebra']);
  assert.deepEqual([later.text, later.finishReason], [' cat saw a dog, then', 'stop']);
  model.dispose();
});
