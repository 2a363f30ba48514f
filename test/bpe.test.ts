import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BpeTokenizer } from '../src/text/bpe.js';
import { BYTE_TO_CHAR } from '../src/text/byte-level.js';
import { tokenizerFromJSON } from '../src/text/json.js';
import { Random } from '../src/util/random.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/gpt2/${name}`, import.meta.url), 'utf8');
const vocabText = fixture('vocab.json');
const mergesText = fixture('merges.txt');
const gpt2 = BpeTokenizer.fromFiles(vocabText, mergesText);
const EOT = 50256;

test('ids equal GPT2Tokenizer on every named fixture case', () => {
  const { cases } = JSON.parse(fixture('bpe_cases.json'));
  assert.equal(cases.length, 53);
  for (const c of cases) {
    // The fixture writes <|endoftext|> inside text as text.
    assert.deepEqual(gpt2.encode(c.text, { specialTokens: 'text' }), c.ids, c.name);
    if (!c.text.includes('<|endoftext|>')) assert.deepEqual(gpt2.encode(c.text), c.ids, c.name);
    assert.equal(gpt2.decode(c.ids), c.text, c.name);
  }
  assert.deepEqual(gpt2.encode('How are you feeling today?'), [2437, 389, 345, 4203, 1909, 30]);
});

test('ids equal GPT2Tokenizer, tokenizers and tiktoken on random Unicode strings', () => {
  const { cases } = JSON.parse(fixture('bpe_random_cases.json'));
  assert.ok(cases.length >= 400);
  for (const c of cases) {
    assert.deepEqual(gpt2.encode(c.text), c.ids, JSON.stringify(c.text));
    assert.equal(gpt2.decode(c.ids), c.text);
    assert.deepEqual(gpt2.encodeInt32(c.text), Int32Array.from(c.ids));
  }
});

test('<|endoftext|> in text: matched as id 50256 by default (GPT2Tokenizer), ordinary text on request', () => {
  const { special_cases: cases } = JSON.parse(fixture('bpe_random_cases.json'));
  assert.ok(cases.length >= 30);
  for (const c of cases) assert.deepEqual(gpt2.encode(c.text), c.ids, JSON.stringify(c.text));
  assert.deepEqual(gpt2.encode('Hello<|endoftext|>World'), [15496, EOT, 10603]);
  assert.deepEqual(gpt2.encode('Hello<|endoftext|>World', { specialTokens: 'text' }),
    [15496, 27, 91, 437, 1659, 5239, 91, 29, 10603]);
  assert.equal(gpt2.endOfTextId, EOT);
  assert.deepEqual([...gpt2.specialTokens], [['<|endoftext|>', EOT]]);
  assert.throws(() => gpt2.encode('x', { specialTokens: 'all' as 'text' }), /must be 'text' or 'special', got "all"/);
  assert.throws(() => gpt2.encode('x', { allowedSpecial: 'all' } as never), /BpeTokenizer\.encode: unknown option "allowedSpecial"; known options: specialTokens/);
  assert.throws(() => gpt2.decode([EOT], { skip_special_tokens: true } as never), /BpeTokenizer\.decode: unknown option "skip_special_tokens"; did you mean skipSpecialTokens\?/);
  assert.throws(() => BpeTokenizer.fromFiles(vocabText, mergesText, { cache: 10 } as never), /BpeTokenizer: unknown option "cache"; known options: cacheSize/);
  assert.deepEqual(gpt2.encodeInt32('a<|endoftext|>'), Int32Array.from([64, EOT]));
});

test('decode replaces broken UTF-8 as GPT2Tokenizer does, and skips special tokens on request', () => {
  const { decode_cases: cases } = JSON.parse(fixture('bpe_random_cases.json'));
  assert.ok(cases.length >= 300);
  let replaced = 0;
  for (const c of cases) {
    assert.equal(gpt2.decode(c.ids), c.text, JSON.stringify(c.ids));
    assert.equal(gpt2.decode(c.ids, { skipSpecialTokens: true }), c.skip_special, JSON.stringify(c.ids));
    if (c.text.includes('\ufffd')) replaced++;
  }
  assert.ok(replaced > 50, `only ${replaced} cases exercise replacement`);
});

/** A random string of code points drawn from ranges that stress the pre-tokenizer and UTF-8. */
function randomText(rng: Random, length: number): string {
  const pools: Array<[number, number]> = [
    [0x20, 0x7e], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x10000, 0x10ffff],
    [0x85, 0x85], [0xfeff, 0xfeff], [0x2000, 0x200d], [0x09, 0x0d], [0xac00, 0xd7a3], [0x80, 0x7ff],
  ];
  let s = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = pools[rng.int(pools.length)];
    let cp = lo + rng.int(hi - lo + 1);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    s += String.fromCodePoint(cp);
  }
  return s;
}

test('round trips are byte exact on random Unicode text', () => {
  const rng = new Random(7);
  const encoder = new TextEncoder();
  for (let k = 0; k < 300; k++) {
    const text = randomText(rng, 1 + rng.int(60));
    const ids = gpt2.encode(text);
    assert.equal(gpt2.decode(ids), text);
    assert.deepEqual(gpt2.decodeBytes(ids), encoder.encode(text));
  }
});

test('long pre-tokens (the heap-based merge) give the reference ids', () => {
  const { long_cases: cases } = JSON.parse(fixture('bpe_random_cases.json'));
  assert.ok(cases.length >= 80);
  let long = 0;
  for (const c of cases) {
    assert.deepEqual(gpt2.encode(c.text), c.ids, JSON.stringify(c.text));
    if (new TextEncoder().encode(c.text).length > 40) long++;
  }
  assert.ok(long > 40, `only ${long} cases have a piece longer than the quadratic path takes`);
});

test('a long piece (no spaces) encodes fast and exactly', () => {
  const word = 'abcdefghij'.repeat(20000);
  const t0 = performance.now();
  const ids = gpt2.encode(word);
  assert.ok(performance.now() - t0 < 5000);
  assert.equal(gpt2.decode(ids), word);
  const short = 'abcdefghij'.repeat(3);
  assert.deepEqual(ids.slice(0, 3), gpt2.encode(short).slice(0, 3));
});

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('the stream decoder never emits half a character and equals decode', () => {
  const text = 'Family: 👨‍👩‍👧 and 👍🏽, 한국어 and ＡＢＣ<|endoftext|>done 🔥';
  const ids = gpt2.encode(text);
  const stream = gpt2.createStreamDecoder();
  const pieces = ids.map((id) => stream.push(id));
  pieces.push(stream.flush());
  assert.equal(pieces.join(''), text);
  for (const piece of pieces) {
    assert.doesNotMatch(piece, /\ufffd/);
    assert.doesNotMatch(piece, LONE_SURROGATE);
  }
  // 😀 is F0 9F 98 80: the first id holds three of its bytes, so it alone gives nothing.
  const emojiIds = gpt2.encode('😀');
  assert.deepEqual(emojiIds.map((id) => gpt2.decodeBytes([id]).length), [3, 1]);
  const s2 = gpt2.createStreamDecoder();
  assert.deepEqual(emojiIds.map((id) => s2.push(id)), ['', '😀']);
  assert.equal(s2.flush(), '');
});

test('the stream decoder matches decode on random splits, replacement and skipped specials included', () => {
  const { decode_cases: cases } = JSON.parse(fixture('bpe_random_cases.json'));
  const rng = new Random(3);
  for (const c of cases) {
    for (const skip of [false, true]) {
      const stream = gpt2.createStreamDecoder({ skipSpecialTokens: skip });
      let text = '';
      for (let i = 0; i < c.ids.length; ) {
        const n = 1 + rng.int(3);
        text += stream.push(c.ids.slice(i, i + n));
        i += n;
      }
      text += stream.flush();
      assert.equal(text, skip ? c.skip_special : c.text, JSON.stringify(c.ids));
    }
  }
  const stream = gpt2.createStreamDecoder();
  assert.equal(stream.push(gpt2.encode('😀').slice(0, 1)), '');
  assert.equal(stream.flush(), '\ufffd');
  assert.throws(() => stream.push([50257]), /position 0 is 50257, expected an integer in \[0, 50257\)/);
});

test('tokenizer.json loads with both merge forms and gives the same ids', () => {
  const vocab = JSON.parse(vocabText);
  const merges = mergesText.split('\n').filter((l) => l && !l.startsWith('#version'));
  const base = {
    version: '1.0',
    added_tokens: [{ id: EOT, content: '<|endoftext|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel' },
  };
  const text = "It's 2026: naïve café, 🔥🔥 and <|endoftext|>\u0085\ufeff!";
  const expected = gpt2.encode(text);
  for (const form of [merges, merges.map((m) => m.split(' '))]) {
    const tok = BpeTokenizer.fromTokenizerJSON(JSON.stringify({ ...base, model: { type: 'BPE', vocab, merges: form } }));
    assert.equal(tok.vocabSize, 50257);
    assert.deepEqual(tok.encode(text), expected);
  }
  const withAdded = BpeTokenizer.fromTokenizerJSON({
    ...base,
    added_tokens: [...base.added_tokens, { id: 50257, content: '<|pad here|>', special: false }],
    model: { type: 'BPE', vocab, merges },
  });
  assert.equal(withAdded.vocabSize, 50258);
  assert.deepEqual(withAdded.encode('a<|pad here|>b'), [64, 50257, 65]);
  assert.equal(withAdded.decode([64, 50257, 65], { skipSpecialTokens: true }), 'a<|pad here|>b');
});

test('BPE JSON round trip through tokenizerFromJSON', () => {
  const json = JSON.parse(JSON.stringify(gpt2.toJSON()));
  assert.equal(json.kind, 'bpe');
  const back = tokenizerFromJSON(json);
  assert.equal(back.kind, 'bpe');
  assert.equal(back.vocabSize, 50257);
  const text = 'Round trip: ☃ <|endoftext|>';
  assert.deepEqual(back.encode(text), gpt2.encode(text));
  assert.equal(gpt2.idToToken(262), 'Ġthe');
  assert.equal(gpt2.tokenToId('Ġthe'), 262);
});

/** GPT-2 with added tokens whose contents are also entries of other ids ("hello" is 31373, "Ġthe" 262). */
function gpt2WithAddedEntries(): BpeTokenizer {
  return BpeTokenizer.fromTokenizerJSON({
    model: { type: 'BPE', vocab: JSON.parse(vocabText), merges: mergesText.split('\n').slice(1).filter((line) => line.length > 0) },
    pre_tokenizer: { type: 'ByteLevel' },
    added_tokens: [
      { id: EOT, content: '<|endoftext|>', special: true },
      { id: 50257, content: 'hello', special: true },
      { id: 50258, content: 'Ġthe', special: false },
    ],
  });
}

test('an added token with the content of a vocabulary entry matches its text only; merges keep the entry\'s id', () => {
  const tokenizer = gpt2WithAddedEntries();
  assert.deepEqual(tokenizer.encode('hello Ġthe the<|endoftext|>'), [50257, 220, 50258, 262, EOT]);
  assert.deepEqual(tokenizer.encode('hello the', { specialTokens: 'text' }), gpt2.encode('hello the', { specialTokens: 'text' }));
  assert.equal(tokenizer.decode([31373, 50257, 262, 50258]), 'hellohello theĠthe');
});

test('BPE JSON round trip keeps added tokens whose content is also another id\'s entry', () => {
  const tokenizer = gpt2WithAddedEntries();
  const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON()))) as BpeTokenizer;
  assert.equal(back.vocabSize, 50259);
  const text = 'hello Ġthe the<|endoftext|> hello';
  assert.deepEqual(back.encode(text), tokenizer.encode(text));
  assert.deepEqual(back.toJSON(), tokenizer.toJSON());
});

test('bad vocab, merges and tokenizer.json files get errors that say what is wrong', () => {
  const vocab = JSON.parse(vocabText);
  assert.throws(() => BpeTokenizer.fromFiles('{"a": ', mergesText), /vocab\.json: not valid JSON/);
  assert.throws(() => BpeTokenizer.fromFiles('[1,2]', mergesText), /expected the vocabulary as an object/);
  assert.throws(() => BpeTokenizer.fromFiles({ a: 0, b: 0 }, ''), /tokens "a" and "b" share id 0/);
  assert.throws(() => BpeTokenizer.fromFiles({ a: 0, b: 2 }, ''), /no token has id 1/);
  assert.throws(() => BpeTokenizer.fromFiles({ a: 0, b: -1 }, ''), /id of "b" is number -1/);
  assert.throws(() => BpeTokenizer.fromFiles({ a: 0 }, ''), /no token for byte 0/);
  assert.throws(() => BpeTokenizer.fromFiles({ ...vocab, 'a b': 50257 }, ''), /token 50257 "a b" has characters outside/);
  assert.throws(() => BpeTokenizer.fromFiles(vocab, '#version: 0.2\nĠ t\nthree parts here\n'),
    /merges\.txt: line 3 is "three parts here", expected two tokens separated by one space/);
  assert.throws(() => BpeTokenizer.fromFiles(vocab, 'Ġ t\nzzzzq x\n'),
    /merge 2 \("zzzzq" "x"\) needs "zzzzq", which is not in the vocabulary/);
  const tj = (patch: object) => JSON.stringify({
    model: { type: 'BPE', vocab, merges: [] }, pre_tokenizer: { type: 'ByteLevel' }, ...patch,
  });
  assert.throws(() => BpeTokenizer.fromTokenizerJSON('nope'), /tokenizer\.json: not valid JSON/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ model: { type: 'WordPiece', vocab } })), /model\.type is "WordPiece", expected "BPE"/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ pre_tokenizer: { type: 'Metaspace' } })), /pre_tokenizer is "Metaspace", expected "ByteLevel"/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true } })), /add_prefix_space=true/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ normalizer: { type: 'NFC' } })), /normalizer of type "NFC" is not supported/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ model: { type: 'BPE', vocab, merges: [3] } })), /model\.merges\[0\] is number 3/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ added_tokens: [{ id: 'x' }] })), /added_tokens\[0\] must be/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ added_tokens: [{ id: EOT, content: '<|endoftext|>', lstrip: true }] })),
    /sets lstrip=true, which is not supported/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ post_processor: { type: 'TemplateProcessing' } })),
    /post_processor of type "TemplateProcessing" is not supported/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ model: { type: 'BPE', vocab, merges: [], dropout: 0.1 } })),
    /model\.dropout is number 0\.1/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ model: { type: 'BPE', vocab, merges: [], ignore_merges: true } })),
    /model\.ignore_merges is boolean true/);
  assert.throws(() => BpeTokenizer.fromTokenizerJSON(tj({ added_tokens: [{ id: 0, content: 'zz' }] })), /added token "zz" has id 0, already "!"/);
  assert.throws(() => tokenizerFromJSON('{'), /not valid JSON/);
  assert.throws(() => tokenizerFromJSON({ format: 'textloom-tokenizer', version: 1, kind: 'sentencepiece' }), /expected kind "word", "char" or "bpe", got "sentencepiece"/);
  assert.throws(() => gpt2.decode([-1]), /position 0 is -1/);
  assert.throws(() => gpt2.encode(undefined as unknown as string), /expected a string, got undefined/);
});

test('merges apply by rank, and a pair listed twice keeps its later rank (as tokenizers does)', () => {
  const vocab: Record<string, number> = {};
  [...BYTE_TO_CHAR].sort().forEach((c, i) => (vocab[c] = i));
  for (const t of ['ab', 'bc', 'abc']) vocab[t] = Object.keys(vocab).length;
  const pieces = (merges: string) => {
    const tok = BpeTokenizer.fromFiles(vocab, merges);
    return tok.encode('abc').map((id) => tok.idToToken(id));
  };
  // Expected values from the tokenizers library on the same files.
  assert.deepEqual(pieces('a b\nb c\na bc\n'), ['ab', 'c']);
  assert.deepEqual(pieces('b c\na b\na bc\n'), ['abc']);
  assert.deepEqual(pieces('a b\nb c\na b\n'), ['a', 'bc']);
});
