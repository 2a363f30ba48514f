import { Random } from '../util/random.js';
import { RowChain } from './chain.js';
import type { LogitsSource } from './engine.js';
import type { FinishReason, GenerateResult, ResolvedOptions } from './options.js';
import type { PreparedBatch } from './prepare.js';
import { argmax, sampleToken } from './sample.js';

/** One new token of one returned row, as streamed. */
export interface TokenEvent {
  /** Index of the row in the result (`p * numReturnSequences + j`). */
  row: number;
  /** The token id generated for that row. */
  token: number;
}

interface Row {
  ids: number[];
  chain: RowChain;
  promptLength: number;
  newTokens: number;
  finish: FinishReason | null;
}

/** Copies each row of (B, V) logits `copies` times in a row: (B * copies, V). */
function repeatRows(logits: Float32Array, vocabSize: number, copies: number): Float32Array {
  if (copies === 1) return logits;
  const rows = logits.length / vocabSize;
  const out = new Float32Array(rows * copies * vocabSize); // (B * copies, V)
  for (let r = 0; r < rows; r++) {
    const src = logits.subarray(r * vocabSize, (r + 1) * vocabSize);
    for (let c = 0; c < copies; c++) out.set(src, (r * copies + c) * vocabSize);
  }
  return out;
}

/** new row i continues old row floor(i / copies): HF's repeat_interleave. */
function interleaveIndex(rows: number, copies: number): Int32Array {
  const index = new Int32Array(rows * copies);
  for (let i = 0; i < index.length; i++) index[i] = Math.floor(i / copies);
  return index;
}

/** Prefills the batch and, when each prompt is to be continued several times, repeats its rows. */
export async function prefillRepeated(source: LogitsSource, batch: PreparedBatch, copies: number): Promise<Float32Array> {
  const logits = await source.prefill(batch.ids, batch.mask);
  const expected = batch.ids.length * source.vocabSize;
  if (!(logits instanceof Float32Array) || logits.length !== expected) {
    throw new TypeError(`generate: LogitsSource.prefill must return a Float32Array of ${batch.ids.length} x ${source.vocabSize} logits, got length ${(logits as { length?: unknown })?.length}`);
  }
  if (copies > 1) source.select(interleaveIndex(batch.ids.length, copies));
  return repeatRows(logits, source.vocabSize, copies);
}

/** Checks the logits that LogitsSource.next returned for `rows` rows. */
export function checkStep(logits: Float32Array, rows: number, vocabSize: number): Float32Array {
  if (!(logits instanceof Float32Array) || logits.length !== rows * vocabSize) {
    throw new TypeError(`generate: LogitsSource.next must return a Float32Array of ${rows} x ${vocabSize} logits, got length ${(logits as { length?: unknown })?.length}`);
  }
  return logits;
}

/**
 * Greedy search or sampling (HF's `_sample`): each step processes every unfinished row's scores, picks a
 * token, and feeds it back; rows that ended are fed the pad id and produce nothing. Yields each new token.
 */
export async function* decode(source: LogitsSource, batch: PreparedBatch, options: ResolvedOptions): AsyncGenerator<TokenEvent, GenerateResult> {
  const vocabSize = source.vocabSize;
  const copies = options.numReturnSequences;
  const startChain = RowChain.builder(options, vocabSize);
  const random = options.doSample ? (options.random ?? new Random(Math.floor(Math.random() * 0x100000000))) : null;
  const rows: Row[] = [];
  for (const prompt of batch.prompts) {
    for (let c = 0; c < copies; c++) rows.push({ ids: prompt.slice(), chain: startChain(prompt), promptLength: prompt.length, newTokens: 0, finish: null });
  }
  options.signal?.throwIfAborted();
  let logits = await prefillRepeated(source, batch, copies); // (R, V)
  for (;;) {
    options.signal?.throwIfAborted();
    const tokens = new Int32Array(rows.length); // (R)
    const events: TokenEvent[] = [];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (row.finish !== null) {
        tokens[r] = batch.padTokenId!;
        continue;
      }
      const scores = logits.subarray(r * vocabSize, (r + 1) * vocabSize);
      row.chain.apply(scores, row);
      const token = random ? sampleToken(scores, random, r) : argmax(scores, r);
      tokens[r] = token;
      row.ids.push(token);
      row.chain.push(token);
      row.newTokens++;
      events.push({ row: r, token });
      if (options.eosTokenIds.includes(token)) row.finish = 'eos';
      else if (options.stoppingCriteria?.(row.ids, r)) row.finish = 'stop';
      else if (row.newTokens >= batch.maxNewTokens) row.finish = 'length';
    }
    for (const event of events) yield event;
    if (rows.every((row) => row.finish !== null)) break;
    options.signal?.throwIfAborted();
    logits = checkStep(await source.next(tokens), rows.length, vocabSize);
  }
  return {
    sequences: rows.map((row) => row.ids),
    newTokens: rows.map((row) => row.ids.slice(row.promptLength)),
    finishReasons: rows.map((row) => row.finish!),
  };
}
