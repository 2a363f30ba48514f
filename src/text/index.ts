/** The text layer: Python-exact preprocessing, word/char vocabularies and GPT-2's byte-level BPE. */
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
export { tokenizerFromJSON } from './json.js';
