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

/**
 * The regex passes after lowercasing: drop digits, turn each run of whitespace into one space,
 * turn every other non-word code point into a space.
 */
class PreprocessWriter {
  // Each input UTF-16 unit yields at most two output units (U+0130 lowers to two code points).
  readonly out: Uint16Array; // (2 * input length) UTF-16 output
  n = 0;
  // True while the last kept code point was whitespace: `\s+` runs are only formed after the
  // digit deletion, so digits between two spaces do not end the run.
  private inSpace = false;
  private readonly table = pythonTable();

  constructor(inputLength: number) {
    this.out = new Uint16Array(2 * inputLength);
  }

  /** Preprocesses text into out. */
  write(text: string): void {
    const kind = bmpKinds();
    const lower = lowerTable().bmp;
    const out = this.out;
    // Locals in the loop, fields only around the rare code points that need their context.
    let n = this.n;
    let inSpace = this.inSpace;
    for (let i = 0; i < text.length; ) {
      const c = text.charCodeAt(i);
      const k = kind[c];
      if (k === WORD) {
        out[n++] = lower[c];
        inSpace = false;
      } else if (k === WHITE) {
        if (!inSpace) out[n++] = SPACE;
        inSpace = true;
      } else if (k === NON_WORD) {
        out[n++] = SPACE;
        inSpace = false;
      } else if (k === CONTEXT) {
        this.n = n;
        this.inSpace = inSpace;
        i = lowerCodePointAt(text, i, this);
        n = this.n;
        inSpace = this.inSpace;
        continue;
      }
      i++;
    }
    this.n = n;
    this.inSpace = inSpace;
  }

  /** Takes one lowercased code point. */
  put(cp: number): void {
    const flags = this.table.flags(cp);
    if ((flags & PY.DECIMAL) !== 0) return;
    if ((flags & PY.SPACE) !== 0) {
      if (!this.inSpace) this.out[this.n++] = SPACE;
      this.inSpace = true;
      return;
    }
    this.inSpace = false;
    if ((flags & PY.WORD) === 0) {
      this.out[this.n++] = SPACE;
    } else if (cp >= 0x10000) {
      this.out[this.n++] = 0xd800 + ((cp - 0x10000) >> 10);
      this.out[this.n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else {
      this.out[this.n++] = cp;
    }
  }
}

/** preprocessText(text) as UTF-16 units. */
export function preprocessUnits(text: string): Uint16Array {
  const writer = new PreprocessWriter(text.length);
  writer.write(text);
  return writer.out.subarray(0, writer.n);
}

// The output never holds a lone surrogate (those are not word characters), so decoding the units
// as UTF-16 cannot replace anything.
const UTF16 = /* @__PURE__ */ new TextDecoder('utf-16le');
/** Units decoded at once: Node's TextDecoder refuses UTF-16 input of 2^27 units (256 MiB) or more
 *  ("The encoded data was not valid"), which a corpus of about 130 MB reaches. */
export const DECODE_CHUNK_UNITS = 1 << 24;

/** `units` as a string, decoded `chunk` units at a time (one more where a chunk would end between
 *  the two halves of a surrogate pair). */
export function decodeUtf16(units: Uint16Array, chunk = DECODE_CHUNK_UNITS): string {
  if (units.length <= chunk) return UTF16.decode(units);
  const parts: string[] = [];
  for (let start = 0; start < units.length;) {
    let end = Math.min(units.length, start + chunk);
    if (end < units.length && (units[end - 1]! & 0xfc00) === 0xd800) end++;
    parts.push(UTF16.decode(units.subarray(start, end)));
    start = end;
  }
  return parts.join('');
}

/**
 * The tutorial's `preprocess_text(text)`: lowercase, delete digit runs, collapse whitespace runs to
 * one space, replace every non-word code point with a space. Same output as CPython 3.11.
 */
export function preprocessText(text: string): string {
  if (typeof text !== 'string') {
    throw new TypeError(`preprocessText: expected a string, got ${text === null ? 'null' : typeof text}`);
  }
  return decodeUtf16(preprocessUnits(text));
}
