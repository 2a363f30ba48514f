// Long-lived objects must not keep alive the texts they were built from. V8 returns a slice of 13
// characters or more as a view of its whole source string, so a cached or stored piece of a document
// can hold the document: these tests measure the heap after a collection, with margins of several
// times what a held text would take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BpeTokenizer } from '../src/text/bpe.js';
import { WordTokenizer } from '../src/text/word.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MIB = 2 ** 20;

/** Bytes of strings, in the heap or outside it (a large decoded text is external), still in use after
 *  `run` and a full collection that were not before it. ArrayBuffers are left out: their memory is
 *  freed on another thread, at no set time. */
function retainedBy(run: () => unknown): number {
  const strings = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external - m.arrayBuffers;
  };
  gc();
  const before = strings();
  const kept = run();
  gc();
  const after = strings();
  assert.ok(kept !== undefined);
  return after - before;
}

/** A word of letters only (one pre-token), different for every i. */
function word(i: number): string {
  let s = ' uncommonword';
  for (let n = i + 1; n > 0; n = Math.floor(n / 26)) s += String.fromCharCode(97 + (n % 26));
  return s;
}

test('a word vocabulary built from a corpus keeps its words, not the corpus', () => {
  const base = 'it is a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife ';
  // About 4.6 MB, made inside the measured call so that only what the tokenizer holds of it remains;
  // its longest word is kept in the vocabulary.
  const retained = retainedBy(() => WordTokenizer.fromCorpus(`${base.repeat(40_000)}notwithstanding`));
  assert.ok(retained < 2 * MIB, `${(retained / MIB).toFixed(1)} MiB kept by the tokenizer of a 4.6 MB corpus`);
});

test('encoding a text leaves nothing of it in the BPE piece cache but its pieces', () => {
  const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/gpt2/${name}`, import.meta.url), 'utf8');
  const tokenizer = BpeTokenizer.fromFiles(fixture('vocab.json'), fixture('merges.txt'));
  const filler = 'the cat sat on the mat. ';
  tokenizer.encode(filler);
  const documents = 32;
  const retained = retainedBy(() => {
    // Each text (about 0.5 MB) has one long word of its own, which the cache keeps.
    for (let i = 0; i < documents; i++) tokenizer.encode(filler.repeat(20_000) + word(i));
    return tokenizer;
  });
  assert.ok(retained < 4 * MIB, `${(retained / MIB).toFixed(1)} MiB kept after encoding ${documents} texts of 0.5 MB`);
});
