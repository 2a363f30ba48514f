/** Loading any serialized textloom tokenizer (for example from a checkpoint's metadata). */
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { describe } from '../util/arguments.js';
import { checkEnvelope, type Tokenizer } from './tokenizer.js';
import { WordTokenizer } from './word.js';

/** Rebuilds the tokenizer whose toJSON() wrote json (an object or its JSON text). */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new TypeError(`tokenizerFromJSON: the string is not valid JSON (${(err as Error).message})`);
    }
  }
  const obj = checkEnvelope(value, null, 'tokenizerFromJSON');
  switch (obj.kind) {
    case 'word':
      return WordTokenizer.fromJSON(obj);
    case 'char':
      return CharTokenizer.fromJSON(obj);
    case 'bpe':
      return BpeTokenizer.fromJSON(obj);
    default:
      throw new TypeError(`tokenizerFromJSON: expected kind "word", "char" or "bpe", got ${describe(obj.kind)}`);
  }
}
