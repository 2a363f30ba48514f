/**
 * The BPE merge loop over token ids. Each step merges the adjacent pair of lowest rank; equal pairs
 * merge left to right, as GPT-2's "merge every occurrence of the best pair" pass does. Long pieces
 * use a heap of (rank, position) keys with lazy invalidation, O(n log n); buffers are reused
 * across calls so neither path allocates.
 */
import type { PairTable } from './pair-table.js';

const POS = 4294967296; // keys are rank * POS + position: exact in a float64 for rank < 2^21
const NONE = 0x7fffffff;
/** Pieces up to this many bytes take the quadratic path. */
const SMALL = 24;

export class BpeMerger {
  private prev = new Int32Array(64); // (n) previous live symbol, -1 at the start
  private next = new Int32Array(64); // (n) next live symbol, -1 at the end
  // (2 * capacity) min-heap of candidate merges: n - 1 to start, and each merge pops one and
  // pushes at most two, so it never holds more than 2n keys.
  private heap = new Float64Array(128);
  private heapSize = 0;

  constructor(private readonly pairs: PairTable) {}

  /** Merges symbols[0, n) in place and returns the merged length. */
  merge(symbols: Int32Array, n: number): number {
    if (n < 2) return n;
    return n <= SMALL ? this.mergeSmall(symbols, n) : this.mergeLarge(symbols, n);
  }

  /**
   * Short pieces (most words): scan for the best pair, merge its occurrences left to right, repeat.
   * Quadratic, but without the heap's bookkeeping it is faster below SMALL symbols.
   */
  private mergeSmall(symbols: Int32Array, n: number): number {
    const pairs = this.pairs;
    for (;;) {
      let best = NONE;
      let at = -1;
      let merged = 0;
      for (let i = 0; i + 1 < n; i++) {
        const slot = pairs.find(symbols[i], symbols[i + 1]);
        if (slot >= 0 && pairs.rankAt(slot) < best) {
          best = pairs.rankAt(slot);
          at = i;
          merged = pairs.mergedAt(slot);
        }
      }
      if (at < 0) return n;
      const a = symbols[at];
      const b = symbols[at + 1];
      let w = at;
      for (let i = at; i < n; ) {
        if (i + 1 < n && symbols[i] === a && symbols[i + 1] === b) {
          symbols[w++] = merged;
          i += 2;
        } else {
          symbols[w++] = symbols[i++];
        }
      }
      n = w;
    }
  }

  private mergeLarge(symbols: Int32Array, n: number): number {
    if (this.prev.length < n) {
      this.prev = new Int32Array(n * 2);
      this.next = new Int32Array(n * 2);
      this.heap = new Float64Array(n * 4);
    }
    const { prev, next, pairs } = this;
    this.heapSize = 0;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (let i = 0; i + 1 < n; i++) this.offer(symbols, i, i + 1);
    while (this.heapSize > 0) {
      const key = this.pop();
      const rank = Math.floor(key / POS);
      const pos = key - rank * POS;
      const right = next[pos];
      // Stale when pos was absorbed (-1), lost its right neighbour, or now holds another pair.
      if (symbols[pos] < 0 || right < 0) continue;
      const slot = pairs.find(symbols[pos], symbols[right]);
      if (slot < 0 || pairs.rankAt(slot) !== rank) continue;
      symbols[pos] = pairs.mergedAt(slot);
      symbols[right] = -1;
      const after = next[right];
      next[pos] = after;
      if (after >= 0) {
        prev[after] = pos;
        this.offer(symbols, pos, after);
      }
      if (prev[pos] >= 0) this.offer(symbols, prev[pos], pos);
    }
    let k = 0;
    for (let i = 0; i >= 0; i = next[i]) symbols[k++] = symbols[i];
    return k;
  }

  private offer(symbols: Int32Array, left: number, right: number): void {
    const slot = this.pairs.find(symbols[left], symbols[right]);
    if (slot >= 0) this.push(this.pairs.rankAt(slot) * POS + left);
  }

  private push(key: number): void {
    const heap = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = key;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.heapSize];
    const size = this.heapSize;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
