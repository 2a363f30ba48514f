/**
 * A token vocabulary with an unknown token: ids are stable and documented so that a checkpoint's
 * embedding rows keep their meaning.
 *
 * Id order: `<unk>` is id 0; then tokens by count, highest first; equal counts keep the order in
 * which the tokens first appeared in the corpus. (The tutorial numbers `set(words)`, whose order
 * changes from run to run; we do not copy that.)
 */
import { checkOptionKeys } from '../util/options.js';
import { ownString } from '../util/strings.js';
import { describe } from '../util/arguments.js';

/** The unknown token: entry 0 of every word and character vocabulary, standing for every token outside it. */
export const UNK_TOKEN = '<unk>';
/** Id of `<unk>` in every word and character vocabulary. */
export const UNK_ID = 0;

/** How far a vocabulary built from a corpus is cut down (fromCorpus, Vocabulary.build). */
export interface VocabularyOptions {
  /** Most entries kept, `<unk>` included (default: no limit). An integer >= 1; tokenizers' fromCorpus needs >= 2,
   *  since a vocabulary of `<unk>` alone cannot be trained on. */
  maxSize?: number | undefined;
  /** Fewest occurrences a token needs to get its own id (default 1). Must be an integer >= 1. */
  minCount?: number | undefined;
}

/** Distinct tokens in order of first occurrence, with their counts: what a vocabulary is built from. */
export interface CountedTokens {
  /** Number of distinct tokens. */
  readonly distinct: number;
  /** Count of the i-th distinct token. */
  count(i: number): number;
  /** The i-th distinct token. */
  token(i: number): string;
}

/** The most frequent of counted tokens other than `<unk>`, with its count; null when there is none. */
export function mostFrequent(counted: CountedTokens): { token: string; count: number } | null {
  let top: { token: string; count: number } | null = null;
  for (let i = 0; i < counted.distinct; i++) {
    const count = counted.count(i);
    if ((top === null || count > top.count) && counted.token(i) !== UNK_TOKEN) top = { token: counted.token(i), count };
  }
  return top;
}

/**
 * The vocabulary of counted tokens (see the module comment for the id order). Only the kept tokens
 * are asked for as strings. `where` names the public function in errors about the options.
 */
export function buildVocabulary(counted: CountedTokens, options: VocabularyOptions, where: string): Vocabulary {
  const { maxSize, minCount } = checkOptions(options, where);
  const order: number[] = [];
  for (let i = 0; i < counted.distinct; i++) if (counted.count(i) >= minCount) order.push(i);
  order.sort((a, b) => counted.count(b) - counted.count(a) || a - b);
  const kept = [UNK_TOKEN];
  for (let k = 0; k < order.length && kept.length < maxSize; k++) {
    const token = counted.token(order[k]);
    // The literal unknown token in a corpus folds into id 0 instead of getting a second id.
    if (token !== UNK_TOKEN) kept.push(token);
  }
  return new Vocabulary(kept);
}

/** Counts tokens in first-occurrence order; feed it chunk by chunk, then build(). */
export class TokenCounter {
  private readonly counts = new Map<string, number>();

  add(token: string): void {
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
  }

  addAll(tokens: Iterable<string>): void {
    for (const token of tokens) this.add(token);
  }

  /** Number of distinct tokens seen. */
  get distinct(): number {
    return this.counts.size;
  }

  /** The most frequent token other than `<unk>`, with its count; null when there is none. */
  mostFrequent(): { token: string; count: number } | null {
    return mostFrequent(this.counted());
  }

  /** `where` names the public function in errors about the options. */
  build(options: VocabularyOptions = {}, where = 'Vocabulary'): Vocabulary {
    return buildVocabulary(this.counted(), options, where);
  }

  private counted(): CountedTokens {
    const tokens = [...this.counts.keys()];
    const counts = [...this.counts.values()];
    return { distinct: tokens.length, count: (i) => counts[i], token: (i) => tokens[i] };
  }
}

function checkOptions(options: VocabularyOptions, where: string): Required<VocabularyOptions> {
  checkOptionKeys(where, options, ['maxSize', 'minCount']);
  const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  const minCount = options.minCount ?? 1;
  if (!(maxSize === Number.POSITIVE_INFINITY || (Number.isInteger(maxSize) && maxSize >= 1))) {
    throw new RangeError(`${where}: maxSize must be an integer >= 1 (it counts <unk>), got ${describe(maxSize)}`);
  }
  if (!(Number.isInteger(minCount) && minCount >= 1)) {
    throw new RangeError(`${where}: minCount must be an integer >= 1, got ${describe(minCount)}`);
  }
  return { maxSize, minCount };
}

/** A vocabulary as Vocabulary.toJSON() writes it and Vocabulary.fromJSON() reads it. */
export interface VocabularyJSON {
  /** Token of each id; tokens[0] is `<unk>`. */
  tokens: string[];
}

/** Ids of a token sequence, with the tokens that had to become `<unk>`. */
export interface Encoded {
  ids: number[];
  /** Distinct tokens that were mapped to `<unk>`, in order of first appearance. */
  unknown: string[];
}

/**
 * A token list with `<unk>` at id 0 and a lookup from token to id. Built from a corpus, the order is
 * `<unk>`, then tokens by count (highest first), equal counts in order of first appearance; ids never
 * change afterwards, so a checkpoint's embedding rows keep their meaning.
 */
export class Vocabulary {
  private readonly list: readonly string[];
  private readonly index: Map<string, number>;

  /** tokens[i] is the token of id i; tokens[0] must be `<unk>` and no token may repeat. */
  constructor(tokens: readonly string[]) {
    if (tokens.length === 0 || tokens[0] !== UNK_TOKEN) {
      throw new TypeError(`Vocabulary: the first token must be "${UNK_TOKEN}", got ${describe(tokens[0])}`);
    }
    const index = new Map<string, number>();
    const list = tokens.map((token, id) => {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TypeError(`Vocabulary: token ${id} must be a non-empty string, got ${describe(token)}`);
      }
      // Copied: a token split from a corpus may be a slice that keeps the whole corpus alive.
      const own = ownString(token);
      const previous = index.get(own);
      if (previous !== undefined) {
        throw new TypeError(`Vocabulary: token ${JSON.stringify(token)} appears twice (ids ${previous} and ${id})`);
      }
      index.set(own, id);
      return own;
    });
    this.list = Object.freeze(list);
    this.index = index;
  }

  /** Builds a vocabulary from a token sequence (see the module comment for the id order). */
  static build(tokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    const counter = new TokenCounter();
    counter.addAll(tokens);
    return counter.build(options);
  }

  /** Number of ids, `<unk>` included. */
  get size(): number {
    return this.list.length;
  }

  /** Every token, indexed by id. */
  get tokens(): readonly string[] {
    return this.list;
  }

  /** Whether token has an id of its own (`<unk>` does). */
  has(token: string): boolean {
    return this.index.has(token);
  }

  /** Id of a token, UNK_ID when it is not in the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? UNK_ID;
  }

  /** Token of an id; throws a RangeError for an id outside [0, size). */
  token(id: number): string {
    const token = Number.isInteger(id) ? this.list[id] : undefined;
    if (token === undefined) {
      throw new RangeError(`Vocabulary: id ${String(id)} is outside [0, ${this.list.length})`);
    }
    return token;
  }

  /** Ids of tokens, with the distinct tokens that were not in the vocabulary. */
  encode(tokens: readonly string[]): Encoded {
    const ids = new Array<number>(tokens.length);
    const unknown = new Set<string>();
    for (let i = 0; i < tokens.length; i++) {
      const id = this.index.get(tokens[i]);
      if (id === undefined) {
        unknown.add(tokens[i]);
        ids[i] = UNK_ID;
      } else {
        ids[i] = id;
      }
    }
    return { ids, unknown: [...unknown] };
  }

  /** The token list, for fromJSON(). */
  toJSON(): VocabularyJSON {
    return { tokens: this.list.slice() };
  }

  /** Validates and loads what toJSON() wrote. */
  static fromJSON(json: unknown): Vocabulary {
    const tokens = (json as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(tokens)) {
      throw new TypeError(`Vocabulary.fromJSON: expected { tokens: string[] }, got ${describe(tokens ?? json)}`);
    }
    return new Vocabulary(tokens as string[]);
  }
}
