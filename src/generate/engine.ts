/**
 * What a model must provide to be driven by the shared generation code: next-token logits for a batch
 * of rows. The RNN engine and the GPT-2 engine both implement it; everything else about generation
 * (processors, sampling, beam search, stopping, streaming) lives once in src/generate/.
 */
export interface LogitsSource {
  /** Size of the last dimension of every logits array returned. */
  readonly vocabSize: number;
  /**
   * Starts a batch of `ids.length` rows. Row r holds `ids[r]`, left-padded: `mask[r][t]` is 1 for a
   * real token and 0 for padding, and all rows have the same length. Returns the logits at the last
   * position of every row, (B, V) row-major.
   */
  prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array>;
  /**
   * Appends one token to every row (B); each row's mask grows by a 1. Returns (B, V) logits for the
   * new position.
   */
  next(tokens: Int32Array): Promise<Float32Array>;
  /**
   * Rebuilds the batch from existing rows: new row i continues old row `index[i]` (rows may be
   * duplicated or dropped; the batch size becomes `index.length`). Used by beam search and by
   * `num_return_sequences`.
   */
  select(index: Int32Array): void;
  /** Frees what the current batch holds (caches, hidden states). */
  dispose(): void;
}
