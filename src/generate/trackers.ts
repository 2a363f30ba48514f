/**
 * Incremental forms of the processors that look at a whole row (repetition penalty, no-repeat-n-gram).
 * The plain processors rescan every id of the row at each step, so a step costs O(length) and a long
 * generation slows down as it goes; a tracker keeps what the scan would find, updated by one token per
 * step, so a step costs what the ban or the penalty touches (at most the vocabulary), whatever the length.
 *
 * A tracker belongs to one row. Beam search forks a parent's tracker for each extra child beam; a fork
 * copies flat typed arrays, about as costly as copying the beam's ids, which beam search does anyway.
 */
import type { RowView } from './processors.js';

/** Per-row memory of one processor of the chain. */
export interface RowTracker {
  /** Edits the scores (V) of the row in place; `row.ids` holds the tokens pushed so far. */
  apply(scores: Float32Array, row: RowView): void;
  /** The row grew by `token`. */
  push(token: number): void;
  /** An independent copy, for a second row continuing this one. */
  fork(): RowTracker;
}

/** Makes the tracker of a row that starts with `prompt`. */
export type TrackerFactory = (prompt: readonly number[]) => RowTracker;

function grown(array: Int32Array, needed: number): Int32Array {
  if (needed <= array.length) return array;
  const bigger = new Int32Array(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** The distinct ids of a row, in order of first appearance, with a membership map. */
class SeenIds {
  constructor(
    readonly seen: Uint8Array, // (V) 1 where the id occurs
    public distinct: Int32Array, // (capacity) ids in order of first appearance
    public count: number,
  ) {}

  static of(prompt: readonly number[], vocabSize: number): SeenIds {
    const ids = new SeenIds(new Uint8Array(vocabSize), new Int32Array(16), 0);
    for (const id of prompt) ids.add(id);
    return ids;
  }

  add(id: number): void {
    if (this.seen[id] === 1) return;
    this.seen[id] = 1;
    this.distinct = grown(this.distinct, this.count + 1);
    this.distinct[this.count++] = id;
  }

  copy(): SeenIds {
    return new SeenIds(this.seen.slice(), this.distinct.slice(0, Math.max(16, this.count)), this.count);
  }
}

/** `repetitionPenalty` kept per row: the distinct ids are collected once, as they arrive. */
export function trackRepetitionPenalty(penalty: number, vocabSize: number): TrackerFactory {
  const tracker = (ids: SeenIds): RowTracker => ({
    apply(scores) {
      const distinct = ids.distinct;
      for (let j = 0; j < ids.count; j++) {
        const id = distinct[j]!;
        const s = scores[id]!;
        scores[id] = s < 0 ? s * penalty : s / penalty;
      }
    },
    push: (token) => ids.add(token),
    fork: () => tracker(ids.copy()),
  });
  return (prompt) => tracker(SeenIds.of(prompt, vocabSize));
}

const EMPTY = -1;

/** FNV-1a over `length` tokens from `start`. */
function hashTokens(tokens: Int32Array, start: number, length: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < length; j++) h = Math.imul(h ^ tokens[start + j]!, 0x01000193);
  return h >>> 0;
}

/**
 * The n-grams of a row (n >= 2), grouped by their first n - 1 tokens (the prefix): an open-addressing
 * table maps each prefix to the latest n-gram that starts with it, and `previous` chains each n-gram to
 * the one before it with the same prefix. Only the first occurrence of an n-gram enters its chain, so a
 * chain holds each possible next token once. N-grams are named by their start position in `tokens`.
 */
class NgramIndex {
  constructor(
    private readonly n: number,
    private tokens: Int32Array, // (capacity) the row
    private length: number,
    private slots: Int32Array, // (table size, a power of 2) latest n-gram of each prefix, or EMPTY
    private prefixes: number, // occupied slots
    private previous: Int32Array, // (capacity) earlier n-gram with the same prefix, or EMPTY
  ) {}

  static of(prompt: readonly number[], n: number): NgramIndex {
    const index = new NgramIndex(n, new Int32Array(Math.max(16, prompt.length)), 0, new Int32Array(16).fill(EMPTY), 0, new Int32Array(Math.max(16, prompt.length)));
    for (const id of prompt) index.push(id);
    return index;
  }

  /** True when the n - 1 tokens from a and from b are equal. */
  private samePrefix(a: number, b: number): boolean {
    const tokens = this.tokens;
    for (let j = 0; j < this.n - 1; j++) {
      if (tokens[a + j] !== tokens[b + j]) return false;
    }
    return true;
  }

  /** The slot of the prefix of n - 1 tokens from `start`: the one holding it, or the empty one it would take. */
  private slotOf(start: number): number {
    const mask = this.slots.length - 1;
    for (let s = hashTokens(this.tokens, start, this.n - 1) & mask; ; s = (s + 1) & mask) {
      const head = this.slots[s]!;
      if (head === EMPTY || this.samePrefix(head, start)) return s;
    }
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    for (const head of old) {
      if (head !== EMPTY) this.slots[this.slotOf(head)] = head;
    }
  }

  push(token: number): void {
    this.tokens = grown(this.tokens, this.length + 1);
    this.tokens[this.length++] = token;
    const start = this.length - this.n; // of the n-gram the token completes
    if (start < 0) return;
    const slot = this.slotOf(start);
    const head = this.slots[slot]!;
    for (let g = head; g !== EMPTY; g = this.previous[g]!) {
      if (this.tokens[g + this.n - 1] === token) return;
    }
    this.previous = grown(this.previous, start + 1);
    this.previous[start] = head;
    this.slots[slot] = start;
    if (head === EMPTY && ++this.prefixes * 2 > this.slots.length) this.rehash();
  }

  /** Sets to -Infinity every token that would complete an n-gram already in the row. */
  ban(scores: Float32Array): void {
    const start = this.length - (this.n - 1); // the prefix the next token would extend
    if (start < 0) return;
    for (let g = this.slots[this.slotOf(start)]!; g !== EMPTY; g = this.previous[g]!) {
      scores[this.tokens[g + this.n - 1]!] = -Infinity;
    }
  }

  copy(): NgramIndex {
    return new NgramIndex(this.n, this.tokens.slice(0, Math.max(16, this.length)), this.length, this.slots.slice(), this.prefixes,
      this.previous.slice(0, Math.max(16, this.length)));
  }
}

/**
 * `noRepeatNgram` kept per row. For n = 1 every token present is banned: the row's distinct ids. For
 * n >= 2 an index of the row's n-grams by prefix gives the banned tokens directly.
 */
export function trackNoRepeatNgram(n: number, vocabSize: number): TrackerFactory {
  if (n === 1) {
    const tracker = (ids: SeenIds): RowTracker => ({
      apply(scores) {
        for (let j = 0; j < ids.count; j++) scores[ids.distinct[j]!] = -Infinity;
      },
      push: (token) => ids.add(token),
      fork: () => tracker(ids.copy()),
    });
    return (prompt) => tracker(SeenIds.of(prompt, vocabSize));
  }
  const tracker = (index: NgramIndex): RowTracker => ({
    apply: (scores) => index.ban(scores),
    push: (token) => index.push(token),
    fork: () => tracker(index.copy()),
  });
  return (prompt) => tracker(NgramIndex.of(prompt, n));
}
