/**
 * From a corpus to truncated-BPTT batches.
 *
 * The corpus (a string, several strings, bytes, or an async stream of chunks) is checked to be text and
 * joined; a tokenizer turns it into ids; the tail of the ids is held out for validation; the rest is cut
 * into B contiguous streams (row b reads ids[b*L .. b*L+L) with L = floor(n / B)) and walked T tokens at
 * a time, so that batch s+1 continues exactly where batch s stopped in every row and the hidden state can
 * be carried across batches. Batches are time-major: element (t, b) sits at index t*B + b.
 */
import { readBytes } from '../platform/index.js';
import { requireInt32Array } from './validate.js';

/** A corpus that is empty, too short, or not text. */
export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

/** A piece of a corpus: text, or bytes that must be valid UTF-8. */
export type CorpusChunk = string | Uint8Array;
/**
 * A corpus as corpusText takes it: a string, UTF-8 bytes, an array of them (joined with newlines), or an
 * async iterable of chunks (joined as they come, e.g. a file read as a stream).
 */
export type CorpusSource = string | Uint8Array | readonly CorpusChunk[] | AsyncIterable<CorpusChunk>;

/** Control characters other than tab, line feed, vertical tab, form feed and carriage return. */
const BINARY_CONTROL = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/g;
/** Share of control characters above which a text is taken for a binary file decoded by mistake. */
const MAX_CONTROL_SHARE = 0.01;

function assertText(text: string, name: string): void {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    throw new CorpusError(
      `${name} is not text: it contains a NUL character at position ${nul} (a binary file?); pass UTF-8 text`,
    );
  }
  const controls = text.match(BINARY_CONTROL)?.length ?? 0;
  if (controls > MAX_CONTROL_SHARE * text.length) {
    throw new CorpusError(
      `${name} is not text: ${controls} of its ${text.length} characters are control characters; pass UTF-8 text`,
    );
  }
}

/** The longest string V8 makes, in UTF-16 units (2^29 - 24): Node, Deno and Chromium share it. */
export const MAX_STRING_UNITS = 536_870_888;

/** Throws unless a corpus of `units` UTF-16 units fits in one string. */
function checkLength(units: number, name: string): void {
  if (units <= MAX_STRING_UNITS) return;
  throw new CorpusError(`${name} is ${units} characters (UTF-16 units), more than the ${MAX_STRING_UNITS} that a ` +
    'JavaScript string holds; train on a part of it (at most about 512 MB of text)');
}

/** UTF-16 units that valid UTF-8 `bytes` decode to: one per code point, two for one of four bytes. */
function utf16Length(bytes: Uint8Array): number {
  let units = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
  }
  return units;
}

/** Parts joined with `separator`, after checking the whole fits in one string. */
function joinParts(parts: readonly string[], separator: string, name: string): string {
  checkLength(parts.reduce((n, part) => n + part.length, separator.length * Math.max(0, parts.length - 1)), name);
  return parts.join(separator);
}

function decodeUtf8(bytes: Uint8Array, name: string, decoder = new TextDecoder('utf-8', { fatal: true }), stream = false): string {
  // Past the string limit the decoder fails as it does for invalid bytes; only a text that long can reach it.
  if (bytes.length > MAX_STRING_UNITS) checkLength(utf16Length(bytes), name);
  try {
    return decoder.decode(bytes, { stream });
  } catch {
    // Windows editors save text as UTF-16 or in a legacy code page: say so rather than guess "binary".
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    throw new CorpusError(utf16
      ? `${name} is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 and pass it again`
      : `${name} is not text: its bytes are not valid UTF-8 (a binary file, or text in another encoding such as Latin-1 ` +
        'or Windows-1252); convert text to UTF-8 (e.g. iconv -f latin1 -t utf-8) and pass it again');
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<CorpusChunk> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

/**
 * The corpus as one string, after checking it is text. Several parts are joined with a newline so that
 * the last word of one file does not run into the first word of the next.
 */
export async function corpusText(source: CorpusSource, name = 'corpus'): Promise<string> {
  let text: string;
  if (typeof source === 'string') {
    text = source;
  } else if (source instanceof Uint8Array) {
    text = decodeUtf8(source, name);
  } else if (isAsyncIterable(source)) {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const parts: string[] = [];
    for await (const chunk of source) {
      parts.push(typeof chunk === 'string' ? chunk : decodeUtf8(chunk, name, decoder, true));
    }
    parts.push(decodeUtf8(new Uint8Array(0), name, decoder));
    text = joinParts(parts, '', name);
  } else if (Array.isArray(source)) {
    const parts = (source as readonly CorpusChunk[]).map((part, i) =>
      typeof part === 'string' ? part : decodeUtf8(part, `${name} part ${i + 1}`),
    );
    text = joinParts(parts, '\n', name);
    parts.forEach((part, i) => assertText(part, `${name} part ${i + 1}`));
  } else {
    throw new CorpusError(
      `${name}: expected a string, bytes, an array of them or an async iterable of chunks, got ${typeof source}`,
    );
  }
  assertText(text, name);
  if (text.trim().length === 0) {
    throw new CorpusError(`${name} is empty (${text.length} characters, no visible text); give it some text to learn from`);
  }
  return text;
}

/** Reads text files (paths or file: URLs; Node, Deno) or URLs and joins them; an error names the file that is not text. */
export async function readCorpusFiles(paths: readonly (string | URL)[]): Promise<string> {
  // A lone path would otherwise be read one character at a time ("cannot read n: no such file").
  if (typeof paths === 'string' || (paths as unknown) instanceof URL) {
    throw new CorpusError(`readCorpusFiles takes a list of files, got ${JSON.stringify(String(paths))}; pass [path] for one file`);
  }
  if (paths.length === 0) throw new CorpusError('no corpus files given; pass at least one text file');
  const parts: string[] = [];
  for (const path of paths) parts.push(await corpusText(await readBytes(path), String(path)));
  return joinParts(parts, '\n', `the corpus of ${paths.length} files`);
}

/** Ids of a tokenized corpus split into a training head and a held-out validation tail. */
export interface TokenSplit {
  train: Int32Array; // (N_train)
  validation: Int32Array; // (N_validation)
}

/**
 * Holds out the last `fraction` of the ids for validation. The tail (not a random sample) keeps both
 * parts contiguous text, which truncated BPTT needs.
 */
export function splitValidation(ids: Int32Array, fraction: number): TokenSplit {
  requireInt32Array('splitValidation', 'ids', ids, 'Int32Array.from(tokenizer.encode(text))');
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  }
  const held = Math.floor(ids.length * fraction);
  return { train: ids.subarray(0, ids.length - held), validation: ids.subarray(ids.length - held) };
}

/**
 * Token ids of a corpus text, split for training: the whole sequence and its training head and
 * validation tail (`validationFraction` of it, default 0.1).
 */
export function tokenizeCorpus(
  text: string,
  tokenizer: { encode(text: string): number[]; encodeInt32?(text: string): Int32Array },
  validationFraction = 0.1,
): TokenSplit & { ids: Int32Array } {
  // encodeInt32 builds no number[], which a corpus of more than about 134 million tokens cannot have.
  const ids = tokenizer.encodeInt32 ? tokenizer.encodeInt32(text) : Int32Array.from(tokenizer.encode(text));
  if (ids.length === 0) {
    throw new CorpusError(`the corpus has no tokens after tokenization (${text.length} characters); give it words to learn from`);
  }
  return { ids, ...splitValidation(ids, validationFraction) };
}

/**
 * One truncated-BPTT batch: time-major ids, element (t, b) at index t*B + b; targets are the inputs
 * shifted by one token.
 */
export interface Batch {
  inputs: Int32Array; // (T, B)
  targets: Int32Array; // (T, B), inputs shifted by one token
  /** T: time steps. */
  seqLen: number;
  /** B: rows (streams). */
  batchSize: number;
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/**
 * B contiguous streams over `ids` (starting `offset` tokens in) walked seqLen tokens at a time. Only
 * whole batches are produced (as the tutorial does); the at most seqLen tokens left at the end of each
 * row are not trained on.
 */
export class StreamBatches {
  readonly batchSize: number;
  readonly seqLen: number;
  /** Tokens in each of the B rows. */
  readonly rowLength: number;
  /** Batches in one pass over the rows. */
  readonly count: number;
  private readonly ids: Int32Array;

  constructor(ids: Int32Array, batchSize: number, seqLen: number, offset = 0, name = 'corpus') {
    positiveInteger(batchSize, 'batchSize');
    positiveInteger(seqLen, 'seqLen');
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const usable = ids.length - offset;
    const needed = batchSize * (seqLen + 1);
    if (usable < needed) {
      throw new CorpusError(
        `${name} has ${Math.max(usable, 0)} tokens but one batch needs batchSize ${batchSize} x (seqLen ${seqLen} + 1) = ${needed}; ` +
          'use a longer text or a smaller batchSize/seqLen',
      );
    }
    this.ids = ids.subarray(offset);
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.rowLength = Math.floor(usable / batchSize);
    this.count = Math.floor((this.rowLength - 1) / seqLen);
  }

  /** Batch number `index` of this pass. */
  batch(index: number): Batch {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`batch index must be an integer in [0, ${this.count}), got ${index}`);
    }
    const { batchSize: B, seqLen: T, rowLength: L } = this;
    const inputs = new Int32Array(T * B);
    const targets = new Int32Array(T * B);
    const start = index * T;
    for (let b = 0; b < B; b++) {
      const row = b * L + start;
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = this.ids[row + t]!;
        targets[t * B + b] = this.ids[row + t + 1]!;
      }
    }
    return { inputs, targets, seqLen: T, batchSize: B };
  }

  *[Symbol.iterator](): IterableIterator<Batch> {
    for (let i = 0; i < this.count; i++) yield this.batch(i);
  }
}

/**
 * Batches for evaluation of a short held-out text: the batch size shrinks (down to 1) until every row
 * holds at least one full window, so a small validation tail still gets evaluated.
 */
export function validationBatches(ids: Int32Array, batchSize: number, seqLen: number): StreamBatches {
  positiveInteger(batchSize, 'batchSize');
  positiveInteger(seqLen, 'seqLen');
  const fitting = Math.min(batchSize, Math.floor(ids.length / (seqLen + 1)));
  if (fitting < 1) {
    throw new CorpusError(
      `the validation split has ${ids.length} tokens, fewer than seqLen ${seqLen} + 1; raise the validation fraction, ` +
        'lower seqLen, or use a longer corpus',
    );
  }
  return new StreamBatches(ids, fitting, seqLen, 0, 'the validation split');
}
