/**
 * What the word and character tokenizers share: split text into tokens, look them up in a
 * Vocabulary, serialize as the vocabulary's token list.
 */
import {
  checkEnvelope,
  checkIds,
  TOKENIZER_FORMAT,
  TOKENIZER_VERSION,
  type Tokenizer,
  type TokenizerJSONBase,
} from './tokenizer.js';
import { describe } from '../util/arguments.js';
import { IdBuffer } from './id-buffer.js';
import {
  buildVocabulary,
  mostFrequent,
  UNK_TOKEN,
  Vocabulary,
  type CountedTokens,
  type Encoded,
  type VocabularyOptions,
} from './vocab.js';

/** Texts longer than this many UTF-16 units are counted and encoded a piece at a time: split() of a
 *  whole corpus makes an array of all its tokens, and a V8 array holds at most about 134 million
 *  (a character corpus of 134 MB failed with "Invalid array length"). */
export const PIECE_UNITS = 1 << 24;

/**
 * `text` cut into pieces of about `size` units, each ending just after a space or line feed (the
 * first one at or after the size when the piece has none), so that no word or surrogate pair is cut:
 * the tokens of the pieces are the tokens of the text.
 */
export function* textPieces(text: string, size = PIECE_UNITS): Generator<string> {
  let start = 0;
  // A space or a line feed: a break in a word tokenizer's preprocessing and between code points.
  const isBreak = (i: number) => {
    const unit = text.charCodeAt(i);
    return unit === 0x20 || unit === 0x0a;
  };
  while (text.length - start > size) {
    let cut = start + size - 1;
    while (cut >= start && !isBreak(cut)) cut--;
    if (cut < start) {
      cut = start + size;
      while (cut < text.length && !isBreak(cut)) cut++;
      if (cut === text.length) break;
    }
    yield text.slice(start, cut + 1);
    start = cut + 1;
  }
  yield start === 0 ? text : text.slice(start);
}

/** A word or character tokenizer as toJSON() writes it: the envelope and the vocabulary's tokens. */
export interface VocabTokenizerJSON extends TokenizerJSONBase {
  kind: 'word' | 'char';
  /** Token of each id; tokens[0] is `<unk>`. */
  tokens: string[];
}

/** Counts the tokens of a corpus a piece at a time (see textPieces), in order of first occurrence. */
export interface PieceCounter extends CountedTokens {
  /** Counts the tokens of one piece. */
  add(piece: string): void;
}

/**
 * What WordTokenizer and CharTokenizer share: split text into tokens, look them up in a Vocabulary
 * (tokens outside it become `<unk>`), and serialize as the vocabulary's token list. Encoding and
 * counting scan the text without making a string per token; split() gives the tokens as strings.
 */
export abstract class VocabTokenizer implements Tokenizer {
  abstract readonly kind: 'word' | 'char';

  /**
   * `fits` says whether a vocabulary entry could come out of split(); `rule` says why not, for the
   * error. Checked for every entry but `<unk>`, so a foreign vocabulary fails here, not silently.
   */
  constructor(
    /** The token list and lookup this tokenizer encodes and decodes with. */
    readonly vocabulary: Vocabulary,
    name: string,
    fits: (token: string) => boolean,
    rule: string,
  ) {
    for (let id = 1; id < vocabulary.size; id++) {
      const token = vocabulary.token(id);
      if (!fits(token)) {
        throw new TypeError(
          `${name}: token ${id} is ${JSON.stringify(token)}, ${rule}; build the vocabulary with ${name}.fromCorpus`,
        );
      }
    }
  }

  /** Number of ids, `<unk>` included. */
  get vocabSize(): number {
    return this.vocabulary.size;
  }

  /** The tokens of text, before the vocabulary lookup. */
  abstract split(text: string): string[];

  /** Text of decoded tokens. */
  protected abstract join(tokens: string[]): string;

  /**
   * Appends the ids of the tokens of `piece` to out and adds the tokens outside the vocabulary to
   * unknown (when given). A text longer than PIECE_UNITS goes through textPieces first, as encode()
   * does, so that no buffer grows with the whole text.
   */
  abstract appendIds(piece: string, out: IdBuffer, unknown: Set<string> | null): void;

  /** Ids of text; tokens outside the vocabulary become UNK_ID. Throws a TypeError for a non-string. */
  encode(text: string): number[] {
    return this.encodeWithUnknown(text).ids;
  }

  /** encode() into an Int32Array: for corpora too large for one number[]. */
  encodeInt32(text: string): Int32Array {
    return this.encodeInto(text, null, 'encodeInt32').toInt32Array();
  }

  /** Ids of text, with the distinct tokens that were mapped to `<unk>` (for a warning). */
  encodeWithUnknown(text: string): Encoded {
    const unknown = new Set<string>();
    const ids = this.encodeInto(text, unknown, 'encode').toArray();
    return { ids, unknown: [...unknown] };
  }

  private encodeInto(text: string, unknown: Set<string> | null, method: string): IdBuffer {
    if (typeof text !== 'string') {
      throw new TypeError(`${this.kind} tokenizer: ${method} expects a string, got ${typeof text}`);
    }
    // A guess that is right for English words; the buffer grows when it is not.
    const out = new IdBuffer(this.kind === 'char' ? text.length : text.length >> 2);
    for (const piece of textPieces(text)) this.appendIds(piece, out, unknown);
    return out;
  }

  /** Text of ids; throws a RangeError for an id outside [0, vocabSize). */
  decode(ids: readonly number[]): string {
    checkIds(ids, this.vocabulary.size, `${this.kind} tokenizer decode`);
    return this.join(ids.map((id) => this.vocabulary.token(id)));
  }

  /** A plain JSON object that fromJSON() or tokenizerFromJSON() turns back into an equal tokenizer. */
  toJSON(): VocabTokenizerJSON {
    return {
      format: TOKENIZER_FORMAT,
      version: TOKENIZER_VERSION,
      kind: this.kind,
      tokens: this.vocabulary.toJSON().tokens,
    };
  }
}

/**
 * Counts the tokens of one or many texts with a tokenizer's counter and builds a vocabulary. `where`
 * names the public function in errors; `units` says what the corpus lacks when it has no tokens.
 */
export function vocabularyFrom(
  counted: PieceCounter,
  corpus: string | Iterable<string>,
  options: VocabularyOptions,
  where: string,
  units: string,
  pieceUnits = PIECE_UNITS,
): Vocabulary {
  const texts = typeof corpus === 'string' ? [corpus] : corpus;
  const expected = `${where}: expected the corpus as a string or an iterable of strings`;
  if (typeof (texts as Partial<Iterable<string>> | null)?.[Symbol.iterator] !== 'function') throw new TypeError(`${expected}, got ${describe(corpus)}`);
  for (const text of texts) {
    if (typeof text !== 'string') throw new TypeError(`${expected}, got one that holds ${describe(text)}`);
    for (const piece of textPieces(text, pieceUnits)) counted.add(piece);
  }
  const vocabulary = buildVocabulary(counted, options, where);
  // A model over <unk> alone predicts it with certainty and learns nothing; say why before training.
  if (vocabulary.size === 1) throw new RangeError(`${where}: ${onlyUnknownCause(counted, options, units)}`);
  return vocabulary;
}

function onlyUnknownCause(counted: CountedTokens, options: VocabularyOptions, units: string): string {
  const only = `the vocabulary would hold only ${UNK_TOKEN}`;
  const top = mostFrequent(counted);
  if (top === null) return `the corpus has no ${units}, so ${only}; give it some text to learn from`;
  if (options.maxSize === 1) return `maxSize 1 leaves room for ${UNK_TOKEN} alone (maxSize counts it), so ${only}; use maxSize >= 2`;
  return `minCount ${options.minCount} is above the count of the most frequent token in this corpus ` +
    `(${JSON.stringify(top.token)}, ${top.count} time${top.count === 1 ? '' : 's'}), so ${only}; use minCount <= ${top.count} or a longer corpus`;
}

/** The vocabulary of a serialized word or character tokenizer, validated. */
export function vocabularyFromJSON(json: unknown, kind: 'word' | 'char'): Vocabulary {
  const obj = checkEnvelope(json, kind, `${kind} tokenizer fromJSON`);
  return Vocabulary.fromJSON(obj);
}
