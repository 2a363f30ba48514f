/**
 * A character tokenizer over Unicode code points (an emoji or an astral letter is one token, not
 * two UTF-16 units). No preprocessing: case, digits and punctuation are kept. A lone surrogate is a
 * token of its own. Decoding an `<unk>` id gives U+FFFD, the replacement character.
 */
import { VocabTokenizer, vocabularyFrom, vocabularyFromJSON } from './vocab-tokenizer.js';
import { UNK_TOKEN, type Vocabulary, type VocabularyOptions } from './vocab.js';

const REPLACEMENT = '\ufffd';

/** The code points of text, each as a string. */
export function splitChars(text: string): string[] {
  return Array.from(text);
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

  /** Over an existing vocabulary; throws a TypeError if an entry other than `<unk>` is not exactly one code point. */
  constructor(vocabulary: Vocabulary) {
    super(vocabulary, 'CharTokenizer', (token) => splitChars(token).length === 1, 'expected exactly one code point');
  }

  /** Builds the vocabulary from one text or many (counts add up across them). */
  static fromCorpus(corpus: string | Iterable<string>, options: VocabularyOptions = {}): CharTokenizer {
    return new CharTokenizer(vocabularyFrom(splitChars, corpus, options, 'CharTokenizer.fromCorpus', 'characters'));
  }

  /** From what toJSON() wrote; throws a TypeError for anything else. */
  static fromJSON(json: unknown): CharTokenizer {
    return new CharTokenizer(vocabularyFromJSON(json, 'char'));
  }

  /** The code points of text, before the vocabulary lookup. */
  split(text: string): string[] {
    return splitChars(text);
  }

  protected join(tokens: string[]): string {
    return tokens.map((t) => (t === UNK_TOKEN ? REPLACEMENT : t)).join('');
  }
}
