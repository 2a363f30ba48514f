/**
 * The tutorial's word tokenizer: `preprocess_text(text).split()`, then a vocabulary lookup.
 * Decoding joins words with single spaces (the preprocessing already lost case, digits and
 * punctuation, so decode(encode(t)) is the preprocessed text with single spaces).
 */
import { decodeUtf16, preprocessText, preprocessUnits } from './preprocess.js';
import { EntryCounts, hashUnit, hashUnits, UNIT_HASH_SEED, UnitTable } from './unit-table.js';
import { VocabTokenizer, vocabularyFrom, vocabularyFromJSON, type PieceCounter } from './vocab-tokenizer.js';
import { TokenCounter, UNK_ID, type Vocabulary, type VocabularyOptions } from './vocab.js';
import type { IdBuffer } from './id-buffer.js';

const SPACE = 0x20;

/** Words of text as the tutorial gets them: preprocessText, then split on runs of spaces. */
export function splitWords(text: string): string[] {
  // After preprocessText the only whitespace left is U+0020, so this equals Python's str.split().
  return preprocessText(text).split(' ').filter((w) => w.length > 0);
}

/** Calls onWord with the bounds and hash of each word of preprocessed units (the runs between spaces). */
function forEachWord(units: Uint16Array, onWord: (from: number, to: number, hash: number) => void): void {
  let from = 0;
  let hash = UNIT_HASH_SEED;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i];
    if (unit !== SPACE) {
      hash = hashUnit(hash, unit);
    } else {
      if (i > from) onWord(from, i, hash);
      from = i + 1;
      hash = UNIT_HASH_SEED;
    }
  }
  if (units.length > from) onWord(from, units.length, hash);
}

/** Counts the words of a corpus (see splitWords) without a string per occurrence. */
export class WordCounter implements PieceCounter {
  private readonly words = new UnitTable();
  private readonly counts = new EntryCounts();

  add(piece: string): void {
    const units = preprocessUnits(piece);
    forEachWord(units, (from, to, hash) => this.counts.increment(this.words.add(units, from, to, hash)));
  }

  finish(): TokenCounter {
    const counter = new TokenCounter();
    for (let entry = 0; entry < this.words.size; entry++) counter.add(this.words.token(entry), this.counts.get(entry));
    return counter;
  }
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
    for (const token of vocabulary.tokens) {
      const units = new Uint16Array(token.length);
      for (let i = 0; i < token.length; i++) units[i] = token.charCodeAt(i);
      this.ids.add(units, 0, units.length, hashUnits(units));
    }
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
    const units = preprocessUnits(piece);
    forEachWord(units, (from, to, hash) => {
      const id = this.ids.find(units, from, to, hash);
      if (id >= 0) {
        out.push(id);
      } else {
        out.push(UNK_ID);
        unknown?.add(decodeUtf16(units.subarray(from, to)));
      }
    });
  }

  protected join(tokens: string[]): string {
    return tokens.join(' ');
  }
}
