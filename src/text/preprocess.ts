/**
 * The tutorial's `preprocess_text`, bit for bit with CPython 3.11:
 *
 *     text = text.lower()
 *     text = re.sub(r'\d+', '', text)
 *     text = re.sub(r'\s+', ' ', text)
 *     text = re.sub(r'\W', ' ', text)
 *
 * Python's `\d`, `\s`, `\w` and `str.lower()` are Unicode-aware and differ from JavaScript's (U+FEFF,
 * U+0085, U+001C..U+001F, final sigma, Unicode versions), so the classes come from tables generated
 * from CPython (unicode-tables.ts) and the four passes run as one scan over code points.
 * Lone surrogates are kept as code points, as Python keeps them in a str (they end up as spaces).
 */
import { codePointAt, lowerTable, pythonTable, PY } from './unicode.js';
import { hashUnit, UNIT_HASH_SEED } from './unit-table.js';
import { decodeUtf16 } from './utf16.js';

const CAPITAL_SIGMA = 0x03a3;
const SMALL_SIGMA = 0x03c3;
const FINAL_SIGMA = 0x03c2;
const SPACE = 0x20;
const CHUNK = 8192;

/** Code point ending just before index i of s. */
function codePointBefore(s: string, i: number): number {
  const d = s.charCodeAt(i - 1);
  if (d >= 0xdc00 && d <= 0xdfff && i >= 2) {
    const c = s.charCodeAt(i - 2);
    if (c >= 0xd800 && c <= 0xdbff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return d;
}

const width = (cp: number): number => (cp >= 0x10000 ? 2 : 1);

/**
 * CPython's rule for U+03A3 in str.lower(): final (U+03C2) when preceded by a cased code point
 * (skipping case-ignorables) and not followed by one (again skipping case-ignorables).
 * `start` and `end` are the UTF-16 bounds of the sigma in s.
 */
function lowerSigma(s: string, start: number, end: number): number {
  const table = pythonTable();
  let i = start;
  let before = -1;
  while (i > 0) {
    const cp = codePointBefore(s, i);
    i -= width(cp);
    if ((table.flags(cp) & PY.CASE_IGNORABLE) === 0) {
      before = cp;
      break;
    }
  }
  if (before < 0 || (table.flags(before) & PY.CASED) === 0) return SMALL_SIGMA;
  let j = end;
  while (j < s.length) {
    const cp = codePointAt(s, j);
    j += width(cp);
    const flags = table.flags(cp);
    if ((flags & PY.CASE_IGNORABLE) === 0) return (flags & PY.CASED) !== 0 ? SMALL_SIGMA : FINAL_SIGMA;
  }
  return FINAL_SIGMA;
}

/** Python's `str.lower()`, for code points and with the final-sigma context. */
export function pythonLower(text: string): string {
  const out = new StringSink();
  forEachLowered(text, out);
  return out.finish();
}

interface CodePointSink {
  put(cp: number): void;
}

/** Gives sink each code point of Python's `text.lower()`, in order. */
function forEachLowered(text: string, sink: CodePointSink): void {
  for (let i = 0; i < text.length; ) i = lowerCodePointAt(text, i, sink);
}

/** Gives sink the lowercase of the code point at index i of text; returns the index after it. */
function lowerCodePointAt(text: string, i: number, sink: CodePointSink): number {
  const { bmp, astral, multi } = lowerTable();
  const cp = codePointAt(text, i);
  const w = width(cp);
  if (cp < 0x80) {
    sink.put(cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);
  } else if (cp === CAPITAL_SIGMA) {
    sink.put(lowerSigma(text, i, i + w));
  } else if (cp < 0x10000) {
    const low = bmp[cp];
    const expansion = low === cp ? multi.get(cp) : undefined;
    if (expansion === undefined) sink.put(low);
    else for (const ch of expansion) sink.put(ch.codePointAt(0)!);
  } else {
    sink.put(astral.get(cp) ?? cp);
  }
  return i + w;
}

/** Accumulates code points into a string without one concatenation per character. */
class StringSink {
  private units: number[] = [];
  private parts: string[] = [];

  put(cp: number): void {
    if (cp >= 0x10000) {
      this.units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      this.units.push(cp);
    }
    if (this.units.length >= CHUNK) this.drain();
  }

  finish(): string {
    this.drain();
    return this.parts.join('');
  }

  private drain(): void {
    if (this.units.length === 0) return;
    this.parts.push(String.fromCharCode(...this.units));
    this.units = [];
  }
}

// What the regex passes do with a BMP unit once lowercased (kinds of bmpKinds()).
const WORD = 0;
const DIGIT = 1;
const WHITE = 2;
const NON_WORD = 3;
/** A surrogate, U+03A3 or a code point whose lowercase is several: lowered by lowerCodePointAt. */
const CONTEXT = 4;

let kinds: Uint8Array | undefined;

/** (0x10000) the kind of each BMP unit's lowercase, so that the common case is two table reads. */
function bmpKinds(): Uint8Array {
  if (kinds) return kinds;
  const table = pythonTable();
  const { bmp, multi } = lowerTable();
  kinds = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const flags = table.flags(bmp[c]);
    if ((c >= 0xd800 && c <= 0xdfff) || c === CAPITAL_SIGMA || multi.has(c)) kinds[c] = CONTEXT;
    else if ((flags & PY.DECIMAL) !== 0) kinds[c] = DIGIT;
    else if ((flags & PY.SPACE) !== 0) kinds[c] = WHITE;
    else kinds[c] = (flags & PY.WORD) !== 0 ? WORD : NON_WORD;
  }
  return kinds;
}

/** Where PreprocessWriter sends its output: each word (a run of word units) and each space. */
export interface PreprocessSink {
  /** The next word: units[0, length), with its hash (unit-table.ts). */
  word(units: Uint16Array, length: number, hash: number): void;
  /** The next space. */
  space(): void;
}

/**
 * The regex passes after lowercasing: drop digits, turn each run of whitespace into one space,
 * turn every other non-word code point into a space. The output goes to a sink a word at a time,
 * so that tokenizing a corpus needs no buffer as long as the corpus.
 */
class PreprocessWriter {
  private units: Uint16Array = new Uint16Array(64); // the current word
  private n = 0; // its length
  private hash = UNIT_HASH_SEED; // and hash
  // True while the last kept code point was whitespace: `\s+` runs are only formed after the
  // digit deletion, so digits between two spaces do not end the run.
  private inSpace = false;
  private readonly table = pythonTable();

  constructor(private readonly sink: PreprocessSink) {}

  /** Preprocesses text into the sink. */
  write(text: string): void {
    const kind = bmpKinds();
    const lower = lowerTable().bmp;
    const sink = this.sink;
    // Locals in the loop, fields only around the rare code points that need their context.
    let units = this.units;
    let n = this.n;
    let hash = this.hash;
    let inSpace = this.inSpace;
    for (let i = 0; i < text.length; ) {
      const c = text.charCodeAt(i);
      const k = kind[c];
      if (k === WORD) {
        if (n === units.length) units = this.grow(n);
        const low = lower[c];
        units[n++] = low;
        hash = hashUnit(hash, low);
        inSpace = false;
      } else if (k === WHITE || k === NON_WORD) {
        if (n > 0) {
          sink.word(units, n, hash);
          n = 0;
          hash = UNIT_HASH_SEED;
        }
        if (k === NON_WORD || !inSpace) sink.space();
        inSpace = k === WHITE;
      } else if (k === CONTEXT) {
        this.n = n;
        this.hash = hash;
        this.inSpace = inSpace;
        i = lowerCodePointAt(text, i, this);
        units = this.units;
        n = this.n;
        hash = this.hash;
        inSpace = this.inSpace;
        continue;
      }
      i++;
    }
    if (n > 0) sink.word(units, n, hash);
    this.n = 0;
    this.hash = UNIT_HASH_SEED;
    this.inSpace = inSpace;
  }

  /** Takes one lowercased code point. */
  put(cp: number): void {
    const flags = this.table.flags(cp);
    if ((flags & PY.DECIMAL) !== 0) return;
    const white = (flags & PY.SPACE) !== 0;
    if (white || (flags & PY.WORD) === 0) {
      if (this.n > 0) {
        this.sink.word(this.units, this.n, this.hash);
        this.n = 0;
        this.hash = UNIT_HASH_SEED;
      }
      if (!white || !this.inSpace) this.sink.space();
      this.inSpace = white;
      return;
    }
    this.inSpace = false;
    if (cp >= 0x10000) {
      this.unit(0xd800 + ((cp - 0x10000) >> 10));
      this.unit(0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      this.unit(cp);
    }
  }

  private unit(unit: number): void {
    if (this.n === this.units.length) this.grow(this.n);
    this.units[this.n++] = unit;
    this.hash = hashUnit(this.hash, unit);
  }

  private grow(n: number): Uint16Array {
    const units = new Uint16Array(2 * this.units.length);
    units.set(this.units.subarray(0, n));
    this.units = units;
    return units;
  }
}

/** Gives sink the words and spaces of preprocessText(text), in order. */
export function preprocessInto(text: string, sink: PreprocessSink): void {
  new PreprocessWriter(sink).write(text);
}

/** Collects the words and spaces of the preprocessed text into UTF-16 units. */
class UnitSink implements PreprocessSink {
  // Each input UTF-16 unit yields at most two output units (U+0130 lowers to two code points).
  readonly out: Uint16Array; // (2 * input length)
  n = 0;

  constructor(inputLength: number) {
    this.out = new Uint16Array(2 * inputLength);
  }

  word(units: Uint16Array, length: number): void {
    // A loop: a subarray view per word would cost more than the copy.
    for (let i = 0; i < length; i++) this.out[this.n + i] = units[i];
    this.n += length;
  }

  space(): void {
    this.out[this.n++] = SPACE;
  }
}

/**
 * The tutorial's `preprocess_text(text)`: lowercase, delete digit runs, collapse whitespace runs to
 * one space, replace every non-word code point with a space. Same output as CPython 3.11.
 */
export function preprocessText(text: string): string {
  if (typeof text !== 'string') {
    throw new TypeError(`preprocessText: expected a string, got ${text === null ? 'null' : typeof text}`);
  }
  const sink = new UnitSink(text.length);
  preprocessInto(text, sink);
  // The output never holds a lone surrogate (those are not word characters), so decoding the units
  // as UTF-16 cannot replace anything.
  return decodeUtf16(sink.out.subarray(0, sink.n));
}
