import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCounter, UNK_ID, UNK_TOKEN, Vocabulary } from '../src/text/vocab.js';
import { WordTokenizer, splitWords } from '../src/text/word.js';
import { CharTokenizer } from '../src/text/char.js';
import { textPieces } from '../src/text/vocab-tokenizer.js';
import { decodeUtf16, DECODE_CHUNK_UNITS } from '../src/text/utf16.js';
import { tokenizeCorpus } from '../src/rnn/dataset.js';

test('ids: <unk> first, then count descending, ties by first occurrence', () => {
  const v = Vocabulary.build(['b', 'a', 'c', 'a', 'b', 'd', 'a']);
  assert.deepEqual(v.tokens, [UNK_TOKEN, 'a', 'b', 'c', 'd']);
  assert.equal(v.id('a'), 1);
  assert.equal(v.id('zzz'), UNK_ID);
  assert.equal(v.token(4), 'd');
});

test('maxSize counts <unk>; minCount drops rare tokens; a literal <unk> folds into id 0', () => {
  const words = ['x', 'y', 'y', 'z', 'z', 'z', UNK_TOKEN, 'w'];
  assert.deepEqual(Vocabulary.build(words, { maxSize: 3 }).tokens, [UNK_TOKEN, 'z', 'y']);
  assert.deepEqual(Vocabulary.build(words, { minCount: 2 }).tokens, [UNK_TOKEN, 'z', 'y']);
  assert.deepEqual(Vocabulary.build(words, { maxSize: 1 }).tokens, [UNK_TOKEN]);
  assert.deepEqual(Vocabulary.build(words).tokens, [UNK_TOKEN, 'z', 'y', 'x', 'w']);
});

test('counts add up across chunks fed to a TokenCounter', () => {
  const counter = new TokenCounter();
  counter.addAll(['a', 'b']);
  counter.addAll(['b']);
  assert.equal(counter.distinct, 2);
  assert.deepEqual(counter.build().tokens, [UNK_TOKEN, 'b', 'a']);
});

test('bad options and bad vocabularies are rejected with what was expected', () => {
  assert.throws(() => Vocabulary.build(['a'], { maxSize: 0 }), /maxSize must be an integer >= 1.*got number 0/);
  assert.throws(() => Vocabulary.build(['a'], { minCount: 1.5 }), /minCount must be an integer >= 1/);
  assert.throws(() => new Vocabulary(['a']), /first token must be "<unk>", got "a"/);
  assert.throws(() => new Vocabulary([UNK_TOKEN, 'a', 'a']), /"a" appears twice \(ids 1 and 2\)/);
  assert.throws(() => new Vocabulary([UNK_TOKEN, '']), /token 1 must be a non-empty string/);
  assert.throws(() => Vocabulary.fromJSON({ words: [] }), /expected \{ tokens: string\[\] \}/);
  assert.throws(() => new Vocabulary([UNK_TOKEN]).token(1), /id 1 is outside \[0, 1\)/);
});

test('fromCorpus refuses a vocabulary of <unk> alone and says why', () => {
  const only = /the vocabulary would hold only <unk>/;
  assert.throws(() => WordTokenizer.fromCorpus(''), /WordTokenizer\.fromCorpus: the corpus has no words \(digits and punctuation are dropped\)/);
  assert.throws(() => WordTokenizer.fromCorpus(['123', '!?']), only);
  assert.throws(() => CharTokenizer.fromCorpus([]), /CharTokenizer\.fromCorpus: the corpus has no characters, so the vocabulary would hold only <unk>/);
  assert.throws(() => WordTokenizer.fromCorpus('the cat', { maxSize: 1 }), /WordTokenizer\.fromCorpus: maxSize 1 leaves room for <unk> alone.*use maxSize >= 2/);
  assert.throws(
    () => CharTokenizer.fromCorpus('aab', { minCount: 3 }),
    /CharTokenizer\.fromCorpus: minCount 3 is above the count of the most frequent token in this corpus \("a", 2 times\).*use minCount <= 2/,
  );
  assert.equal(CharTokenizer.fromCorpus('aab', { minCount: 2 }).vocabSize, 2);
});

test('fromCorpus refuses option keys it does not know', () => {
  assert.throws(() => WordTokenizer.fromCorpus('a b', { maxsize: 10 } as never), /WordTokenizer\.fromCorpus: unknown option "maxsize"; did you mean maxSize\?/);
  assert.throws(() => CharTokenizer.fromCorpus('a b', null as never), /CharTokenizer\.fromCorpus: options must be an object, got null/);
  assert.throws(() => WordTokenizer.fromCorpus('a b', { maxSize: 0 }), /WordTokenizer\.fromCorpus: maxSize must be an integer >= 1/);
});

test('encode reports unknown words once each, in order', () => {
  const tok = WordTokenizer.fromCorpus('the cat sat on the mat');
  const { ids, unknown } = tok.encodeWithUnknown('The dog sat; the DOG ran.');
  assert.deepEqual(unknown, ['dog', 'ran']);
  assert.deepEqual(ids, [tok.vocabulary.id('the'), 0, tok.vocabulary.id('sat'), tok.vocabulary.id('the'), 0, 0]);
  assert.equal(tok.decode(ids), 'the <unk> sat the <unk> <unk>');
});

test('word tokenizer follows the tutorial preprocessing and split()', () => {
  assert.deepEqual(splitWords("Don't stop, it's 2024!\u0085Next"), ['don', 't', 'stop', 'it', 's', 'next']);
  assert.deepEqual(splitWords('   '), []);
  const tok = WordTokenizer.fromCorpus(['Hello, world.', 'hello again'], { minCount: 1 });
  assert.deepEqual(tok.vocabulary.tokens, [UNK_TOKEN, 'hello', 'world', 'again']);
  assert.equal(tok.decode(tok.encode('HELLO   world!!')), 'hello world');
  assert.equal(tok.vocabSize, 4);
});

test('word and char tokenizers round trip through JSON', () => {
  const word = WordTokenizer.fromCorpus('a b b c c c');
  const wordBack = WordTokenizer.fromJSON(JSON.parse(JSON.stringify(word.toJSON())));
  assert.deepEqual(wordBack.vocabulary.tokens, word.vocabulary.tokens);
  assert.deepEqual(wordBack.encode('c a d'), [1, 3, 0]);

  const char = CharTokenizer.fromCorpus('h\u{1F600}llo \u{10400}');
  const json = JSON.parse(JSON.stringify(char.toJSON()));
  assert.equal(json.kind, 'char');
  assert.equal(json.format, 'textloom-tokenizer');
  const charBack = CharTokenizer.fromJSON(json);
  assert.deepEqual(charBack.vocabulary.tokens, char.vocabulary.tokens);
  assert.throws(() => WordTokenizer.fromJSON(json), /expected kind "word", got "char"/);
  assert.throws(
    () => WordTokenizer.fromJSON({ ...word.toJSON(), tokens: [UNK_TOKEN, 'two words'] }),
    /token 1 is "two words", but words never contain a space/,
  );
  assert.throws(() => CharTokenizer.fromJSON({ ...json, version: 2 }), /unsupported version number 2/);
  assert.throws(() => CharTokenizer.fromJSON({ ...json, format: 'x' }), /expected format "textloom-tokenizer"/);
  assert.throws(
    () => CharTokenizer.fromJSON({ ...json, tokens: [UNK_TOKEN, 'ab'] }),
    /token 1 is "ab", expected exactly one code point/,
  );
});

test('char tokenizer counts code points, not UTF-16 units', () => {
  const text = 'a\u{1F600}\u{1F600}e\u0301\u{20000}\u{1F600}';
  const tok = CharTokenizer.fromCorpus(text);
  assert.deepEqual(tok.vocabulary.tokens, [UNK_TOKEN, '\u{1F600}', 'a', 'e', '\u0301', '\u{20000}']);
  const ids = tok.encode(text);
  assert.equal(ids.length, 7);
  assert.equal(tok.decode(ids), text);
  assert.equal(tok.decode(tok.encode('a?\u{1F600}')), 'a\ufffd\u{1F600}');
  assert.deepEqual(tok.encodeWithUnknown('zz\u{1F601}').unknown, ['z', '\u{1F601}']);
});

test('decode rejects ids outside the vocabulary', () => {
  const tok = CharTokenizer.fromCorpus('ab');
  assert.throws(() => tok.decode([1, 3]), /id at position 1 is 3, expected an integer in \[0, 3\)/);
  assert.throws(() => tok.decode([0.5]), /id at position 0 is 0.5/);
  assert.throws(() => tok.encode(null as unknown as string), /encode expects a string, got object/);
});

test('a large corpus is split and encoded in pieces whose tokens are the whole text\'s', () => {
  // Python's final sigma, digits between spaces, CR LF, an astral letter: what a cut in the wrong
  // place would change. Small pieces stand in for the 16 Mi units of a real corpus.
  const text = 'ΟΔΟΣ Σ 12 x\r\nab 𝒜b  c\n\nword'.repeat(7) + 'unbroken'.repeat(9);
  for (const size of [1, 3, 5, 8, 13, 40]) {
    const pieces = [...textPieces(text, size)];
    assert.equal(pieces.join(''), text, `size ${size}`);
    assert.deepEqual(pieces.flatMap(splitWords), splitWords(text), `size ${size}`);
    assert.deepEqual(pieces.flatMap((p) => Array.from(p)), Array.from(text), `size ${size}`);
    for (const piece of pieces.slice(0, -1)) assert.match(piece, /[ \n]$/);
  }
  assert.deepEqual([...textPieces('no breaks at all', 100)], ['no breaks at all']);
  assert.deepEqual([...textPieces('abcdefgh ij', 3)], ['abcdefgh ', 'ij']);
  for (const tokenizer of [WordTokenizer.fromCorpus(text), CharTokenizer.fromCorpus(text)]) {
    const ids = tokenizer.encodeInt32(text);
    assert.ok(ids instanceof Int32Array);
    assert.deepEqual(Array.from(ids), tokenizer.encode(text));
    assert.deepEqual(Array.from(tokenizeCorpus(text, tokenizer).ids), tokenizer.encode(text));
  }
});

test('UTF-16 is decoded in chunks that never split a surrogate pair', () => {
  const text = 'a𝒜bc𝒜𝒜d'.repeat(5);
  const units = new Uint16Array(text.length).map((_, i) => text.charCodeAt(i));
  for (const chunk of [1, 2, 3, 4, 7]) assert.equal(decodeUtf16(units, chunk), text, `chunk ${chunk}`);
  assert.equal(DECODE_CHUNK_UNITS, 1 << 24);
});
