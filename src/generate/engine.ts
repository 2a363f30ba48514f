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
   * real token and 0 for padding, and all rows have the same length (padding is the pad id, so it is a
   * valid token; position ids must follow the mask). Returns the logits at the last position of every
   * row, (B, V) row-major. generate() edits the returned array in place (the processors) and is done
   * with it before its next call to the source, so the source may hand out a buffer it reuses.
   */
  prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array>;
  /**
   * Appends one token to every row (B); each row's mask grows by a 1. Rows that have finished are fed
   * the pad id; their logits are ignored. Returns (B, V) logits for the new position, under the same
   * terms as prefill(). generate() does not touch `tokens` after the promise settles.
   */
  next(tokens: Int32Array): Promise<Float32Array>;
  /**
   * Rebuilds the batch from existing rows: new row i continues old row `index[i]` (rows may be
   * duplicated or dropped; the batch size becomes `index.length`). Used by beam search and by
   * `num_return_sequences`. generate() awaits every prefill()/next() before calling select().
   */
  select(index: Int32Array): void;
  /**
   * Frees what the current batch holds (caches, hidden states). generate() never calls it: the batch
   * outlives generation (for a chat to continue from) and its owner disposes of it.
   */
  dispose(): void;
}
