/**
 * Messages between a page and the training Worker (dist/worker.js). Everything in them is structured-
 * clonable; checkpoint bytes are transferred, not copied.
 *
 * Every request carries an `id`; the worker answers it exactly once with `done` or `failed`, and may send
 * `progress` (training) or `text` (generation) events with the same id before that.
 */
import type { CellType } from '../rnn/model.js';
import type { TextGenerationOptions } from '../rnn/generate.js';
import type { StopReason, TrainOptions, TrainProgress } from '../rnn/trainer.js';

/** The model to build for a corpus. */
export interface ModelSpec {
  /** 'rnn' (tanh), 'lstm' or 'gru'. */
  cell: CellType;
  /** Words (the tutorial's preprocessing) or Unicode code points. */
  tokenizer: 'word' | 'char';
  /** Size of each token's embedding vector. */
  embedSize: number;
  /** Size of each layer's hidden state. */
  hiddenSize: number;
  /** Recurrent layers, stacked. */
  numLayers: number;
  /** Largest vocabulary (rarer tokens become `<unk>`). Default: every token. */
  maxVocab?: number | undefined;
  /** Tokens seen fewer times become `<unk>`. Default 1. */
  minCount?: number | undefined;
  /** Seed of the weight initialization. Default 0. */
  seed?: number | undefined;
  /** Threads the kernels train on (WASM threads; the page must be cross-origin isolated). Default 1. */
  threads?: number | undefined;
}

/** The trainer's serializable options, and how much of the corpus to hold out. */
export type TrainingSpec = Pick<TrainOptions, 'epochs' | 'lr' | 'batchSize' | 'seqLen' | 'clip' | 'weightDecay' | 'lrSchedule' | 'warmupSteps' | 'seed'> & {
  /** Fraction of the corpus (its tail) held out for validation. Default 0.1. */
  validationFraction?: number | undefined;
};

/** generateText's serializable options (text streams back as `text` events). */
export type GenerationSpec = Pick<
  TextGenerationOptions,
  'maxNewTokens' | 'doSample' | 'temperature' | 'topK' | 'topP' | 'repetitionPenalty' | 'noRepeatNgramSize' | 'seed' | 'stop'
>;

/** What the worker holds after training or loading. */
export interface ModelSummary {
  /** 'rnn' (tanh), 'lstm' or 'gru'. */
  cell: CellType;
  /** The tokenizer's kind ('bpe' for a loaded checkpoint that has one). */
  tokenizer: 'word' | 'char' | 'bpe';
  /** Tokens in the vocabulary, `<unk>` included. */
  vocabSize: number;
  /** Size of each token's embedding vector. */
  embedSize: number;
  /** Size of each layer's hidden state. */
  hiddenSize: number;
  /** Recurrent layers, stacked. */
  numLayers: number;
  /** The kernel build in use: 'relaxed' (relaxed SIMD) or 'simd'. */
  kernels: 'simd' | 'relaxed';
  /** Threads the kernels run on. */
  threads: number;
}

/** What TrainingWorker.train() resolves with. */
export interface TrainingSummary {
  /** 'stopped' when stop() ended it. */
  reason: Exclude<StopReason, 'aborted'> | 'stopped';
  /** Training steps run, over all pauses and resumes. */
  steps: number;
  /** Loss of the last step; null when no step ran. */
  lastLoss: number | null;
  /** Last validation loss; null when validation did not run. */
  valLoss: number | null;
  /** exp(valLoss); null when validation did not run. */
  valPerplexity: number | null;
  /** Training throughput of the run (validation excluded). */
  tokensPerSecond: number;
  /** The model the worker now holds. */
  model: ModelSummary;
}

/** What TrainingWorker.generate() resolves with: generateText's result without ids and state. */
export interface GenerationSummary {
  /** The generated text alone, without the seed. */
  text: string;
  /** 'length' when maxNewTokens were generated, 'stop' when a `stop` word ended the text. */
  finishReason: 'eos' | 'length' | 'stop';
  /** Warnings about the seed (pieces read as `<unk>`). */
  warnings: string[];
  /** Generated tokens per second of wall time; 0 when none. */
  tokensPerSecond: number;
}

export type WorkerRequest =
  | { type: 'train'; id: number; text: string; model: ModelSpec; training: TrainingSpec }
  | { type: 'pause'; id: number }
  | { type: 'resume'; id: number }
  | { type: 'stop'; id: number }
  | { type: 'generate'; id: number; seed: string; options: GenerationSpec }
  | { type: 'save'; id: number }
  | { type: 'load'; id: number; bytes: Uint8Array }
  /** Ends any run and disposes every model (ending their kernel threads); the worker then closes itself. */
  | { type: 'close'; id: number };

/** The value a `done` answer carries, per request type. */
export interface WorkerResults {
  train: TrainingSummary;
  pause: null;
  resume: null;
  stop: null;
  generate: GenerationSummary;
  save: Uint8Array;
  load: ModelSummary;
  close: null;
}

export type WorkerMessage =
  | { type: 'progress'; id: number; event: TrainProgress }
  | { type: 'text'; id: number; piece: string }
  | { type: 'done'; id: number; result: WorkerResults[keyof WorkerResults] }
  | { type: 'failed'; id: number; message: string };
