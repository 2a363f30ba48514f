/**
 * Code-point classes decoded from the generated tables in unicode-tables.ts. Lookups must not depend
 * on the JavaScript engine's own Unicode data (ICU versions differ between Node, Deno and browsers),
 * so every class used by the text layer comes from these tables.
 */
import {
  PY_CASED,
  PY_CASE_IGNORABLE,
  PY_DECIMAL,
  PY_LOWER_MULTI,
  PY_LOWER_RUNS,
  PY_SPACE,
  PY_WORD,
  RX_LETTER,
  RX_NUMBER,
  RX_WHITE_SPACE,
} from './unicode-tables.js';

const BMP = 0x10000;

/** Code point starting at index i of s (a lone surrogate is its own code point). */
export function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/** Fields of a generated list; an empty list has none (''.split gives one empty field). */
function fields(list: string, separator: string): string[] {
  return list.length === 0 ? [] : list.split(separator);
}

/** Decodes a packed range list into flat inclusive [start, end] pairs. */
export function unpackRanges(packed: string): Int32Array {
  const parts = fields(packed, ',');
  const out = new Int32Array(parts.length);
  let prevEnd = -1;
  for (let i = 0; i < parts.length; i += 2) {
    const start = prevEnd + 1 + parseInt(parts[i], 36);
    const end = start + parseInt(parts[i + 1], 36);
    out[i] = start;
    out[i + 1] = end;
    prevEnd = end;
  }
  return out;
}

/** Whether cp lies in one of the sorted inclusive ranges (binary search). */
export function inRanges(ranges: Int32Array, cp: number): boolean {
  let lo = 0;
  let hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * A set of code-point classes: a byte of flags per BMP code point, binary search above it.
 * Each class is one bit.
 */
export class ClassTable {
  private readonly bmp = new Uint8Array(BMP);
  private readonly astral: Int32Array[];

  constructor(classes: readonly string[]) {
    this.astral = classes.map((packed, bit) => {
      const ranges = unpackRanges(packed);
      for (let i = 0; i < ranges.length; i += 2) {
        const end = Math.min(ranges[i + 1], BMP - 1);
        for (let cp = ranges[i]; cp <= end; cp++) this.bmp[cp] |= 1 << bit;
      }
      return ranges;
    });
  }

  /** The class bits of cp (bit i set when cp is in class i). */
  flags(cp: number): number {
    if (cp < BMP) return this.bmp[cp];
    let bits = 0;
    for (let i = 0; i < this.astral.length; i++) {
      if (inRanges(this.astral[i], cp)) bits |= 1 << i;
    }
    return bits;
  }
}

let pythonClasses: ClassTable | undefined;
let bpeClasses: ClassTable | undefined;

/** Bits of pythonTable(): Python `re` and str semantics. */
export const PY = { DECIMAL: 1, SPACE: 2, WORD: 4, CASED: 8, CASE_IGNORABLE: 16 } as const;

/** Python's classes (built on first use: 64 KiB). */
export function pythonTable(): ClassTable {
  pythonClasses ??= new ClassTable([PY_DECIMAL, PY_SPACE, PY_WORD, PY_CASED, PY_CASE_IGNORABLE]);
  return pythonClasses;
}

// Bits of bpeTable(): the `regex` module's \p{L}, \p{N} and \s. Separate constants rather than one
// object, so that a bundler can drop what reads them.
/** bpeTable() bit of \p{L}. */
export const BPE_LETTER = 1;
/** bpeTable() bit of \p{N}. */
export const BPE_NUMBER = 2;
/** bpeTable() bit of \s. */
export const BPE_SPACE = 4;

/** The GPT-2 pre-tokenizer's classes (built on first use: 64 KiB). */
export function bpeTable(): ClassTable {
  bpeClasses ??= new ClassTable([RX_LETTER, RX_NUMBER, RX_WHITE_SPACE]);
  return bpeClasses;
}

interface LowerTables {
  /** (0x10000) lowercase of each BMP code point, itself where unchanged (the generator checks that
   * no BMP code point lowers to an astral one). */
  bmp: Uint16Array;
  astral: Map<number, number>;
  multi: Map<number, string>;
}

let lowerTables: LowerTables | undefined;

/** Python's str.lower() per code point, without the final-sigma context (see preprocess.ts). */
export function lowerTable(): LowerTables {
  if (lowerTables) return lowerTables;
  const bmp = new Uint16Array(BMP);
  for (let cp = 0; cp < BMP; cp++) bmp[cp] = cp;
  const astral = new Map<number, number>();
  const runs = fields(PY_LOWER_RUNS, ',');
  for (let i = 0; i < runs.length; i += 4) {
    const first = parseInt(runs[i], 36);
    const count = parseInt(runs[i + 1], 36);
    const stride = Number(runs[i + 2]);
    const delta = parseInt(runs[i + 3], 36);
    for (let k = 0; k < count; k++) {
      const cp = first + k * stride;
      const low = cp + delta;
      if (cp < BMP) bmp[cp] = low;
      else astral.set(cp, low);
    }
  }
  const multi = new Map<number, string>();
  for (const entry of fields(PY_LOWER_MULTI, ';')) {
    const [cp, out] = entry.split(':');
    multi.set(parseInt(cp, 36), String.fromCodePoint(...out.split('.').map((x) => parseInt(x, 36))));
  }
  lowerTables = { bmp, astral, multi };
  return lowerTables;
}
