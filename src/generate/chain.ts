import type { ResolvedOptions } from './options.js';
import { badWords, minNewTokens, noRepeatNgram, repetitionPenalty, type LogitsProcessor, type RowView } from './processors.js';
import { trackNoRepeatNgram, trackRepetitionPenalty, type RowTracker, type TrackerFactory } from './trackers.js';
import { temperature, topK, topP } from './warpers.js';

/** One processor of the chain, with its incremental form when it reads the whole row. */
interface Stage {
  processor: LogitsProcessor;
  track?: TrackerFactory;
}

/**
 * The processors the options ask for, in Hugging Face's order: repetition penalty, no-repeat-n-gram, bad
 * words, min new tokens, then (sampling only) temperature, top-k, top-p. A processor whose option is at
 * its neutral value is left out, as HF does.
 */
function stages(options: ResolvedOptions, vocabSize: number): Stage[] {
  const chain: Stage[] = [];
  const penalty = options.repetitionPenalty;
  if (penalty !== 1) chain.push({ processor: repetitionPenalty(penalty, vocabSize), track: trackRepetitionPenalty(penalty, vocabSize) });
  const n = options.noRepeatNgramSize;
  if (n > 0) chain.push({ processor: noRepeatNgram(n), track: trackNoRepeatNgram(n, vocabSize) });
  if (options.badWordsIds.length > 0) chain.push({ processor: badWords(options.badWordsIds, options.eosTokenIds) });
  if (options.minNewTokens > 0) chain.push({ processor: minNewTokens(options.minNewTokens, options.eosTokenIds) });
  if (options.doSample) {
    if (options.temperature !== 1) chain.push({ processor: temperature(options.temperature) });
    if (options.topK > 0) chain.push({ processor: topK(options.topK) });
    if (options.topP < 1) chain.push({ processor: topP(options.topP) });
  }
  return chain;
}

/** The chain as plain processors, each of which rescans the row it is given. */
export function buildChain(options: ResolvedOptions, vocabSize: number): LogitsProcessor[] {
  return stages(options, vocabSize).map((stage) => stage.processor);
}

/** Runs every processor of the chain on one row of scores (V), in order. */
export function applyChain(chain: readonly LogitsProcessor[], scores: Float32Array, row: RowView): void {
  for (const processor of chain) processor(scores, row);
}

/** The chain as one row's trackers: push each token the row takes, fork for a row that continues it. */
export class RowChain {
  private constructor(private readonly trackers: readonly RowTracker[]) {}

  /** Runs the chain on the row's scores (V); `row.ids` must hold the prompt and every token pushed. */
  apply(scores: Float32Array, row: RowView): void {
    for (const tracker of this.trackers) tracker.apply(scores, row);
  }

  push(token: number): void {
    for (const tracker of this.trackers) tracker.push(token);
  }

  fork(): RowChain {
    return new RowChain(this.trackers.map((tracker) => tracker.fork()));
  }

  /** Starts the rows of a generation: call the result once per row with its prompt. */
  static builder(options: ResolvedOptions, vocabSize: number): (prompt: readonly number[]) => RowChain {
    const factories = stages(options, vocabSize).map((stage): TrackerFactory => {
      if (stage.track) return stage.track;
      const stateless: RowTracker = { apply: stage.processor, push: () => undefined, fork: () => stateless };
      return () => stateless;
    });
    return (prompt) => new RowChain(factories.map((make) => make(prompt)));
  }
}
