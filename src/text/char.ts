/**
 * A character tokenizer over Unicode code points (an emoji or an astral letter is one token, not
 * two UTF-16 units). No preprocessing: case, digits and punctuation are kept. A lone surrogate is a
 * token of its own. Decoding an `<unk>` id gives U+FFFD, the replacement character.
 */
import { codePointAt } from './unicode.js';
import { CodePointMap, EntryCounts } from './unit-table.js';
import { VocabTokenizer, vocabularyFrom, vocabularyFromJSON, type PieceCounter } from './vocab-tokenizer.js';
import { UNK_ID, UNK_TOKEN, type Vocabulary, type VocabularyOptions } from './vocab.js';
import type { IdBuffer } from './id-buffer.js';

const REPLACEMENT = '\ufffd';

/** The code points of text, each as a string. */
export function splitChars(text: string): string[] {
  return Array.from(text);
}

/** Counts the code points of a corpus without a string per occurrence. */
export class CharCounter implements PieceCounter {
  private readonly entries = new CodePointMap();
  private readonly order: number[] = []; // code point of each entry
  private readonly counts = new EntryCounts();

  add(piece: string): void {
    for (let i = 0; i < piece.length; ) {
      const cp = codePointAt(piece, i);
      i += cp >= 0x10000 ? 2 : 1;
      let entry = this.entries.get(cp);
      if (entry < 0) {
        entry = this.order.length;
        this.entries.set(cp, entry);
        this.order.push(cp);
      }
      this.counts.increment(entry);
    }
  }

  get distinct(): number {
    return this.order.length;
  }

  count(i: number): number {
    return this.counts.get(i);
  }

  token(i: number): string {
    return String.fromCodePoint(this.order[i]);
  }
}

/**
 * A character tokenizer over Unicode code points, without preprocessing (case, digits and punctuation
 * are kept). Decoding `<unk>` gives U+FFFD.
 *
 * `const tokenizer = CharTokenizer.fromCorpus(text); tokenizer.decode(tokenizer.encode('Hi!'))`
 */
export class CharTokenizer extends VocabTokenizer {
  /** Always 'char'. */
  readonly kind = 'char' as const;
  private readonly ids = new CodePointMap();

  /** Over an existing vocabulary; throws a TypeError if an entry other than `<unk>` is not exactly one code point. */
  constructor(vocabulary: Vocabulary) {
    super(vocabulary, 'CharTokenizer', (token) => splitChars(token).length === 1, 'expected exactly one code point');
    for (let id = 1; id < vocabulary.size; id++) this.ids.set(codePointAt(vocabulary.token(id), 0), id);
  }

  /** Builds the vocabulary from one text or many (counts add up across them). */
  static fromCorpus(corpus: string | Iterable<string>, options: VocabularyOptions = {}): CharTokenizer {
    return new CharTokenizer(vocabularyFrom(new CharCounter(), corpus, options, 'CharTokenizer.fromCorpus', 'characters'));
  }

  /** From what toJSON() wrote; throws a TypeError for anything else. */
  static fromJSON(json: unknown): CharTokenizer {
    return new CharTokenizer(vocabularyFromJSON(json, 'char'));
  }

  /** The code points of text, before the vocabulary lookup. */
  split(text: string): string[] {
    return splitChars(text);
  }

  appendIds(piece: string, out: IdBuffer, unknown: Set<string> | null): void {
    for (let i = 0; i < piece.length; ) {
      const cp = codePointAt(piece, i);
      i += cp >= 0x10000 ? 2 : 1;
      const id = this.ids.get(cp);
      if (id >= 0) {
        out.push(id);
      } else {
        out.push(UNK_ID);
        unknown?.add(String.fromCodePoint(cp));
      }
    }
  }

  protected join(tokens: string[]): string {
    return tokens.map((t) => (t === UNK_TOKEN ? REPLACEMENT : t)).join('');
  }
}
