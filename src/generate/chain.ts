import type { ResolvedOptions } from './options.js';
import { badWords, minNewTokens, noRepeatNgram, repetitionPenalty, type LogitsProcessor, type RowView } from './processors.js';
import { temperature, topK, topP } from './warpers.js';

/**
 * The processors the options ask for, in Hugging Face's order: repetition penalty, no-repeat-n-gram, bad
 * words, min new tokens, then (sampling only) temperature, top-k, top-p. A processor whose option is at
 * its neutral value is left out, as HF does.
 */
export function buildChain(options: ResolvedOptions, vocabSize: number): LogitsProcessor[] {
  const chain: LogitsProcessor[] = [];
  if (options.repetitionPenalty !== 1) chain.push(repetitionPenalty(options.repetitionPenalty, vocabSize));
  if (options.noRepeatNgramSize > 0) chain.push(noRepeatNgram(options.noRepeatNgramSize));
  if (options.badWordsIds.length > 0) chain.push(badWords(options.badWordsIds, options.eosTokenIds));
  if (options.minNewTokens > 0) chain.push(minNewTokens(options.minNewTokens, options.eosTokenIds));
  if (options.doSample) {
    if (options.temperature !== 1) chain.push(temperature(options.temperature));
    if (options.topK > 0) chain.push(topK(options.topK));
    if (options.topP < 1) chain.push(topP(options.topP));
  }
  return chain;
}

/** Runs every processor of the chain on one row of scores (V), in order. */
export function applyChain(chain: readonly LogitsProcessor[], scores: Float32Array, row: RowView): void {
  for (const processor of chain) processor(scores, row);
}
