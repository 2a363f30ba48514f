/**
 * The tutorial's word tokenizer: `preprocess_text(text).split()`, then a vocabulary lookup.
 * Decoding joins words with single spaces (the preprocessing already lost case, digits and
 * punctuation, so decode(encode(t)) is the preprocessed text with single spaces).
 */
import { preprocessText } from './preprocess.js';
import { VocabTokenizer, vocabularyFrom, vocabularyFromJSON } from './vocab-tokenizer.js';
import type { Vocabulary, VocabularyOptions } from './vocab.js';

/** Words of text as the tutorial gets them: preprocessText, then split on runs of spaces. */
export function splitWords(text: string): string[] {
  // After preprocessText the only whitespace left is U+0020, so this equals Python's str.split().
  return preprocessText(text).split(' ').filter((w) => w.length > 0);
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

  /** Over an existing vocabulary; throws a TypeError if an entry other than `<unk>` contains a space. */
  constructor(vocabulary: Vocabulary) {
    super(vocabulary, 'WordTokenizer', (token) => !token.includes(' '), 'but words never contain a space');
  }

  /** Builds the vocabulary from one text or many (counts add up across them). */
  static fromCorpus(corpus: string | Iterable<string>, options: VocabularyOptions = {}): WordTokenizer {
    return new WordTokenizer(vocabularyFrom(splitWords, corpus, options, 'WordTokenizer.fromCorpus', 'words (digits and punctuation are dropped)'));
  }

  /** From what toJSON() wrote; throws a TypeError for anything else. */
  static fromJSON(json: unknown): WordTokenizer {
    return new WordTokenizer(vocabularyFromJSON(json, 'word'));
  }

  /** The words of text (see splitWords), before the vocabulary lookup. */
  split(text: string): string[] {
    return splitWords(text);
  }

  protected join(tokens: string[]): string {
    return tokens.join(' ');
  }
}
