import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { preprocessText, pythonLower } from '../src/text/preprocess.js';
import { BPE_LETTER, BPE_NUMBER, BPE_SPACE, bpeTable, inRanges, unpackRanges } from '../src/text/unicode.js';
import { UNICODE_SOURCE } from '../src/text/unicode-tables.js';

const fixture = (path: string): any =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url), 'utf8'));

const fromCps = (cps: number[]): string => cps.map((cp) => String.fromCodePoint(cp)).join('');

test('preprocessText matches every case of the CPython fixture', () => {
  const { cases } = fixture('text/preprocess_cases.json');
  assert.equal(cases.length, 20);
  for (const c of cases) {
    assert.equal(preprocessText(c.input), c.output, c.name);
    assert.equal(preprocessText(fromCps(c.input_codepoints)), fromCps(c.output_codepoints), c.name);
  }
});

test('single code points lower and preprocess as CPython does', () => {
  const { singles } = fixture('text/python_sample.json');
  assert.ok(singles.length >= 5000);
  for (const [cp, lower, pre] of singles) {
    const s = String.fromCodePoint(cp);
    assert.equal(pythonLower(s), fromCps(lower), `lower U+${cp.toString(16)}`);
    assert.equal(preprocessText(s), fromCps(pre), `preprocess U+${cp.toString(16)}`);
  }
});

test('GPT-2 pre-tokenizer classes match the regex module on sampled code points', () => {
  const { singles } = fixture('text/python_sample.json');
  const table = bpeTable();
  for (const [cp, , , classes] of singles) {
    assert.equal(table.flags(cp) & (BPE_LETTER | BPE_NUMBER | BPE_SPACE), classes, `U+${cp.toString(16)}`);
  }
});

test('random strings lower and preprocess as CPython does', () => {
  const { strings } = fixture('text/python_sample.json');
  assert.ok(strings.length >= 500);
  for (const [input, lower, pre] of strings) {
    const s = fromCps(input);
    assert.equal(pythonLower(s), fromCps(lower), JSON.stringify(s));
    assert.equal(preprocessText(s), fromCps(pre), JSON.stringify(s));
  }
});

test('final sigma and dotted capital I follow str.lower(), not toLowerCase', () => {
  assert.equal(pythonLower('\u0130'), 'i\u0307');
  assert.equal(pythonLower('A\u03a3'), 'a\u03c2');
  assert.equal(pythonLower('A\u03a3B'), 'a\u03c3b');
  assert.equal(pythonLower('\u03a3'), '\u03c3');
  assert.equal(pythonLower("A\u03a3'"), "a\u03c2'");
  assert.equal(pythonLower("A'\u03a3"), "a'\u03c2");
  assert.equal(pythonLower('\u{10400}'), '\u{10428}');
});

test('Python-only whitespace and BOM handling', () => {
  assert.equal(preprocessText('a\x1c\x1d\x85b'), 'a b');
  assert.equal(preprocessText('a\ufeffb'), 'a b');
  assert.equal(preprocessText('a\ufeff\ufeffb'), 'a  b');
  assert.equal(preprocessText('a 1 2 b'), 'a b');
  assert.equal(preprocessText('snake_case'), 'snake_case');
  assert.equal(preprocessText(''), '');
});

test('lone surrogates become spaces and astral letters stay whole', () => {
  assert.equal(preprocessText('a\ud800b'), 'a b');
  assert.equal(preprocessText('x\udc00'), 'x ');
  assert.equal(preprocessText('\u{10400}\u{1d7ce}'), '\u{10428}');
});

test('preprocessText rejects a non-string', () => {
  assert.throws(() => preprocessText(42 as unknown as string), /expected a string, got number/);
});

test('the tables and the Python sample come from the same Python and Unicode versions', () => {
  const sample = fixture('text/python_sample.json');
  assert.equal(UNICODE_SOURCE.python, sample.python);
  assert.equal(UNICODE_SOURCE.unicode, sample.unicodedata_version);
  assert.equal(UNICODE_SOURCE.regex, sample.regex);
  assert.equal(UNICODE_SOURCE.unicode, fixture('text/preprocess_cases.json').unicodedata_version);
});

test('packed range tables decode to inclusive ranges', () => {
  assert.deepEqual([...unpackRanges('')], []);
  const ranges = unpackRanges('9,4,e,4');
  assert.deepEqual([...ranges], [9, 13, 28, 32]);
  assert.deepEqual([8, 9, 13, 14, 27, 28, 32, 33].map((cp) => inRanges(ranges, cp)),
    [false, true, true, false, false, true, true, false]);
});
