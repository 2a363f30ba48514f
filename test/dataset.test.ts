import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  StreamBatches,
  validationBatches,
  splitValidation,
  corpusText,
  MAX_STRING_UNITS,
  readCorpusFiles,
  CorpusError,
  tokenizeCorpus,
} from '../src/rnn/dataset.js';
import { WordTokenizer } from '../src/text/index.js';

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

test('batching layout matches a hand-computed example', () => {
  // 23 tokens, B = 3 rows of L = 7: [0..6], [7..13], [14..20]; tokens 21, 22 are left over.
  const batches = new StreamBatches(range(23), 3, 3);
  assert.equal(batches.rowLength, 7);
  assert.equal(batches.count, 2);
  const [first, second] = [...batches];
  assert.deepEqual([...first!.inputs], [0, 7, 14, 1, 8, 15, 2, 9, 16]);
  assert.deepEqual([...first!.targets], [1, 8, 15, 2, 9, 16, 3, 10, 17]);
  assert.deepEqual([...second!.inputs], [3, 10, 17, 4, 11, 18, 5, 12, 19]);
  assert.deepEqual([...second!.targets], [4, 11, 18, 5, 12, 19, 6, 13, 20]);
  assert.equal(second!.seqLen, 3);
  assert.equal(second!.batchSize, 3);
});

test('an offset shifts every row', () => {
  const batches = new StreamBatches(range(23), 2, 4, 3);
  assert.equal(batches.rowLength, 10);
  assert.deepEqual([...batches.batch(0).inputs], [3, 13, 4, 14, 5, 15, 6, 16]);
  assert.deepEqual([...batches.batch(1).targets], [8, 18, 9, 19, 10, 20, 11, 21]);
  assert.throws(() => batches.batch(2), /batch index must be an integer in \[0, 2\), got 2/);
});

test('the layout is the one of the PyTorch reference batches', () => {
  const url = new URL('../../test/fixtures/rnn/lstm_deep/batches.json', import.meta.url);
  const fixture = JSON.parse(readFileSync(url, 'utf8')) as {
    seq_len: number;
    batch: number;
    stream: number[];
    inputs: number[][][];
    targets: number[][][];
  };
  const batches = new StreamBatches(Int32Array.from(fixture.stream), fixture.batch, fixture.seq_len);
  assert.equal(batches.count, fixture.inputs.length);
  fixture.inputs.forEach((expected, s) => {
    const batch = batches.batch(s);
    assert.deepEqual([...batch.inputs], expected.flat());
    assert.deepEqual([...batch.targets], fixture.targets[s]!.flat());
  });
});

test('validation split is the tail; validation batches shrink to fit', () => {
  const { train, validation } = splitValidation(range(100), 0.1);
  assert.deepEqual([train.length, validation.length], [90, 10]);
  assert.equal(validation[0], 90);
  const small = validationBatches(validation, 8, 4);
  assert.equal(small.batchSize, 2);
  assert.equal(small.count, 1);
  assert.deepEqual([...small.batch(0).inputs], [90, 95, 91, 96, 92, 97, 93, 98]);
  assert.throws(() => validationBatches(range(4), 8, 4), /validation split has 4 tokens, fewer than seqLen 4 \+ 1/);
  assert.throws(() => splitValidation(range(10), 1), /validation fraction must be in \[0, 1\), got 1/);
});

test('a too-short corpus and bad sizes are refused', () => {
  assert.throws(
    () => new StreamBatches(range(10), 4, 3),
    (e: unknown) => e instanceof CorpusError && /has 10 tokens but one batch needs batchSize 4 x \(seqLen 3 \+ 1\) = 16/.test(e.message),
  );
  assert.throws(() => new StreamBatches(range(10), 0, 3), /batchSize must be a positive integer, got 0/);
  assert.throws(() => new StreamBatches(range(10), 2, 1.5), /seqLen must be a positive integer, got 1.5/);
});

test('corpus sources: strings, parts, bytes and async chunk streams', async () => {
  assert.equal(await corpusText('hello world'), 'hello world');
  assert.equal(await corpusText(['one', new TextEncoder().encode('two')]), 'one\ntwo');
  async function* chunks(): AsyncGenerator<Uint8Array | string> {
    const bytes = new TextEncoder().encode('naïve café ');
    yield bytes.subarray(0, 3); // splits the two-byte 'ï'
    yield bytes.subarray(3);
    yield 'and more';
  }
  assert.equal(await corpusText(chunks()), 'naïve café and more');
});

test('empty and binary corpora get errors that say so', async () => {
  await assert.rejects(corpusText('   \n\t '), /corpus is empty/);
  await assert.rejects(corpusText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe])), /not valid UTF-8 \(a binary file, or text in another encoding/);
  await assert.rejects(corpusText(new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x62, 0x00]), 'notes.txt'), /notes\.txt is UTF-16 text \(it starts with a UTF-16 byte-order mark\); save it as UTF-8/);
  // "café ok" in Latin-1.
  await assert.rejects(corpusText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])), /text in another encoding such as Latin-1/);
  await assert.rejects(corpusText('text\u0000with a NUL'), /NUL character at position 4/);
  await assert.rejects(corpusText('\u0001\u0002\u0003 mostly control'), /3 of its 18 characters are control characters/);
  const dir = mkdtempSync(join(tmpdir(), 'textloom-corpus-'));
  const good = join(dir, 'a.txt');
  const binary = join(dir, 'b.bin');
  writeFileSync(good, 'some words here');
  writeFileSync(binary, Buffer.from([0, 1, 2, 3, 0, 0, 0, 255]));
  assert.equal(await readCorpusFiles([good, good]), 'some words here\nsome words here');
  assert.equal(await readCorpusFiles([pathToFileURL(good), pathToFileURL(good).href]), 'some words here\nsome words here');
  await assert.rejects(readCorpusFiles([good, binary]), (e: unknown) => e instanceof CorpusError && e.message.startsWith(`${binary} is not text`));
  await assert.rejects(readCorpusFiles([join(dir, 'missing.txt')]), /missing\.txt: no such file/);
  await assert.rejects(readCorpusFiles([]), /no corpus files given/);
  await assert.rejects(readCorpusFiles(good as never), (e: unknown) =>
    e instanceof CorpusError && e.message === `readCorpusFiles takes a list of files, got ${JSON.stringify(good)}; pass [path] for one file`);
});

test('tokenizeCorpus: ids with a held-out tail; a text without tokens is refused', () => {
  const text = 'one two three four five six seven eight nine ten';
  const tokenizer = WordTokenizer.fromCorpus(text);
  const { ids, train, validation } = tokenizeCorpus(text, tokenizer, 0.2);
  assert.deepEqual([...ids], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual([...train], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...validation], [9, 10]);
  assert.throws(() => tokenizeCorpus('... !!! 42', tokenizer), /the corpus has no tokens after tokenization \(10 characters\)/);
});

test('a corpus longer than a JavaScript string can be is refused with its length and the limit', async () => {
  // repeat() builds a rope of a few nodes: these parts add up past the limit without taking memory.
  const part = 'ab'.repeat(2 ** 27);
  await assert.rejects(corpusText([part, part, 'x'], 'big'), (err: Error) => {
    assert.ok(err instanceof CorpusError);
    assert.equal(err.message, `big is ${2 ** 29 + 3} characters (UTF-16 units), more than the ${MAX_STRING_UNITS} that a ` +
      'JavaScript string holds; train on a part of it (at most about 512 MB of text)');
    return true;
  });
  async function* chunks() {
    yield part;
    yield part;
  }
  await assert.rejects(corpusText(chunks(), 'stream'), /stream is 536870912 characters/);
  assert.equal(MAX_STRING_UNITS, 2 ** 29 - 24);
});
