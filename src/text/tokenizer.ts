/**
 * The interface every textloom tokenizer implements, and the JSON envelope that lets a checkpoint
 * store any of them (see tokenizerFromJSON in json.ts).
 */

import { describe } from '../util/arguments.js';

export type TokenizerKind = 'word' | 'char' | 'bpe';

/** Name and version written into every serialized tokenizer. */
export const TOKENIZER_FORMAT = 'textloom-tokenizer';
/** Version of the serialized tokenizer format; reading JSON of another version throws a TypeError. */
export const TOKENIZER_VERSION = 1;

/** Fields shared by every serialized tokenizer. */
export interface TokenizerJSONBase {
  format: typeof TOKENIZER_FORMAT;
  version: typeof TOKENIZER_VERSION;
  kind: TokenizerKind;
}

/**
 * What every textloom tokenizer (WordTokenizer, CharTokenizer, BpeTokenizer) provides, and what training,
 * generation and checkpoints use.
 */
export interface Tokenizer {
  /** Which tokenizer this is: 'word', 'char' or 'bpe' (also the `kind` of its JSON). */
  readonly kind: TokenizerKind;
  /** Number of ids: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Ids of text. */
  encode(text: string): number[];
  /** Text of ids; throws a RangeError for an id outside [0, vocabSize). */
  decode(ids: readonly number[]): string;
  /** A plain JSON object that tokenizerFromJSON turns back into an equal tokenizer. */
  toJSON(): TokenizerJSONBase;
}

/** Throws a RangeError unless every id is an integer in [0, size), and a TypeError for no array of ids. */
export function checkIds(ids: readonly number[], size: number, who: string): void {
  if (typeof ids !== 'object' || ids === null || typeof ids.length !== 'number') {
    throw new TypeError(`${who}: expected an array of token ids, got ${describe(ids)}; encode(text) gives the ids of a text`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new RangeError(
        `${who}: id at position ${i} is ${String(id)}, expected an integer in [0, ${size}); ` +
          'ids must come from this tokenizer',
      );
    }
  }
}

/** Checks the envelope of a serialized tokenizer; returns it as a record for field checks. */
export function checkEnvelope(json: unknown, kind: TokenizerKind | null, who: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`${who}: expected a tokenizer JSON object, got ${describe(json)}`);
  }
  const obj = json as Record<string, unknown>;
  if (obj.format !== TOKENIZER_FORMAT) {
    throw new TypeError(
      `${who}: expected format "${TOKENIZER_FORMAT}", got ${describe(obj.format)}; ` +
        'pass the object written by a textloom tokenizer\'s toJSON()',
    );
  }
  if (obj.version !== TOKENIZER_VERSION) {
    throw new TypeError(
      `${who}: unsupported version ${describe(obj.version)}, this textloom reads version ${TOKENIZER_VERSION}`,
    );
  }
  if (kind !== null && obj.kind !== kind) {
    throw new TypeError(`${who}: expected kind "${kind}", got ${describe(obj.kind)}`);
  }
  return obj;
}
