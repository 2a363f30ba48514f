/**
 * A hash table keyed by runs of UTF-16 units, so that words can be counted and looked up straight
 * from a buffer: a JavaScript string and a Map lookup per word of a corpus cost more than all the
 * preprocessing (and a string array of every word of a large corpus does not fit in memory).
 */
import { decodeUtf16 } from './utf16.js';

const EMPTY = -1;
/** Units that token() turns into a string with one String.fromCharCode call, far below any engine's argument limit. */
const SHORT = 256;

/** FNV-1a step over one UTF-16 unit; `hash` starts at UNIT_HASH_SEED. */
export const hashUnit = (hash: number, unit: number): number => Math.imul(hash ^ unit, 0x01000193);
/** The FNV-1a offset basis. */
export const UNIT_HASH_SEED = 0x811c9dc5 | 0;

/** FNV-1a hash of units[from, to). */
export function hashUnits(units: ArrayLike<number>, from = 0, to = units.length): number {
  let hash = UNIT_HASH_SEED;
  for (let i = from; i < to; i++) hash = hashUnit(hash, units[i]);
  return hash;
}

/** Distinct unit runs in order of first addition; entry i is the i-th distinct run. */
export class UnitTable {
  private slots = new Int32Array(1024).fill(EMPTY); // entry per slot, a power of two long
  private hashes = new Int32Array(256); // (entries capacity)
  private starts = new Int32Array(257); // entry i is units[starts[i], starts[i + 1])
  private units: Uint16Array = new Uint16Array(4096);
  private scratch = new Uint16Array(64); // addString's units
  /** Number of distinct runs. */
  size = 0;

  /** Entry of units[from, to), whose hash is `hash`; -1 if absent. */
  find(units: Uint16Array, from: number, to: number, hash: number): number {
    return this.slots[this.probe(units, from, to, hash)];
  }

  /** Entry of units[from, to), added as the next entry if absent. */
  add(units: Uint16Array, from: number, to: number, hash: number): number {
    const slot = this.probe(units, from, to, hash);
    if (this.slots[slot] !== EMPTY) return this.slots[slot];
    const entry = this.size++;
    if (entry === this.hashes.length) this.growEntries();
    const start = this.starts[entry];
    const end = start + (to - from);
    if (end > this.units.length) this.units = grown(this.units, end);
    this.units.set(units.subarray(from, to), start);
    this.starts[entry + 1] = end;
    this.hashes[entry] = hash;
    this.slots[slot] = entry;
    // At most half full, so probes stay short.
    if (2 * this.size > this.slots.length) this.rehash();
    return entry;
  }

  /** Entry of a string's units, added as the next entry if absent. */
  addString(text: string): number {
    if (text.length > this.scratch.length) this.scratch = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) this.scratch[i] = text.charCodeAt(i);
    return this.add(this.scratch, 0, text.length, hashUnits(this.scratch, 0, text.length));
  }

  /** The run of an entry as a string. */
  token(entry: number): string {
    const units = this.units.subarray(this.starts[entry], this.starts[entry + 1]);
    // A call per short token costs less than a TextDecoder call.
    return units.length <= SHORT ? String.fromCharCode.apply(null, units as unknown as number[]) : decodeUtf16(units);
  }

  /** The slot that holds units[from, to), or the empty slot where it would go. */
  private probe(units: Uint16Array, from: number, to: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry === EMPTY || (this.hashes[entry] === hash && this.equals(entry, units, from, to))) return slot;
    }
  }

  private equals(entry: number, units: Uint16Array, from: number, to: number): boolean {
    const start = this.starts[entry];
    if (this.starts[entry + 1] - start !== to - from) return false;
    for (let i = from; i < to; i++) if (this.units[start + i - from] !== units[i]) return false;
    return true;
  }

  private growEntries(): void {
    const capacity = 2 * this.hashes.length;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const starts = new Int32Array(capacity + 1);
    starts.set(this.starts);
    this.starts = starts;
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length).fill(EMPTY);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.hashes[entry] & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}

/** A count per entry of a table, growing with it (doubles: a corpus can hold a token 2^31 times). */
export class EntryCounts {
  private counts = new Float64Array(256);

  increment(entry: number): void {
    if (entry >= this.counts.length) {
      const next = new Float64Array(Math.max(2 * this.counts.length, entry + 1));
      next.set(this.counts);
      this.counts = next;
    }
    this.counts[entry]++;
  }

  get(entry: number): number {
    return this.counts[entry];
  }
}

/** A map from code points to non-negative integers: an array over the BMP, a Map above it. */
export class CodePointMap {
  private readonly bmp = new Int32Array(0x10000).fill(EMPTY);
  private readonly astral = new Map<number, number>();

  /** The value of cp; -1 if it has none. */
  get(cp: number): number {
    return cp < 0x10000 ? this.bmp[cp] : (this.astral.get(cp) ?? EMPTY);
  }

  set(cp: number, value: number): void {
    if (cp < 0x10000) this.bmp[cp] = value;
    else this.astral.set(cp, value);
  }
}

function grown(units: Uint16Array, needed: number): Uint16Array {
  const next = new Uint16Array(Math.max(2 * units.length, needed));
  next.set(units);
  return next;
}
