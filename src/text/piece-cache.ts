/**
 * A bounded cache of BPE results per pre-token, looked up by a range of the text being encoded so
 * that a hit allocates nothing (no substring is made). Two-way set associative: each piece hashes
 * to a set of two entries and a miss replaces the less recently used one, so memory is fixed and
 * frequent pieces stay.
 */
import { ownString } from '../util/strings.js';
import type { IdBuffer } from './id-buffer.js';

export class PieceCache {
  private readonly mask: number;
  private readonly keys: Array<string | undefined>; // (2 * sets) cached piece texts
  private readonly hashes: Int32Array; // (2 * sets)
  private readonly single: Int32Array; // (2 * sets) the id of a one-token piece, -1 otherwise
  private readonly multi: Array<Int32Array | undefined>; // (2 * sets) ids of longer pieces
  private readonly recent: Uint8Array; // (sets) way used last in each set

  /** capacity: entries held at most, rounded up to a power of two (at least 2). */
  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`PieceCache: capacity must be an integer >= 1, got ${capacity}`);
    }
    let sets = 1;
    while (sets * 2 < capacity) sets *= 2;
    this.mask = sets - 1;
    this.keys = new Array<string | undefined>(2 * sets).fill(undefined);
    this.hashes = new Int32Array(2 * sets);
    this.single = new Int32Array(2 * sets);
    this.multi = new Array<Int32Array | undefined>(2 * sets).fill(undefined);
    this.recent = new Uint8Array(sets);
  }

  /** Hash of text[from, to). */
  static hash(text: string, from: number, to: number): number {
    let h = 0x811c9dc5 ^ (to - from);
    for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 15);
  }

  /** Entry holding text[from, to), or -1. */
  find(text: string, from: number, to: number, hash: number): number {
    const set = hash & this.mask;
    for (let way = 0; way < 2; way++) {
      const entry = 2 * set + way;
      if (this.hashes[entry] !== hash) continue;
      const key = this.keys[entry];
      if (key === undefined || key.length !== to - from) continue;
      let i = 0;
      while (i < key.length && key.charCodeAt(i) === text.charCodeAt(from + i)) i++;
      if (i === key.length) {
        this.recent[set] = way;
        return entry;
      }
    }
    return -1;
  }

  /** Appends the cached ids of an entry found by find() to out. */
  emit(entry: number, out: IdBuffer): void {
    const id = this.single[entry];
    if (id >= 0) out.push(id);
    else out.pushAll(this.multi[entry]!);
  }

  /** Caches ids (one or more) for text[from, to). */
  store(text: string, from: number, to: number, hash: number, ids: Int32Array): void {
    const set = hash & this.mask;
    const way = this.recent[set] ^ 1;
    const entry = 2 * set + way;
    this.recent[set] = way;
    // A copy: a slice of a long piece would keep the whole text being encoded alive while it is cached.
    this.keys[entry] = ownString(text, from, to);
    this.hashes[entry] = hash;
    this.single[entry] = ids.length === 1 ? ids[0] : -1;
    this.multi[entry] = ids.length === 1 ? undefined : ids.slice();
  }

  clear(): void {
    this.keys.fill(undefined);
    this.multi.fill(undefined);
    this.hashes.fill(0);
  }
}
