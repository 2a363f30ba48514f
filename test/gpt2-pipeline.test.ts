/**
 * Text in, text out with the tiny GPT-2 fixture: tokenizer + model + generation defaults, batches,
 * streaming, the tutorial's calls, and the chat session.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gpt2Chat, loadGpt2, type Gpt2Pipeline } from '../src/gpt2/index.js';
import { reference, TINY, TINY_TOKENIZER_JSON } from './helpers/gpt2-fixtures.js';
import type { GenerateOptions } from '../src/generate/index.js';
import { Random } from '../src/util/random.js';

const NEW = reference.max_new_tokens;
const gpt2 = await loadGpt2(TINY, { cache: null, threads: 1 });
const pair = await loadGpt2(TINY, { cache: null, threads: 1, layout: 'pair' });
after(async () => {
  await gpt2.release();
  await pair.release();
});

test('prompts encode to the reference ids with vocab.json + merges.txt and with tokenizer.json', async () => {
  const fromJson = await loadGpt2(TINY_TOKENIZER_JSON, { cache: null, threads: 1, dtype: 'q8' });
  for (const prompt of reference.prompts) {
    assert.deepEqual(gpt2.encode(prompt.text), prompt.ids);
    assert.deepEqual(fromJson.encode(prompt.text), prompt.ids);
  }
  const out = await fromJson.generate(reference.prompts[0]!.text, { maxNewTokens: NEW });
  assert.deepEqual(out.result.sequences[0], reference.prompts_quantized[0]!.greedy);
  await fromJson.release();
});

test('greedy text is the decoded reference; EOS comes from generation_config.json', async () => {
  for (const prompt of reference.prompts) {
    const out = await gpt2.generate(prompt.text, { maxNewTokens: NEW });
    assert.deepEqual(out.result.sequences[0], prompt.greedy);
    assert.equal(out.texts[0], gpt2.decode(prompt.greedy));
    assert.equal(out.texts[0], prompt.text + out.newTexts[0]);
  }
  assert.equal(gpt2.options().eosTokenId, 50256);
});

async function batchEqualsAlone(p: Gpt2Pipeline): Promise<void> {
  const texts = reference.prompts.map((x) => x.text);
  const batch = await p.generate(texts, { maxNewTokens: NEW, noRepeatNgramSize: 2 });
  assert.deepEqual(batch.result.sequences, reference.prompts.map((x) => x.no_repeat_ngram_size_2));
}

test('a batch of prompts of different lengths gives each prompt\'s text alone (padded batch)', () => batchEqualsAlone(gpt2));
test('an export without position_ids runs prompts of different lengths one at a time', () => batchEqualsAlone(pair));

test('prompts run one at a time report each token and stop check under its row in the whole result', async () => {
  const texts = reference.prompts.map((x) => x.text);
  const rowsOf = async (p: Gpt2Pipeline, options: GenerateOptions): Promise<[number, number][]> => {
    const seen: [number, number][] = [];
    await p.generate(texts, { ...options, maxNewTokens: 3, onToken: (row, token) => seen.push([row, token]) });
    return seen.sort((a, b) => a[0] - b[0]);
  };
  const greedy = await rowsOf(gpt2, {});
  assert.deepEqual(await rowsOf(pair, {}), greedy);
  assert.deepEqual(greedy.map(([row]) => row), texts.flatMap((_, p) => [p, p, p]));
  const sampled = await rowsOf(pair, { doSample: true, seed: 1, numReturnSequences: 2 });
  assert.deepEqual([...new Set(sampled.map(([row]) => row))], texts.flatMap((_, p) => [2 * p, 2 * p + 1]));
  const checked = new Set<number>();
  await pair.generate(texts, { maxNewTokens: 2, stoppingCriteria: (_, row) => (checked.add(row), false) });
  assert.deepEqual([...checked], texts.map((_, p) => p));
  await assert.rejects(pair.generate(texts, { maxNewTokens: 2, doSample: true, seed: 1, random: new Random(1) }), /give either seed or random, not both/);
});

test('the tutorial\'s call: max_length=50, no_repeat_ngram_size=2, do_sample; a seed fixes the text', async () => {
  const prompt = 'How are you feeling today?';
  const options = { maxLength: 50, numReturnSequences: 1, noRepeatNgramSize: 2, doSample: true, seed: 42 };
  const a = await gpt2.generate(prompt, options);
  const b = await gpt2.generate(prompt, options);
  assert.equal(a.texts.length, 1);
  assert.equal(a.texts[0], b.texts[0]);
  assert.ok(a.texts[0]!.startsWith(prompt));
  const ids = a.result.sequences[0]!;
  assert.ok(ids.length <= 50 && ids.length > 6, `length ${ids.length}`);
  for (let i = 0; i + 1 < ids.length; i++) {
    for (let j = i + 1; j + 1 < ids.length; j++) {
      assert.ok(ids[i] !== ids[j] || ids[i + 1] !== ids[j + 1], `bigram ${ids[i]},${ids[i + 1]} repeats at ${i} and ${j}`);
    }
  }
  const three = await gpt2.generate(prompt, { ...options, numReturnSequences: 3, seed: 3 });
  assert.equal(three.texts.length, 3);
  assert.equal(new Set(three.texts).size, 3);
});

test('stream() yields the same text as generate() with the same seed', async () => {
  const options = { maxNewTokens: 16, doSample: true, seed: 5 };
  let streamed = '';
  for await (const piece of gpt2.stream('Hello, how are you?', options)) streamed += piece;
  const whole = await gpt2.generate('Hello, how are you?', options);
  assert.equal(streamed, whole.newTexts[0]);
  assert.ok(streamed.length > 0);
});

test('context overflow and invalid options are errors naming what to change', async () => {
  const long = 'word '.repeat(200);
  await assert.rejects(gpt2.generate(long, { maxNewTokens: 5 }), /prompt \(\d+ tokens\) plus new tokens would reach \d+ positions, over the model's context of 128/);
  await assert.rejects(gpt2.generate('Hello', { maxNewTokens: 200 }), /context of 128 \(n_positions\)/);
  await assert.rejects(gpt2.generate('Hello', { maxNewTokens: 5, topK: 5 }), /topK=5 only applies when sampling/);
  await assert.rejects(gpt2.generate('Hello', { maxNewTokens: 5, top_k: 5 } as never), /unknown option "top_k"/);
  await assert.rejects(gpt2.generate('', { maxNewTokens: 5 }), /prompt 0 is empty/);
  await assert.rejects(gpt2.generate('Hello', { maxNewTokens: 0 }), /maxNewTokens must be an integer >= 1, got 0/);
});

test('the tutorial\'s conversation runs and keeps the encoded history', async () => {
  const chat = new Gpt2Chat(gpt2, { preamble: "Hello, I'm an AI model. ", generation: { maxNewTokens: 12 } });
  const reply = await chat.say('Hello, how are you?');
  assert.equal(typeof reply.text, 'string');
  assert.equal(reply.finishReason, 'length');
  const context = chat.context();
  assert.deepEqual(context.slice(0, 15), [...reference.prompts[1]!.ids, ...reference.prompts[2]!.ids]);
  assert.equal(gpt2.decode(context.slice(15)), reply.text);
  // Greedy: the reply is what the model itself continues from preamble + turn.
  const direct = await gpt2.generateIds([context.slice(0, 15)], { maxNewTokens: 12 });
  assert.equal(reply.text, gpt2.decode(direct.newTokens[0]!));
  assert.deepEqual(chat.history.map((t) => t.role), ['user', 'model']);
});

test('a user typing <|endoftext|> gives its characters, not EOS; the preamble and the model\'s own EOS stay special', async () => {
  const marker = '<|endoftext|>';
  const typed = `Bye ${marker} hi`;
  const plain = gpt2.encode(typed);
  assert.ok(!plain.includes(50256), JSON.stringify(plain));
  assert.equal(gpt2.decode(plain), typed);
  assert.deepEqual(gpt2.encode(typed, { specialTokens: 'special' }), [...gpt2.encode('Bye '), 50256, ...gpt2.encode(' hi')]);

  const chat = new Gpt2Chat(gpt2, { preamble: `First.${marker}`, generation: { maxNewTokens: 6 } });
  const reply = await chat.say(typed);
  assert.deepEqual(chat.history[0]!.ids, plain);
  assert.equal(chat.context().filter((id) => id === 50256).length, 1, 'only the preamble holds EOS');
  assert.equal(chat.context()[gpt2.encode('First.').length], 50256);
  assert.equal(reply.finishReason, 'length');
  // A pipeline prompt is user text too: it generates from the marker's characters.
  const out = await gpt2.generate(typed, { maxNewTokens: 4 });
  assert.deepEqual(out.result.sequences[0]!.slice(0, plain.length), plain);
  // The model's own EOS still ends a reply: make the first id it would produce the end of text.
  const ending = new Gpt2Chat(gpt2, { generation: { maxNewTokens: 6, eosTokenId: out.result.newTokens[0]![0]! } });
  assert.equal((await ending.say(typed)).finishReason, 'eos');
});

test('chat trims the oldest turns to fit n_positions and keeps the preamble', async () => {
  const chat = new Gpt2Chat(gpt2, { preamble: 'Preamble stays. ', generation: { maxNewTokens: 20 } });
  let trimmed = 0;
  for (let i = 0; i < 6; i++) {
    const reply = await chat.say(`Turn ${i}: ${'tell me more about the weather '.repeat(4)}`);
    trimmed += reply.trimmedTurns;
    assert.ok(chat.context().length <= 128, `context ${chat.context().length}`);
  }
  assert.ok(trimmed > 0, 'some turns were dropped');
  const preamble = gpt2.encode('Preamble stays. ');
  assert.deepEqual(chat.context().slice(0, preamble.length), preamble);
  assert.equal(chat.history[chat.history.length - 2]!.text.startsWith('Turn 5'), true);
  const huge = new Gpt2Chat(gpt2, { preamble: 'x '.repeat(100), generation: { maxNewTokens: 20 } });
  await assert.rejects(huge.say('y '.repeat(20)), /leave no room for 20 new tokens in the model's context of 128/);
  assert.equal(huge.history.length, 0, 'a refused turn is not kept');
  assert.throws(() => new Gpt2Chat(gpt2, { generation: { maxLength: 60 } }), /maxLength does not apply to a conversation; set maxNewTokens/);
  assert.throws(() => new Gpt2Chat(gpt2, { stops: ['.'] } as never), /Gpt2Chat: unknown option "stops"; did you mean stop\?/);
  assert.throws(() => new Gpt2Chat(gpt2, { generation: { topK: 3 } }), /topK=3 only applies when sampling/, 'options are checked before the first turn');
  assert.throws(() => new Gpt2Chat(gpt2, { generation: { numReturnSequences: 2, doSample: true } }), /numReturnSequences must be 1: a conversation keeps one reply per turn/);
});

test('a turn that is refused or fails leaves the conversation as it was', async () => {
  const controller = new AbortController();
  const chat = new Gpt2Chat(gpt2, { preamble: 'Hi. ', generation: { maxNewTokens: 5, signal: controller.signal } });
  await chat.say('Hello, how are you?');
  await chat.say('Fine, thanks.');
  const kept = chat.exportHistory();
  // Too long to fit even alone: trim() drops every earlier turn before it finds out.
  await assert.rejects(chat.say('word '.repeat(200)), /leave no room for 5 new tokens/);
  assert.deepEqual(chat.exportHistory(), kept);
  controller.abort();
  await assert.rejects(chat.say('Still there?'), { name: 'AbortError' });
  assert.deepEqual(chat.exportHistory(), kept);
});

test('chat stops at a stop string and at EOS; history exports and imports', async () => {
  const plain = new Gpt2Chat(gpt2, { generation: { maxNewTokens: 12 } });
  const full = (await plain.say('Hello, how are you?')).text;
  const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 2);
  const stopping = new Gpt2Chat(gpt2, { generation: { maxNewTokens: 12 }, stop: [stop] });
  const cut = await stopping.say('Hello, how are you?');
  assert.equal(cut.finishReason, 'stop');
  assert.equal(cut.text, full.slice(0, full.indexOf(stop)));

  const third = plain.history[1]!.ids[2]!;
  const ending = new Gpt2Chat(gpt2, { generation: { maxNewTokens: 12, eosTokenId: third } });
  const early = await ending.say('Hello, how are you?');
  assert.equal(early.finishReason, 'eos');
  assert.deepEqual(ending.history[1]!.ids, plain.history[1]!.ids.slice(0, 2));

  const saved = JSON.parse(JSON.stringify(plain.exportHistory()));
  const restored = new Gpt2Chat(gpt2, { generation: { maxNewTokens: 12 } });
  restored.importHistory(saved);
  assert.deepEqual(restored.context(), plain.context());
  assert.equal((await restored.say('And then?')).text, (await plain.say('And then?')).text);
  assert.throws(() => restored.importHistory({ ...saved, format: 'other' }), /format is "other", expected "textloom-gpt2-chat"/);
  assert.throws(() => restored.importHistory({ ...saved, turns: [{ role: 'user', text: 'x', ids: [60000] }] }), /turns\[0\]\.ids must be token ids in \[0, 50256\]/);
  assert.throws(() => new Gpt2Chat(gpt2, { stop: [''] }), /stop must be an array of non-empty strings/);
});
