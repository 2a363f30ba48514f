import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BpeTokenizer,
  CharTokenizer,
  pretokenize,
  tokenizerFromJSON,
  WordTokenizer,
  type Tokenizer,
} from '../src/text/index.js';
import { Random } from '../src/util/random.js';

function pieces(text: string): string[] {
  const out: string[] = [];
  pretokenize(text, 0, text.length, (from, to) => out.push(text.slice(from, to)));
  return out;
}

test('pre-tokenizer splits as GPT-2\'s pattern with Unicode White_Space', () => {
  assert.deepEqual(pieces("I'm here, it's 42!"), ['I', "'m", ' here', ',', ' it', "'s", ' 42', '!']);
  assert.deepEqual(pieces("IT'S"), ['IT', "'", 'S']);
  assert.deepEqual(pieces("we'll've'd"), ['we', "'ll", "'ve", "'d"]);
  assert.deepEqual(pieces('a   b'), ['a', '  ', ' b']);
  assert.deepEqual(pieces('a\n\nb'), ['a', '\n', '\n', 'b']);
  assert.deepEqual(pieces('a\nb'), ['a', '\n', 'b']);
  assert.deepEqual(pieces('end   '), ['end', '   ']);
  assert.deepEqual(pieces(' \u0085x'), [' ', '\u0085', 'x']);
  // U+FEFF is not white space: it is "other" and joins the space before it.
  assert.deepEqual(pieces('a \ufeffb'), ['a', ' \ufeff', 'b']);
  assert.deepEqual(pieces('x\u3000\u3000y'), ['x', '\u3000', '\u3000', 'y']);
  assert.deepEqual(pieces(' \u{1F600}\u{1F600} \u{10400}z'), [' \u{1F600}\u{1F600}', ' \u{10400}z']);
  assert.deepEqual(pieces('Ⅻ 12'), ['Ⅻ', ' 12']);
  assert.deepEqual(pieces("''s"), ["''", 's']);
  assert.deepEqual(pieces(''), []);
  assert.deepEqual(pieces('a\ud800b'), ['a', '\ud800', 'b']);
});

test('pre-tokenizer pieces tile any range of the text', () => {
  const rng = new Random(11);
  const alphabet = ['a', 'Z', ' ', '  ', '\n', "'", "'s", '1', '!', '\u0085', '\ufeff', '\u{1F600}', '\u00e9', '\u3000'];
  for (let k = 0; k < 500; k++) {
    let text = '';
    for (let i = 0; i < 1 + rng.int(20); i++) text += alphabet[rng.int(alphabet.length)];
    const start = rng.int(2);
    let at = start;
    pretokenize(text, start, text.length, (from, to) => {
      assert.equal(from, at);
      assert.ok(to > from);
      at = to;
    });
    assert.equal(at, Math.max(start, text.length));
  }
  // A range that ends inside a surrogate pair stops there.
  const emoji = 'a\u{1F600}';
  const cut: Array<[number, number]> = [];
  pretokenize(emoji, 0, 2, (from, to) => cut.push([from, to]));
  assert.deepEqual(cut, [[0, 1], [1, 2]]);
});

const gpt2 = BpeTokenizer.fromFiles(
  readFileSync(new URL('../../test/fixtures/gpt2/vocab.json', import.meta.url), 'utf8'),
  readFileSync(new URL('../../test/fixtures/gpt2/merges.txt', import.meta.url), 'utf8'),
);

test('a tiny piece cache evicts without changing any id', () => {
  const tiny = BpeTokenizer.fromJSON(gpt2.toJSON(), { cacheSize: 2 });
  const text = readFileSync(new URL('../../test/fixtures/gpt2/bpe_cases.json', import.meta.url), 'utf8');
  assert.deepEqual(tiny.encode(text), gpt2.encode(text));
  assert.deepEqual(tiny.encode(text), gpt2.encode(text));
  assert.throws(() => BpeTokenizer.fromJSON(gpt2.toJSON(), { cacheSize: 0 }), /BpeTokenizer: cacheSize must be an integer >= 1 .*, got 0/);
});

test('every kind of tokenizer goes through the common interface and tokenizerFromJSON', () => {
  const corpus = 'The cat sat. The dog ran! 🐈 naïve';
  const all: Tokenizer[] = [WordTokenizer.fromCorpus(corpus), CharTokenizer.fromCorpus(corpus), gpt2];
  for (const tok of all) {
    const ids = tok.encode('The cat ran');
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize));
    const back = tokenizerFromJSON(JSON.stringify(tok.toJSON()));
    assert.equal(back.kind, tok.kind);
    assert.equal(back.vocabSize, tok.vocabSize);
    assert.deepEqual(back.encode(corpus), tok.encode(corpus));
    assert.equal(back.decode(tok.encode(corpus)), tok.decode(tok.encode(corpus)));
  }
  assert.equal(all[0].decode(all[0].encode(corpus)), 'the cat sat the dog ran naïve');
  assert.equal(all[1].decode(all[1].encode(corpus)), corpus);
  assert.equal(all[2].decode(all[2].encode(corpus)), corpus);
});

test('tokenizerFromJSON rejects foreign objects', () => {
  assert.throws(() => tokenizerFromJSON(null), /expected a tokenizer JSON object, got null/);
  assert.throws(() => tokenizerFromJSON({ model: {} }), /expected format "textloom-tokenizer", got undefined/);
  assert.throws(
    () => tokenizerFromJSON({ format: 'textloom-tokenizer', version: 1, kind: 'bpe', tokens: [] }),
    /expected arrays "tokens", "merges" and "added"/,
  );
});
