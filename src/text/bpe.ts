/**
 * GPT-2's byte-level BPE tokenizer, with the ids of Hugging Face's GPT2Tokenizer: pre-tokenize with
 * GPT-2's pattern (pretokenize.ts), turn each piece into UTF-8 bytes, map each byte to its one-byte
 * token, and merge pairs by rank (bpe-merge.ts). Results per piece are cached.
 *
 * Added tokens written in the text: by default every added token (`<|endoftext|>`, id 50256 for
 * GPT-2) is matched whole and becomes its id, as GPT2Tokenizer.encode does. With
 * `specialTokens: 'text'` the text is all ordinary text, so `<|endoftext|>` becomes the ids of its
 * characters (tiktoken's encode_ordinary; the right choice for untrusted user input, which could
 * otherwise end a conversation by typing the end-of-text marker).
 */
import { BYTE_TO_CHAR, tokenBytesInto, utf8Into } from './byte-level.js';
import { BpeMerger } from './bpe-merge.js';
import { decodeIds, StreamDecoder, TokenBytes, type DecodeOptions } from './bpe-decode.js';
import {
  definitionFromFiles,
  definitionFromTokenizerJSON,
  END_OF_TEXT,
  type AddedToken,
  type BpeDefinition,
} from './bpe-files.js';
import { PairTable } from './pair-table.js';
import { PieceCache } from './piece-cache.js';
import { IdBuffer } from './id-buffer.js';
import { describe } from '../util/arguments.js';
import { checkOptionKeys, optionKeys } from '../util/options.js';
import { pieceEnd } from './pretokenize.js';
import { bpeTable } from './unicode.js';
import {
  checkEnvelope,
  checkIds,
  TOKENIZER_FORMAT,
  TOKENIZER_VERSION,
  type Tokenizer,
  type TokenizerJSONBase,
} from './tokenizer.js';

/** Options of BpeTokenizer.encode and encodeInt32. */
export interface BpeEncodeOptions {
  /** 'special' (default, as GPT2Tokenizer): added tokens written in the text are matched whole and
   * become their ids. 'text': they are ordinary text. */
  specialTokens?: 'text' | 'special' | undefined;
}

const DECODE_OPTION_KEYS = optionKeys<DecodeOptions>({ skipSpecialTokens: true });

/** Options of a BpeTokenizer, taken by its constructor and every from* factory. */
export interface BpeTokenizerOptions {
  /** Most pre-tokens whose ids are cached (default 65536). */
  cacheSize?: number | undefined;
}

const ENCODE_OPTION_KEYS = optionKeys<BpeEncodeOptions>({ specialTokens: true });
const TOKENIZER_OPTION_KEYS = optionKeys<BpeTokenizerOptions>({ cacheSize: true });

/** A BpeTokenizer as toJSON() writes it: the envelope, every entry, the merges and the added tokens. */
export interface BpeTokenizerJSON extends TokenizerJSONBase {
  kind: 'bpe';
  /** Entry of each id (byte-level alphabet; an added token's content where it has no entry). */
  tokens: string[];
  /** Merges in rank order, as "left right". */
  merges: string[];
  /** Added tokens (`<|endoftext|>` for GPT-2) with their ids. */
  added: AddedToken[];
}

const WHO = 'BpeTokenizer';

/** Id of each byte-level entry, and the bytes of every id. */
function indexTokens({ tokens, added }: BpeDefinition): { index: Map<string, number>; table: TokenBytes } {
  const addedById = new Map(added.map((t) => [t.id, t]));
  const index = new Map<string, number>();
  const addedEntries: number[] = []; // ids of added tokens whose content is also a byte-level entry
  const encoder = new TextEncoder();
  // Byte-level entries have one byte per character; added contents take up to 3 per UTF-16 unit.
  let room = 0;
  for (const token of tokens) room += token.length;
  for (const t of added) room += 3 * t.content.length;
  const flat = new Uint8Array(room); // (total bytes) every token's bytes, back to back
  const offsets = new Int32Array(tokens.length + 1); // (vocabSize + 1) start of each token in flat
  let at = 0;
  tokens.forEach((token, id) => {
    offsets[id] = at;
    const extra = addedById.get(id);
    const n = tokenBytesInto(token, flat, at);
    if (n > 0) {
      if (extra === undefined) index.set(token, id);
      else if (extra.content === token) addedEntries.push(id);
      at += n;
    } else if (extra !== undefined) {
      at += encoder.encodeInto(extra.content, flat.subarray(at)).written;
    } else {
      throw new TypeError(`${WHO}: token ${id} ${describe(token)} has characters outside GPT-2's byte-level ` +
        'alphabet and is not an added token; this is not a byte-level BPE vocabulary');
    }
  });
  offsets[tokens.length] = at;
  // An added token is an entry only where the model has none of the same content: merges that build
  // "Ġthe" give the vocabulary's id, as Hugging Face's model does, and the added token matches only its text.
  for (const id of addedEntries) if (!index.has(tokens[id])) index.set(tokens[id], id);
  const table = new TokenBytes(
    flat.slice(0, at),
    offsets,
    new Map(added.map((t) => [t.id, t.content])),
    new Set(added.filter((t) => t.special).map((t) => t.id)),
  );
  return { index, table };
}

/** (256) the one-byte token of each byte. */
function byteTokenIds(index: Map<string, number>): Int32Array {
  const ids = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = index.get(BYTE_TO_CHAR[b]);
    if (id === undefined) {
      throw new TypeError(`${WHO}: the vocabulary has no token for byte ${b} (${JSON.stringify(BYTE_TO_CHAR[b])}); ` +
        'a byte-level BPE vocabulary needs all 256');
    }
    ids[b] = id;
  }
  return ids;
}

/** Rank and result of every merge, keyed by the ids of its two parts. */
function pairTable(merges: ReadonlyArray<[string, string]>, index: Map<string, number>): PairTable {
  const pairs = new PairTable(merges.length);
  merges.forEach(([left, right], rank) => {
    const a = index.get(left);
    const b = index.get(right);
    const merged = index.get(left + right);
    if (a === undefined || b === undefined || merged === undefined) {
      const missing = a === undefined ? left : b === undefined ? right : left + right;
      throw new TypeError(`${WHO}: merge ${rank + 1} (${JSON.stringify(left)} ${JSON.stringify(right)}) needs ` +
        `${JSON.stringify(missing)}, which is not in the vocabulary; the merges do not belong to this vocabulary`);
    }
    pairs.set(a, b, rank, merged);
  });
  return pairs;
}

/**
 * GPT-2's byte-level BPE tokenizer, giving the ids of Hugging Face's GPT2Tokenizer; the tokenizer of
 * a Gpt2Pipeline. Load it with fromFiles (vocab.json + merges.txt) or fromTokenizerJSON.
 *
 * `const tokenizer = BpeTokenizer.fromTokenizerJSON(tokenizerJsonText); tokenizer.decode(tokenizer.encode('Hello world'))`
 */
export class BpeTokenizer implements Tokenizer {
  /** Always 'bpe'. */
  readonly kind = 'bpe' as const;
  private readonly definition: BpeDefinition;
  private readonly index: Map<string, number>;
  private readonly byteIds: Int32Array; // (256) one-byte token of each byte
  private readonly pairs: PairTable;
  private readonly merger: BpeMerger;
  private readonly table: TokenBytes;
  private readonly cache: PieceCache;
  private readonly addedByContent: Map<string, number>;
  private symbols = new Int32Array(256); // (3 * piece length) bytes, then merged ids, of one piece
  private utf8 = new Uint8Array(256); // (3 * piece length) UTF-8 of one piece

  /**
   * From a definition (definitionFromFiles, definitionFromTokenizerJSON); fromFiles and
   * fromTokenizerJSON do both steps. Throws a TypeError when the definition is not a byte-level BPE
   * vocabulary (a byte without its token, a non-added entry outside the byte alphabet) or a merge needs
   * a token the vocabulary lacks.
   */
  constructor(definition: BpeDefinition, options: BpeTokenizerOptions = {}) {
    checkOptionKeys('BpeTokenizer', options, TOKENIZER_OPTION_KEYS);
    this.definition = definition;
    const { index, table } = indexTokens(definition);
    this.index = index;
    this.table = table;
    this.byteIds = byteTokenIds(index);
    this.pairs = pairTable(definition.merges, index);
    this.merger = new BpeMerger(this.pairs);
    this.addedByContent = new Map(definition.added.map((t) => [t.content, t.id]));
    const cacheSize = options.cacheSize ?? 65536;
    if (!Number.isInteger(cacheSize) || cacheSize < 1) {
      throw new RangeError(`BpeTokenizer: cacheSize must be an integer >= 1 (pieces kept encoded; default 65536), got ${cacheSize}`);
    }
    this.cache = new PieceCache(cacheSize);
  }

  /** From the text (or parsed object) of vocab.json and the text of merges.txt. */
  static fromFiles(vocabJson: string | object, mergesText: string, options?: BpeTokenizerOptions): BpeTokenizer {
    return new BpeTokenizer(definitionFromFiles(vocabJson, mergesText), options);
  }

  /** From a Hugging Face tokenizer.json (text or parsed). */
  static fromTokenizerJSON(json: string | object, options?: BpeTokenizerOptions): BpeTokenizer {
    return new BpeTokenizer(definitionFromTokenizerJSON(json), options);
  }

  /** From what toJSON() wrote. */
  static fromJSON(json: unknown, options?: BpeTokenizerOptions): BpeTokenizer {
    const obj = checkEnvelope(json, 'bpe', 'bpe tokenizer fromJSON');
    if (!Array.isArray(obj.tokens) || !Array.isArray(obj.merges) || !Array.isArray(obj.added)) {
      throw new TypeError('bpe tokenizer fromJSON: expected arrays "tokens", "merges" and "added"; ' +
        'pass the object written by BpeTokenizer.toJSON()');
    }
    const added = (obj.added as AddedToken[]).map((t) => ({ id: t.id, content: t.content, special: t.special }));
    // An added token's entry is its content, which may also be the entry of another id ("hello" as an
    // added token and as a merged one): left in the vocabulary object, it would take that id's key.
    // The added tokens put their entries back themselves.
    const addedIds = new Set(added.map((t) => t.id));
    const vocab = Object.fromEntries((obj.tokens as unknown[]).flatMap((t, id) => (addedIds.has(id) ? [] : [[t, id]])));
    return BpeTokenizer.fromTokenizerJSON(
      { model: { type: 'BPE', vocab, merges: obj.merges }, pre_tokenizer: { type: 'ByteLevel' }, added_tokens: added },
      options,
    );
  }

  /** Number of ids, added tokens included. */
  get vocabSize(): number {
    return this.table.size;
  }

  /** Id of `<|endoftext|>`, or undefined when the vocabulary has none. */
  get endOfTextId(): number | undefined {
    return this.addedByContent.get(END_OF_TEXT) ?? this.index.get(END_OF_TEXT);
  }

  /** Ids of the special tokens, by content. */
  get specialTokens(): ReadonlyMap<string, number> {
    return new Map([...this.table.special].map((id) => [this.table.added.get(id)!, id]));
  }

  /** Vocabulary entry of an id (byte-level alphabet), e.g. "Ġthe" for 262. */
  idToToken(id: number): string {
    checkIds([id], this.vocabSize, 'BpeTokenizer.idToToken');
    return this.definition.tokens[id];
  }

  /** Id of a vocabulary entry, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.index.get(token) ?? this.addedByContent.get(token);
  }

  /**
   * Ids of text, as GPT2Tokenizer.encode gives them (nothing is added around them). Added tokens in the
   * text become their ids unless `specialTokens` is 'text'. Throws a TypeError for a non-string.
   */
  encode(text: string, options: BpeEncodeOptions = {}): number[] {
    return this.encodeToBuffer(text, options, 'encode').toArray();
  }

  /** encode() into an Int32Array: no number[] is built, which saves time on large corpora. */
  encodeInt32(text: string, options: BpeEncodeOptions = {}): Int32Array {
    return this.encodeToBuffer(text, options, 'encodeInt32').toInt32Array();
  }

  private encodeToBuffer(text: string, options: BpeEncodeOptions, method: string): IdBuffer {
    if (typeof text !== 'string') {
      throw new TypeError(`BpeTokenizer.${method}: expected a string, got ${text === null ? 'null' : typeof text}`);
    }
    checkOptionKeys(`BpeTokenizer.${method}`, options, ENCODE_OPTION_KEYS);
    const mode = options.specialTokens ?? 'special';
    if (mode !== 'text' && mode !== 'special') {
      throw new RangeError(`BpeTokenizer.${method}: specialTokens must be 'text' or 'special', got ${describe(mode)}`);
    }
    // English averages about 4 bytes of text per token.
    const out = new IdBuffer(text.length >> 2);
    let at = 0;
    while (mode === 'special' && this.addedByContent.size > 0) {
      const [start, content] = this.nextAdded(text, at);
      if (start < 0) break;
      this.encodeOrdinary(text, at, start, out);
      out.push(this.addedByContent.get(content)!);
      at = start + content.length;
    }
    this.encodeOrdinary(text, at, text.length, out);
    return out;
  }

  /** Earliest added token at or after from (the longest one where several start there). */
  private nextAdded(text: string, from: number): [number, string] {
    let best = -1;
    let bestContent = '';
    for (const content of this.addedByContent.keys()) {
      const at = text.indexOf(content, from);
      if (at >= 0 && (best < 0 || at < best || (at === best && content.length > bestContent.length))) {
        best = at;
        bestContent = content;
      }
    }
    return [best, bestContent];
  }

  private encodeOrdinary(text: string, start: number, end: number, out: IdBuffer): void {
    const table = bpeTable();
    const cache = this.cache;
    for (let from = start; from < end; ) {
      const to = pieceEnd(table, text, from, end);
      const hash = PieceCache.hash(text, from, to);
      const entry = cache.find(text, from, to, hash);
      if (entry >= 0) {
        cache.emit(entry, out);
      } else {
        const ids = this.mergePiece(text, from, to);
        cache.store(text, from, to, hash, ids);
        out.pushAll(ids);
      }
      from = to;
    }
  }

  /** BPE ids of text[from, to), in a view of a reused buffer (valid until the next call). */
  private mergePiece(text: string, from: number, to: number): Int32Array {
    const room = 3 * (to - from);
    if (this.utf8.length < room) {
      this.utf8 = new Uint8Array(room * 2);
      this.symbols = new Int32Array(room * 2);
    }
    const n = utf8Into(text, from, to, this.utf8);
    for (let i = 0; i < n; i++) this.symbols[i] = this.byteIds[this.utf8[i]];
    return this.symbols.subarray(0, this.merger.merge(this.symbols, n));
  }

  /**
   * Text of ids; bytes that are not valid UTF-8 become U+FFFD, as GPT2Tokenizer's decode. Throws a
   * RangeError for an id outside [0, vocabSize).
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    checkIds(ids, this.vocabSize, 'BpeTokenizer.decode');
    checkOptionKeys('BpeTokenizer.decode', options, DECODE_OPTION_KEYS);
    return decodeIds(this.table, ids, options.skipSpecialTokens === true);
  }

  /** The exact bytes of ids (added tokens as their UTF-8 content). */
  decodeBytes(ids: readonly number[], options: DecodeOptions = {}): Uint8Array {
    checkIds(ids, this.vocabSize, 'BpeTokenizer.decodeBytes');
    checkOptionKeys('BpeTokenizer.decodeBytes', options, DECODE_OPTION_KEYS);
    const skip = options.skipSpecialTokens === true;
    return this.table.concat(ids, (id) => skip && this.table.special.has(id));
  }

  /** A decoder for ids that arrive one by one (see StreamDecoder). */
  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    checkOptionKeys('BpeTokenizer.createStreamDecoder', options, DECODE_OPTION_KEYS);
    return new StreamDecoder(this.table, options.skipSpecialTokens === true, (ids) =>
      checkIds(ids, this.vocabSize, 'StreamDecoder.push'),
    );
  }

  /** Empties the per-piece cache (it refills as text is encoded). */
  clearCache(): void {
    this.cache.clear();
  }

  /** A plain JSON object that fromJSON() or tokenizerFromJSON() turns back into an equal tokenizer. */
  toJSON(): BpeTokenizerJSON {
    return {
      format: TOKENIZER_FORMAT,
      version: TOKENIZER_VERSION,
      kind: 'bpe',
      tokens: this.definition.tokens.slice(),
      merges: this.definition.merges.map(([a, b]) => `${a} ${b}`),
      added: this.definition.added.map((t) => ({ ...t })),
    };
  }
}
