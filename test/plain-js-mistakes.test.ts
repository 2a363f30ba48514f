// The slips a plain JavaScript caller makes, which no type checker catches: a model used without
// `await`, arguments swapped or left out, text where ids are wanted, a model where its checkpoint content
// is wanted. Each is an error that names the argument, what came, and what to pass instead, rather than
// a TypeError from deep inside ("cannot read properties of undefined").
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeCheckpoint,
  generate,
  generateText,
  Gpt2Chat,
  loadGpt2,
  RNNChat,
  RNNModel,
  splitValidation,
  train,
  WordTokenizer,
  evaluateLoss,
} from '../src/index.js';
import { TINY } from './helpers/gpt2-fixtures.js';

const text = 'the cat sat on the mat and the dog sat on the log '.repeat(20);
const tokenizer = WordTokenizer.fromCorpus(text);
const config = { cell: 'gru' as const, vocabSize: tokenizer.vocabSize, embedSize: 4, hiddenSize: 8, numLayers: 1 };
const model = await RNNModel.create(config, { seed: 1 });
const ids = Int32Array.from(tokenizer.encode(text));
const gpt2 = await loadGpt2(TINY, { cache: null, threads: 1 });
const loose = (value: unknown) => value as never;
const trainOptions = { epochs: 1, lr: 0.01, batchSize: 2, seqLen: 4 };

after(async () => {
  model.dispose();
  await gpt2.release();
});

test('a model from RNNModel.create used without await: generateText, RNNChat, train and evaluateLoss say to await it', async () => {
  const pending = RNNModel.create(config);
  const awaitIt = /the model must be an RNNModel \(from await RNNModel\.create\(config\)\), got a Promise: await it first/;
  await assert.rejects(generateText(loose(pending), tokenizer, 'the cat'), new RegExp(`^TypeError: generateText: ${awaitIt.source}`));
  assert.throws(() => new RNNChat(loose(pending), tokenizer), new RegExp(`^TypeError: RNNChat: ${awaitIt.source}`));
  await assert.rejects(train(loose(pending), splitValidation(ids, 0.1), trainOptions), new RegExp(`^TypeError: train: ${awaitIt.source}`));
  await assert.rejects(evaluateLoss(loose(pending), ids, 2, 4), new RegExp(`^TypeError: evaluateLoss: ${awaitIt.source}`));
  (await pending).dispose();
});

test('generateText with its model and tokenizer swapped, or without the tokenizer, names the argument that is wrong', async () => {
  await assert.rejects(generateText(loose(tokenizer), loose(model), 'the cat'),
    /^TypeError: generateText: the model must be an RNNModel \(from await RNNModel\.create\(config\)\), got an instance of WordTokenizer$/);
  await assert.rejects(generateText(model, loose('the cat'), loose(undefined)),
    /^TypeError: generateText: the tokenizer must be the tokenizer the model was trained with, got "the cat"$/);
});

test('token ids as a plain array (tokenizer.encode gives one) are refused with the conversion to make', () => {
  assert.throws(() => splitValidation(loose(tokenizer.encode(text)), 0.1),
    /^TypeError: splitValidation: ids must be an Int32Array \(Int32Array\.from\(tokenizer\.encode\(text\)\)\), got an array of length 260$/);
  assert.throws(() => splitValidation(loose(text), 0.1), /^TypeError: splitValidation: ids must be an Int32Array .*, got "the cat sat/);
});

test('text where ids are wanted, in decode, generateIds and stream, points to the call that takes text', async () => {
  assert.throws(() => tokenizer.decode(loose('the cat')),
    /^TypeError: word tokenizer decode: expected an array of token ids, got "the cat"; encode\(text\) gives the ids of a text$/);
  assert.throws(() => gpt2.decode(loose(5)), /^TypeError: BpeTokenizer\.decode: expected an array of token ids, got number 5/);
  await assert.rejects(gpt2.generateIds(loose('Hello')),
    /^TypeError: generateIds: expected an array of token-id arrays, one per prompt \(e\.g\. \[gpt2\.encode\(text\)\]\), got "Hello"; generate\(\) takes text$/);
  await assert.rejects(gpt2.generate(loose([15496, 11])), /got \[15496,11\]; generateIds\(\) takes token ids$/);
  await assert.rejects(gpt2.stream(loose(['Hello', 'Hi'])).next(),
    /^TypeError: stream: expected one prompt string, got an array of length 2; generate\(\) takes several prompts$/);
});

test('generate() given a pipeline or a pending model instead of a LogitsSource says what to pass', async () => {
  await assert.rejects(generate(loose(gpt2), [[1, 2]]), /^TypeError: generate: source must implement LogitsSource .*\(gpt2\.model\).*got an instance of Gpt2Pipeline$/);
  await assert.rejects(generate(loose(Promise.resolve(gpt2.model)), [[1, 2]]), /got a Promise: await it first$/);
});

test('Gpt2Chat given loadGpt2() without await says to await it', () => {
  assert.throws(() => new Gpt2Chat(loose(Promise.resolve(gpt2))),
    /^TypeError: Gpt2Chat: the pipeline must be a Gpt2Pipeline \(from await loadGpt2\(\.\.\.\)\), got a Promise: await it first$/);
});

test('a checkpoint of the model itself, new RNNModel(), and a disposed model each say what to do instead', async () => {
  assert.throws(() => encodeCheckpoint(loose(model)),
    /^TypeError: encodeCheckpoint: expected the checkpoint content, got the model itself; pass modelContent\(model, model\.config, \{ tokenizer: tokenizer\.toJSON\(\) \}\)$/);
  const Constructor = RNNModel as unknown as new (c: unknown) => RNNModel;
  assert.throws(() => new Constructor(config), /^TypeError: RNNModel: models are made with `await RNNModel\.create\(config, options\)`/);
  const gone = await RNNModel.create(config);
  gone.dispose();
  await assert.rejects(generateText(gone, tokenizer, 'the cat'), /this model has been disposed .*make a new one with RNNModel\.create/);
});

test('generations started without awaiting the one before run one after another, as if awaited', async () => {
  const greedy = { maxNewTokens: 6 };
  const one = await gpt2.generate('Hello there', greedy);
  const two = await gpt2.generate('How are', greedy);
  const pieces: string[] = [];
  const streamed = (async () => {
    for await (const piece of gpt2.stream('How are', greedy)) pieces.push(piece);
  })();
  const [a, b] = await Promise.all([gpt2.generate('Hello there', greedy), gpt2.generate('How are', greedy), streamed]);
  assert.deepEqual([a.texts, b.texts], [one.texts, two.texts]);
  assert.equal(`How are${pieces.join('')}`, two.texts[0]);

  const said = async (chat: Gpt2Chat, overlap: boolean): Promise<string[]> => {
    if (overlap) return (await Promise.all([chat.say('Hello'), chat.say('How are you?')])).map((r) => r.text);
    return [(await chat.say('Hello')).text, (await chat.say('How are you?')).text];
  };
  const apart = new Gpt2Chat(gpt2, { generation: greedy });
  const together = new Gpt2Chat(gpt2, { generation: greedy });
  assert.deepEqual(await said(together, true), await said(apart, false));
  assert.deepEqual(together.history, apart.history);

  const replies = async (chat: RNNChat, overlap: boolean): Promise<string[]> => {
    if (overlap) return (await Promise.all([chat.reply('the cat'), chat.reply('the dog')])).map((r) => r.text);
    return [(await chat.reply('the cat')).text, (await chat.reply('the dog')).text];
  };
  const sampled = { maxNewTokens: 8, doSample: true, seed: 5 };
  assert.deepEqual(await replies(new RNNChat(model, tokenizer, sampled), true), await replies(new RNNChat(model, tokenizer, sampled), false));
});

test('option values of the wrong type name the option and show the value as written', async () => {
  await assert.rejects(train(model, splitValidation(ids, 0.1), { ...trainOptions, epochs: loose('2') }), /^RangeError: train: epochs must be a positive integer, got "2"$/);
  await assert.rejects(train(model, splitValidation(ids, 0.1), { ...trainOptions, lr: loose('0.01') }), /^RangeError: train: lr must be a positive number, got "0.01"$/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { stop: loose(5) }), /^TypeError: generateText: stop must be a string or an array of strings, got number 5$/);
  await assert.rejects(generateText(model, tokenizer, 'the cat', { onText: loose('print') }), /^TypeError: generateText: onText must be a function, got "print"$/);
});

test('the token ids where their split is wanted, and no text where a corpus is wanted, say what to pass', async () => {
  await assert.rejects(train(model, loose(ids), trainOptions),
    /^TypeError: train: data must be \{ train, validation \} token ids \(.*splitValidation\(ids, 0\.1\) splits an Int32Array\), got an instance of Int32Array$/);
  assert.throws(() => WordTokenizer.fromCorpus(loose(undefined)),
    /^TypeError: WordTokenizer\.fromCorpus: expected the corpus as a string or an iterable of strings, got undefined$/);
  assert.throws(() => WordTokenizer.fromCorpus(loose([text, 5])),
    /^TypeError: WordTokenizer\.fromCorpus: expected the corpus as a string or an iterable of strings, got one that holds number 5$/);
});
