/**
 * textloom: train and run text-generating language models anywhere JavaScript runs.
 *
 * - RNN / LSTM / GRU language models trained on WASM SIMD kernels: `RNNModel`, `train`, `generateText`,
 *   checkpoints in safetensors with PyTorch's names.
 * - GPT-2 on onnxruntime-web (WebGPU or WASM; onnxruntime-node in Node when installed):
 *   `loadGpt2` (model and tokenizer), `Gpt2Chat`. onnxruntime is imported only when a GPT-2 model loads.
 * - Tokenizers: the tutorial's word tokenizer, code-point characters, GPT-2's byte-level BPE.
 * - In a page: `TrainingWorker` trains off the main thread.
 *
 * Importing this module does nothing by itself: no globals, no timers, no WASM until a model is created.
 */

// Seeded randomness, identical in every runtime.
export { Random } from './util/random.js';

// Text: preprocessing and tokenizers.
export * from './text/index.js';

// Generation shared by every engine: Hugging Face semantics, streaming, seeded sampling.
export * from './generate/index.js';

// RNN language models.
export {
  RNNModel,
  RecurrentState,
  type AdamOptions,
  type CellType,
  type ModelConfig,
  type RNNCreateOptions,
  type TensorData,
} from './rnn/model.js';
/** Whether this runtime accepts the relaxed-SIMD kernels ('auto' picks them where it does). */
export { relaxedSimdSupported } from './wasm/builds.js';
export { MAX_THREADS } from './wasm/thread-count.js';
export {
  corpusText,
  readCorpusFiles,
  splitValidation,
  StreamBatches,
  tokenizeCorpus,
  validationBatches,
  CorpusError,
  type Batch,
  type CorpusChunk,
  type CorpusSource,
  type TokenSplit,
} from './rnn/dataset.js';
export {
  train,
  evaluateLoss,
  type EpochProgress,
  type StepProgress,
  type StopReason,
  type TrainableModel,
  type TrainerState,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './rnn/trainer.js';
export { LR_SCHEDULES, type LrScheduleName } from './rnn/lr-schedule.js';
export {
  CELL_TYPES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  decodeCheckpoint,
  describeConfig,
  encodeCheckpoint,
  loadCheckpoint,
  modelContent,
  parameterShapes,
  restoreModel,
  saveCheckpoint,
  trainerMetadata,
  type Checkpoint,
  type CheckpointableModel,
  type CheckpointContent,
  type CheckpointReadOptions,
  type ModelContentExtra,
  type RNNConfig,
  type TrainerMetadata,
  type TrainingSnapshot,
} from './rnn/checkpoint.js';
export {
  checkTextGenerationOptions,
  encodeSeed,
  generateText,
  RNNLogitsSource,
  type GenerationState,
  type GenerativeModel,
  type TextGenerationOptions,
  type TextGenerationResult,
} from './rnn/generate.js';
export { RNNChat, type ChatOptions as RNNChatOptions } from './rnn/chat.js';

// GPT-2 on onnxruntime: `loadGpt2` (model + tokenizer), `Gpt2Chat`, and the lower-level loader.
export * from './gpt2/index.js';

// Safetensors files.
export {
  parseSafetensors,
  serializeSafetensors,
  SafetensorsError,
  type ParsedSafetensors,
  type ParsedTensor,
  type SafetensorsDtype,
  type TensorToWrite,
} from './io/safetensors.js';

// Training in a Web Worker.
export { TrainingWorker } from './worker/client.js';
export type {
  GenerationSpec,
  GenerationSummary,
  ModelSpec,
  ModelSummary,
  TrainingSpec,
  TrainingSummary,
} from './worker/protocol.js';

// Where the code runs.
export { detectRuntime, type RuntimeName } from './platform/index.js';
