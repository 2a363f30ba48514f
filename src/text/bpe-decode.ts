/**
 * Turning BPE ids back into text. Byte-level tokens are concatenated as bytes and decoded as UTF-8
 * with U+FFFD for invalid sequences (what GPT2Tokenizer's `errors='replace'` gives); an added token
 * is written as its content and ends the byte run before it, as Hugging Face's decode does.
 */

const PLAIN = 0;
const ADDED = 1;
const SPECIAL = 2;

/** The bytes of every id, and which ids are added tokens. */
export class TokenBytes {
  private readonly bytes: Uint8Array; // (total bytes) all tokens' bytes, back to back
  private readonly offsets: Int32Array; // (vocabSize + 1) start of each token in bytes
  /** Content of each added token, by id. */
  readonly added: ReadonlyMap<number, string>;
  /** Ids of added tokens marked special. */
  readonly special: ReadonlySet<number>;
  /** (vocabSize) PLAIN, ADDED or SPECIAL for each id: one array read in the decoding loops. */
  readonly kinds: Uint8Array;

  constructor(bytes: Uint8Array, offsets: Int32Array, added: Map<number, string>, special: Set<number>) {
    this.bytes = bytes;
    this.offsets = offsets;
    this.added = added;
    this.special = special;
    this.kinds = new Uint8Array(offsets.length - 1);
    for (const id of added.keys()) this.kinds[id] = special.has(id) ? SPECIAL : ADDED;
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** Bytes of one id (a view, not a copy). */
  of(id: number): Uint8Array {
    return this.bytes.subarray(this.offsets[id], this.offsets[id + 1]);
  }

  /** All bytes of ids, in order; skipped ids contribute nothing. */
  concat(ids: readonly number[], skip: (id: number) => boolean): Uint8Array {
    let total = 0;
    for (const id of ids) if (!skip(id)) total += this.offsets[id + 1] - this.offsets[id];
    const out = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      if (skip(id)) continue;
      const b = this.of(id);
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
}

/** Options of BpeTokenizer.decode, decodeBytes and createStreamDecoder. */
export interface DecodeOptions {
  /** Leave out special tokens (`<|endoftext|>` for GPT-2). Default false. */
  skipSpecialTokens?: boolean | undefined;
}

/**
 * Incremental decoding: push ids as they are generated and get the text they complete. Text never
 * ends inside a character: bytes of an unfinished UTF-8 sequence wait for the next ids. The
 * concatenation of every push and the final flush equals decode() of all the ids.
 */
export class StreamDecoder {
  // ignoreBOM: a leading U+FEFF is text here, not a byte-order mark to drop.
  private utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private scratch = new Uint8Array(256); // (pending bytes) a run of byte-level tokens, decoded at once

  constructor(
    private readonly table: TokenBytes,
    private readonly skipSpecial: boolean,
    private readonly check: (ids: readonly number[]) => void,
  ) {}

  /** Text completed by these ids (possibly empty). */
  push(ids: number | readonly number[]): string {
    const list = typeof ids === 'number' ? [ids] : ids;
    this.check(list);
    const { table } = this;
    let text = '';
    let pending = 0;
    for (let i = 0; i < list.length; i++) {
      const id = list[i];
      const kind = table.kinds[id];
      if (kind === PLAIN) {
        pending = this.append(table.of(id), pending);
      } else if (kind === ADDED || !this.skipSpecial) {
        // An added token ends the byte run before it: its unfinished bytes become U+FFFD.
        text += this.utf8.decode(this.scratch.subarray(0, pending)) + table.added.get(id)!;
        pending = 0;
      }
    }
    return text + this.utf8.decode(this.scratch.subarray(0, pending), { stream: true });
  }

  /** Ends the stream: any unfinished sequence comes out as U+FFFD. The decoder can then be reused. */
  flush(): string {
    return this.utf8.decode();
  }

  private append(bytes: Uint8Array, pending: number): number {
    if (pending + bytes.length > this.scratch.length) {
      const grown = new Uint8Array(Math.max(2 * this.scratch.length, pending + bytes.length));
      grown.set(this.scratch.subarray(0, pending));
      this.scratch = grown;
    }
    this.scratch.set(bytes, pending);
    return pending + bytes.length;
  }
}

/** Text of ids (see the module comment). */
export function decodeIds(table: TokenBytes, ids: readonly number[], skipSpecial: boolean): string {
  const stream = new StreamDecoder(table, skipSpecial, () => undefined);
  return stream.push(ids) + stream.flush();
}
