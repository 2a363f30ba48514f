// The word and character tokenizers count and encode by scanning UTF-16 units, without a string per
// token; these tests hold them to the plain definition (split into token strings, count them with a
// TokenCounter, look each one up) on random texts, whole and cut into small pieces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocessText, pythonLower } from '../src/text/preprocess.js';
import { PY, pythonTable } from '../src/text/unicode.js';
import { IdBuffer } from '../src/text/id-buffer.js';
import { textPieces, vocabularyFrom, type VocabTokenizer } from '../src/text/vocab-tokenizer.js';
import { UNK_TOKEN, Vocabulary } from '../src/text/vocab.js';
import { WordCounter, WordTokenizer } from '../src/text/word.js';
import { CharCounter, CharTokenizer } from '../src/text/char.js';
import { Random } from '../src/util/random.js';

/** The tutorial's four passes, one after the other, over Python's lowercase. */
function referencePreprocess(text: string): string {
  const table = pythonTable();
  const is = (cp: number, bit: number) => (table.flags(cp) & bit) !== 0;
  const lowered = Array.from(pythonLower(text), (ch) => ch.codePointAt(0)!);
  const noDigits = lowered.filter((cp) => !is(cp, PY.DECIMAL));
  const collapsed = noDigits.filter((cp, i) => !(is(cp, PY.SPACE) && i > 0 && is(noDigits[i - 1], PY.SPACE)));
  const words = collapsed.map((cp) => (is(cp, PY.SPACE) || !is(cp, PY.WORD) ? ' ' : String.fromCodePoint(cp)));
  return words.join('');
}

const referenceWords = (text: string): string[] => referencePreprocess(text).split(' ').filter((w) => w !== '');

const referenceChars = (text: string): string[] => Array.from(text);

const WHITESPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];
// Digits of several scripts (ASCII, Arabic-Indic, Devanagari, mathematical bold, an astral one).
const DIGITS = [0x30, 0x35, 0x39, 0x663, 0x967, 0x1d7ce, 0x104a0];
// Non-word code points: ASCII punctuation, U+FEFF (not whitespace in Python), a soft hyphen and a
// combining mark (case-ignorable), emoji, a lone high and a lone low surrogate.
const NON_WORD = [0x21, 0x2c, 0x2e, 0x3c, 0x3e, 0x5f, 0x27, 0xfeff, 0xad, 0x301, 0x1f600, 0x1f3fd, 0xd800, 0xdc00];
// Word code points: ASCII and Latin-1 letters of both cases, U+0130 (lowers to two code points),
// capital and small sigma, Greek, CJK, astral letters (Deseret capital, mathematical bold A).
const LETTERS = [0x41, 0x5a, 0x61, 0x7a, 0xc0, 0xc9, 0xdf, 0xe9, 0xff, 0xb5, 0x130, 0x3a3, 0x3c3, 0x391, 0x4e00, 0x10400, 0x1d400];

function randomText(r: Random, length: number): string {
  const groups = [LETTERS, LETTERS, LETTERS, WHITESPACE, DIGITS, NON_WORD];
  let text = '';
  while (text.length < length) {
    const group = groups[r.int(groups.length)];
    const run = 1 + r.int(4);
    for (let i = 0; i < run; i++) text += String.fromCodePoint(group[r.int(group.length)]);
  }
  // A literal "<unk>" folds into id 0 rather than becoming a word or character of its own.
  return r.int(4) === 0 ? `${text}<unk>${UNK_TOKEN}` : text;
}

function texts(seed: number): string[] {
  const r = new Random(seed);
  return Array.from({ length: 6 }, () => randomText(r, 20 + r.int(400)));
}

test('preprocessText gives what the four passes give one after the other', () => {
  for (let seed = 1; seed <= 40; seed++) {
    for (const text of texts(seed)) assert.equal(preprocessText(text), referencePreprocess(text), JSON.stringify(text));
  }
});

const kinds = [
  { name: 'word', reference: referenceWords, counter: () => new WordCounter(), tokenizer: (v: Vocabulary) => new WordTokenizer(v) },
  { name: 'char', reference: referenceChars, counter: () => new CharCounter(), tokenizer: (v: Vocabulary) => new CharTokenizer(v) },
];

/** The ids appendIds gives for the pieces of text, with the tokens it found outside the vocabulary. */
function idsByPieces(tokenizer: VocabTokenizer, text: string, size: number): { ids: number[]; unknown: string[] } {
  const out = new IdBuffer(0);
  const unknown = new Set<string>();
  for (const piece of textPieces(text, size)) tokenizer.appendIds(piece, out, unknown);
  return { ids: out.toArray(), unknown: [...unknown] };
}

for (const kind of kinds) {
  test(`${kind.name} tokenizer: fromCorpus and encode give the ids of the plain split, whole and in small pieces`, () => {
    for (let seed = 1; seed <= 40; seed++) {
      const corpus = texts(seed);
      const expected = Vocabulary.build(corpus.flatMap(kind.reference));
      for (const size of [Infinity, 1, 7, 64]) {
        const built = vocabularyFrom(kind.counter(), corpus, {}, 'test', 'tokens', size);
        assert.deepEqual(built.tokens, expected.tokens, `seed ${seed}, pieces of ${size}`);
      }
      // A vocabulary cut down to a few tokens, so that encoding meets many unknown ones.
      const small = Vocabulary.build(corpus.flatMap(kind.reference), { maxSize: 6 });
      for (const vocabulary of [expected, small]) {
        const tokenizer = kind.tokenizer(vocabulary);
        for (const text of corpus) {
          const want = vocabulary.encode(kind.reference(text));
          assert.deepEqual(tokenizer.encodeWithUnknown(text), want, `seed ${seed}: ${JSON.stringify(text)}`);
          assert.deepEqual(Array.from(tokenizer.encodeInt32(text)), want.ids);
          for (const size of [1, 7, 64]) assert.deepEqual(idsByPieces(tokenizer, text, size), want, `seed ${seed}, pieces of ${size}`);
        }
      }
    }
  });
}

test('word tokenizer: final sigmas and U+0130 (whose lowercase ends in a non-word dot) as Python lowers them, in pieces too', () => {
  const text = 'ΟΔΟΣ ΟΔΟΣΑ Σ ΑΣ. İstanbul İ\u0301 ΣΣ';
  const vocabulary = Vocabulary.build(referenceWords(text));
  assert.deepEqual(vocabulary.tokens, [UNK_TOKEN, 'i', 'οδος', 'οδοσα', 'σ', 'ας', 'stanbul', 'σς']);
  for (const size of [Infinity, 1, 5]) {
    assert.deepEqual(vocabularyFrom(new WordCounter(), text, {}, 'test', 'words', size).tokens, vocabulary.tokens);
    assert.deepEqual(idsByPieces(new WordTokenizer(vocabulary), text, size).ids, [2, 3, 4, 5, 1, 6, 1, 7]);
  }
});
