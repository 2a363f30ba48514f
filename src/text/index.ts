/**
 * The text layer: Python-exact preprocessing, word/char vocabularies and GPT-2's byte-level BPE.
 *
 * - `preprocessText(text)`: the tutorial's `preprocess_text`, identical to CPython 3.11 on any input.
 * - `WordTokenizer.fromCorpus(text | texts, { maxSize, minCount })`: preprocessed words; id 0 is
 *   `<unk>`, then words by count (ties: first occurrence). `encodeWithUnknown` names unknown words;
 *   `encodeInt32` takes corpora of more tokens than a number[] holds (about 134 million).
 * - `CharTokenizer.fromCorpus(...)`: the same over code points, no preprocessing.
 * - `BpeTokenizer.fromFiles(vocabJson, mergesText)` or `.fromTokenizerJSON(json)`: GPT-2's ids.
 *   `encode(text, { specialTokens: 'special' | 'text' })`, `decode(ids, { skipSpecialTokens })`,
 *   `createStreamDecoder()` for token-by-token output, `encodeInt32` for large corpora.
 * - Every tokenizer has `kind`, `vocabSize`, `encode`, `decode`, `toJSON`; `tokenizerFromJSON`
 *   rebuilds any of them from its JSON (for checkpoints).
 */
export { preprocessText, pythonLower } from './preprocess.js';
export {
  TOKENIZER_FORMAT,
  TOKENIZER_VERSION,
  type Tokenizer,
  type TokenizerJSONBase,
  type TokenizerKind,
} from './tokenizer.js';
export {
  TokenCounter,
  UNK_ID,
  UNK_TOKEN,
  Vocabulary,
  type Encoded,
  type VocabularyJSON,
  type VocabularyOptions,
} from './vocab.js';
export { VocabTokenizer, type VocabTokenizerJSON } from './vocab-tokenizer.js';
export { WordTokenizer, splitWords } from './word.js';
export { CharTokenizer, splitChars } from './char.js';
export { BpeTokenizer, type BpeEncodeOptions, type BpeTokenizerJSON, type BpeTokenizerOptions } from './bpe.js';
export { StreamDecoder, type DecodeOptions } from './bpe-decode.js';
export {
  definitionFromFiles,
  definitionFromTokenizerJSON,
  END_OF_TEXT,
  parseMergesText,
  type AddedToken,
  type BpeDefinition,
} from './bpe-files.js';
export { BYTE_TO_CHAR } from './byte-level.js';
export { pretokenize } from './pretokenize.js';
export { UNICODE_SOURCE } from './unicode-tables.js';
export { tokenizerFromJSON } from './json.js';
