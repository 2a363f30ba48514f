/**
 * An open-addressing hash table from a pair of token ids to (merge rank, merged id): the BPE merge
 * loop looks pairs up without building strings or boxing keys.
 */
const EMPTY = -1;

export class PairTable {
  private readonly mask: number;
  private readonly left: Int32Array; // (capacity)
  private readonly right: Int32Array; // (capacity)
  private readonly ranks: Int32Array; // (capacity)
  private readonly merged: Int32Array; // (capacity)

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.left = new Int32Array(capacity).fill(EMPTY);
    this.right = new Int32Array(capacity);
    this.ranks = new Int32Array(capacity);
    this.merged = new Int32Array(capacity);
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
  }

  /** Sets the rank and result of a pair. A pair listed twice keeps the later rank, as Hugging Face's
   * tokenizers do (they collect the merges into a map). */
  set(a: number, b: number, rank: number, mergedId: number): void {
    let i = this.slot(a, b) & this.mask;
    while (this.left[i] !== EMPTY && !(this.left[i] === a && this.right[i] === b)) i = (i + 1) & this.mask;
    this.left[i] = a;
    this.right[i] = b;
    this.ranks[i] = rank;
    this.merged[i] = mergedId;
  }

  /** Slot of the pair, or -1 when the pair does not merge. */
  find(a: number, b: number): number {
    let i = this.slot(a, b) & this.mask;
    for (;;) {
      const l = this.left[i];
      if (l === EMPTY) return -1;
      if (l === a && this.right[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }

  rankAt(slot: number): number {
    return this.ranks[slot];
  }

  mergedAt(slot: number): number {
    return this.merged[slot];
  }
}
