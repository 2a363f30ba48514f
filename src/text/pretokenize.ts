/**
 * GPT-2's pre-tokenizer, written as a scanner rather than a regular expression:
 *
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * with Python `regex` classes (\s is Unicode White_Space: U+0085 yes, U+FEFF no), which JavaScript's
 * own \s gets wrong. The classes come from generated tables, so every runtime splits alike.
 * Alternatives are tried in order at each position, as the regex engine does.
 */
import { BPE_LETTER as LETTER, BPE_NUMBER as NUMBER, BPE_SPACE as SPACE, bpeTable, type ClassTable } from './unicode.js';

/** Neither letter, number nor white space. */
const OTHER = 8;

/** (128) class of each ASCII code. */
const ASCII = /* @__PURE__ */ (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) table[c] = LETTER;
    else if (c >= 0x30 && c <= 0x39) table[c] = NUMBER;
    else if ((c >= 0x09 && c <= 0x0d) || c === 0x20) table[c] = SPACE;
    else table[c] = OTHER;
  }
  return table;
})();

const APOSTROPHE = 0x27;

/** Class of the code point at s[i] (one of LETTER, NUMBER, SPACE, OTHER) and its UTF-16 width,
 * as class | width << 4. A surrogate pair cut by end counts as two lone surrogates. */
function classAt(table: ClassTable, s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return ASCII[c] | (1 << 4);
  let cp = c;
  let width = 1;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) {
      cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      width = 2;
    }
  }
  const flags = table.flags(cp);
  const cls = flags & LETTER ? LETTER : flags & NUMBER ? NUMBER : flags & SPACE ? SPACE : OTHER;
  return cls | (width << 4);
}

/** End (exclusive) of the run of code points of class cls that starts at i. */
function runEnd(table: ClassTable, s: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (ASCII[c] !== cls) return i;
      i++;
    } else {
      const k = classAt(table, s, i, end);
      if ((k & 15) !== cls) return i;
      i += k >> 4;
    }
  }
  return i;
}

/** Length of a contraction ('s 't 'm 'd 're 've 'll) at i, or 0. */
function contraction(s: string, i: number, end: number): number {
  if (i + 1 >= end) return 0;
  const a = s.charCodeAt(i + 1);
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 2;
  if (i + 2 >= end) return 0;
  const b = s.charCodeAt(i + 2);
  if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return 3;
  return 0;
}

/**
 * End of the pre-token that starts at i (i < end); pre-tokens never reach past end.
 * `table` is bpeTable(), passed in so that a scanning loop fetches it once.
 */
export function pieceEnd(table: ClassTable, s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c === APOSTROPHE) {
    const n = contraction(s, i, end);
    if (n > 0) return i + n;
  }
  const k = classAt(table, s, i, end);
  let cls = k & 15;
  let runStart = i + (k >> 4);
  if (c === 0x20 && i + 1 < end) {
    // ` ?X+`: a single space joins the letter, number or other run right after it.
    const next = classAt(table, s, i + 1, end);
    if ((next & 15) !== SPACE) {
      cls = next & 15;
      runStart = i + 1 + (next >> 4);
    }
  }
  if (cls !== SPACE) return runEnd(table, s, runStart, end, cls);
  // `\s+(?!\S)|\s+`: a white-space run leaves its last code point to the next token when a
  // non-space follows, unless the run is only that one code point. White_Space is all in the
  // BMP, so that code point is one UTF-16 unit.
  const stop = runEnd(table, s, i, end, SPACE);
  return stop === end || stop - 1 === i ? stop : stop - 1;
}

/**
 * Calls piece(start, end) for each pre-token of s[start, end), in order; the pieces tile the range.
 */
export function pretokenize(s: string, start: number, end: number, piece: (start: number, end: number) => void): void {
  const table = bpeTable();
  for (let i = start; i < end; ) {
    const stop = pieceEnd(table, s, i, end);
    piece(i, stop);
    i = stop;
  }
}
