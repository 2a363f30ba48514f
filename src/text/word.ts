/**
 * The tutorial's word tokenizer: `preprocess_text(text).split()`, then a vocabulary lookup.
 * Decoding joins words with single spaces (the preprocessing already lost case, digits and
 * punctuation, so decode(encode(t)) is the preprocessed text with single spaces).
 */
import { preprocessInto, preprocessText, type PreprocessSink } from './preprocess.js';
import { decodeUtf16 } from './utf16.js';
import { EntryCounts, UnitTable } from './unit-table.js';
import { VocabTokenizer, vocabularyFrom, vocabularyFromJSON, type PieceCounter } from './vocab-tokenizer.js';
import { UNK_ID, type Vocabulary, type VocabularyOptions } from './vocab.js';
import type { IdBuffer } from './id-buffer.js';

/** Words of text as the tutorial gets them: preprocessText, then split on runs of spaces. */
export function splitWords(text: string): string[] {
  // After preprocessText the only whitespace left is U+0020, so this equals Python's str.split().
  return preprocessText(text).split(' ').filter((w) => w.length > 0);
}

/** Counts the words of a corpus (see splitWords) without a string per occurrence. */
export class WordCounter implements PieceCounter, PreprocessSink {
  private readonly words = new UnitTable();
  private readonly counts = new EntryCounts();

  add(piece: string): void {
    preprocessInto(piece, this);
  }

  word(units: Uint16Array, length: number, hash: number): void {
    this.counts.increment(this.words.add(units, 0, length, hash));
  }

  space(): void {}

  get distinct(): number {
    return this.words.size;
  }

  count(i: number): number {
    return this.counts.get(i);
  }

  token(i: number): string {
    return this.words.token(i);
  }
}

/** Looks up the words of preprocessed text in a vocabulary's table of words. */
class WordEncoder implements PreprocessSink {
  constructor(
    private readonly ids: UnitTable, // entry i is the word of id i
    private readonly out: IdBuffer,
    private readonly unknown: Set<string> | null,
  ) {}

  word(units: Uint16Array, length: number, hash: number): void {
    const id = this.ids.find(units, 0, length, hash);
    if (id >= 0) {
      this.out.push(id);
    } else {
      this.out.push(UNK_ID);
      this.unknown?.add(decodeUtf16(units.subarray(0, length)));
    }
  }

  space(): void {}
}

/**
 * The tutorial's word tokenizer: preprocessText (lowercase, digits deleted, other non-word characters
 * turned into spaces, exactly as the tutorial's Python), split on spaces, then a vocabulary lookup with
 * `<unk>` at id 0. Decoding joins words with single spaces.
 *
 * `const tokenizer = WordTokenizer.fromCorpus(text, { maxSize: 5000, minCount: 2 }); tokenizer.encode('it is')`
 */
export class WordTokenizer extends VocabTokenizer {
  /** Always 'word'. */
  readonly kind = 'word' as const;
  // Entry i is the token of id i, looked up by units.
  private readonly ids = new UnitTable();

  /** Over an existing vocabulary; throws a TypeError if an entry other than `<unk>` contains a space. */
  constructor(vocabulary: Vocabulary) {
    super(vocabulary, 'WordTokenizer', (token) => !token.includes(' '), 'but words never contain a space');
    for (const token of vocabulary.tokens) this.ids.addString(token);
  }

  /** Builds the vocabulary from one text or many (counts add up across them). */
  static fromCorpus(corpus: string | Iterable<string>, options: VocabularyOptions = {}): WordTokenizer {
    return new WordTokenizer(vocabularyFrom(new WordCounter(), corpus, options, 'WordTokenizer.fromCorpus', 'words (digits and punctuation are dropped)'));
  }

  /** From what toJSON() wrote; throws a TypeError for anything else. */
  static fromJSON(json: unknown): WordTokenizer {
    return new WordTokenizer(vocabularyFromJSON(json, 'word'));
  }

  /** The words of text (see splitWords), before the vocabulary lookup. */
  split(text: string): string[] {
    return splitWords(text);
  }

  appendIds(piece: string, out: IdBuffer, unknown: Set<string> | null): void {
    preprocessInto(piece, new WordEncoder(this.ids, out, unknown));
  }

  protected join(tokens: string[]): string {
    return tokens.join(' ');
  }
}
