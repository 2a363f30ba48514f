/**
 * RNN checkpoints: one safetensors file whose tensors carry PyTorch `state_dict` names (so the tutorial's
 * `RNNModel` loads it with `load_state_dict(load_file(path))`), and whose `__metadata__` carries the format
 * name and version, the model config and the tokenizer. A resumable checkpoint adds Adam's moments
 * (`optimizer.*` tensors), the carried hidden state (`trainer.hidden.*`) and the trainer's position and RNG
 * state; PyTorch then needs `strict=False`, since those tensors are not parameters.
 *
 * A file written by PyTorch (no `textloom_format` key) loads too: the config is read off the tensor shapes,
 * and its metadata is returned as it is but never read as textloom's.
 */
import { readSafetensorsData, readSafetensorsHeader, serializeSafetensors, SafetensorsError, type TensorToWrite } from '../io/safetensors.js';
import { readBytes, readFileParts, writeBytesAtomic, type PlatformFileError } from '../platform/index.js';
import { checkOptionKeys, optionKeys } from '../util/options.js';
import type { TrainerState } from './trainer.js';
import { gateCount, parameterSpecs, validateConfig as validateModelConfig, type CellType, type ModelConfig } from './layout.js';

/** Value of the `textloom_format` metadata key that marks a file as a textloom RNN checkpoint. */
export const CHECKPOINT_FORMAT = 'textloom.rnn';
/** Version written as `textloom_format_version`; decoding a textloom checkpoint of another version throws a CheckpointError. */
export const CHECKPOINT_VERSION = 1;

export type { CellType } from './layout.js';
/** Every recurrent cell type an RNN model can have. */
export const CELL_TYPES: readonly CellType[] = ['rnn', 'lstm', 'gru'];

/** The model's shape, as RNNModel.create takes it. */
export type RNNConfig = ModelConfig;

export type Tensor = { shape: number[]; data: Float32Array };
export type TensorMap = Map<string, Tensor>;

/** What saving and loading need from a model; RNNModel provides it. */
export interface CheckpointableModel {
  stateDict(): TensorMap;
  loadStateDict(map: TensorMap): void;
  optimizerState(): { step: number; tensors: TensorMap };
  loadOptimizerState(state: { step: number; tensors: TensorMap }): void;
}

/** A checkpoint that cannot be read: truncated, foreign, or inconsistent with its own config. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The training run a resumable checkpoint continues. */
export interface TrainingSnapshot {
  optimizer: { step: number; tensors: TensorMap };
  trainer: TrainerState;
  /** The options of the run (JSON), so a resume can check it continues the same run. */
  options?: Record<string, unknown>;
}

/** How decodeCheckpoint and loadCheckpoint read a checkpoint. */
export interface CheckpointReadOptions {
  /**
   * false: skip the training state of a resumable checkpoint (Adam's moments, twice the weights, and the
   * carried hidden state): those tensors are neither copied nor checked (loadCheckpoint does not even read
   * them from a local file), and `training` is null, as for generating or inspecting a model. The header
   * is still checked as a whole, trainer metadata included. Default true; resuming training needs it.
   */
  training?: boolean | undefined;
}

const DECODE_KEYS = optionKeys<CheckpointReadOptions>({ training: true });

/** A decoded checkpoint: what decodeCheckpoint and loadCheckpoint return. */
export interface Checkpoint {
  /** The model's config: from the metadata, or read off the tensor shapes for a bare PyTorch file. */
  config: RNNConfig;
  /** The tokenizer as the text module serialized it; null for a bare PyTorch file. */
  tokenizer: unknown;
  /** The parameters by PyTorch name, checked against `config` (for RNNModel.loadStateDict or restoreModel). */
  weights: TensorMap;
  /** Optimizer and trainer state of a resumable checkpoint; null otherwise, or when read with `training: false`. */
  training: TrainingSnapshot | null;
  /** Free-form string metadata of the file (everything, including textloom's own keys). */
  metadata: Record<string, string>;
}

const OPTIMIZER_PREFIX = 'optimizer.';
const HIDDEN_PREFIX = 'trainer.hidden.';
const isTrainingTensor = (key: string): boolean => key.startsWith(OPTIMIZER_PREFIX) || key.startsWith(HIDDEN_PREFIX);

/** PyTorch parameter names and shapes of the tutorial's RNNModel with this config, in its order. */
export function parameterShapes(config: RNNConfig): Map<string, number[]> {
  return new Map(parameterSpecs(config).map((spec) => [spec.name, spec.shape]));
}

/** The config checked as RNNModel checks it, with the problem reported as a CheckpointError. */
export function validateConfig(config: unknown, where = 'config'): RNNConfig {
  try {
    return validateModelConfig(config as ModelConfig);
  } catch (e) {
    throw new CheckpointError(`${where}: ${(e as Error).message}`);
  }
}

/** The config of a PyTorch-layout tensor set, read off the shapes; `source` (a path) names it in errors. */
export function inferConfig(tensors: ReadonlyMap<string, { shape: number[] }>, source = 'the file'): RNNConfig {
  const shape = (name: string): number[] => {
    const t = tensors.get(name);
    if (!t) {
      throw new CheckpointError(
        `${source} is not an RNN checkpoint: tensor "${name}" is missing (found ${[...tensors.keys()].slice(0, 8).join(', ') || 'no tensors'}); ` +
          'expected the PyTorch names embed.weight, rnn.weight_ih_l0, ..., linear.weight',
      );
    }
    return t.shape;
  };
  const [vocabSize, embedSize] = shape('embed.weight') as [number, number];
  const [gatesTimesHidden, hiddenSize] = shape('rnn.weight_hh_l0') as [number, number];
  const gates = gatesTimesHidden / hiddenSize;
  const cell = CELL_TYPES.find((c) => gateCount(c) === gates);
  if (cell === undefined) {
    throw new CheckpointError(
      `${source}: rnn.weight_hh_l0 has shape [${gatesTimesHidden}, ${hiddenSize}], which is ${gates} gates; expected 1 (RNN), 4 (LSTM) or 3 (GRU)`,
    );
  }
  let numLayers = 0;
  while (tensors.has(`rnn.weight_ih_l${numLayers}`)) numLayers++;
  return { cell, vocabSize: vocabSize!, embedSize: embedSize!, hiddenSize: hiddenSize!, numLayers };
}

/**
 * The nn.RNN / LSTM / GRU options that textloom's layers lack, recognized by the tensors they add or
 * drop. Without this check the error names a symptom: bidirectional=True doubles the input of layer 1
 * ("has shape [4H, 2H] but ... needs [4H, H]"), proj_size shrinks weight_hh ("13.6 gates").
 */
function unsupportedRnnOptions(names: readonly string[]): string[] {
  const options: string[] = [];
  if (names.some((n) => /^rnn\.(weight|bias)_(ih|hh)_l\d+_reverse$/.test(n))) options.push('bidirectional=True (rnn.*_reverse tensors)');
  if (names.some((n) => /^rnn\.weight_hr_l\d+(_reverse)?$/.test(n))) options.push('proj_size (rnn.weight_hr_l* tensors)');
  if (names.includes('rnn.weight_ih_l0') && !names.some((n) => /^rnn\.bias_(ih|hh)_l\d+/.test(n))) options.push('bias=False (no rnn.bias_* tensors)');
  return options;
}

/** A name of the tutorial's model: what a metadata key must be to stand for a dropped shared tensor. */
const PARAMETER_NAME = /^(embed\.weight|linear\.(weight|bias)|rnn\.(weight|bias)_(ih|hh)_l\d+)$/;

/**
 * safetensors refuses to write two names of one storage: its save_model() keeps one and records each
 * dropped name in the metadata, pointing at the kept one. A model with tie_weights (linear.weight is
 * embed.weight) is saved as embed.weight plus `{"linear.weight": "embed.weight"}`, and load_model()
 * puts the name back. So does this (dropped name -> kept name), as a copy: textloom's layers are never
 * tied, so training the model afterwards moves the two apart, as an untied PyTorch model would.
 */
function sharedTensorNames(weights: ReadonlyMap<string, unknown>, metadata: Record<string, string>): Map<string, string> {
  const shared = new Map<string, string>();
  for (const [dropped, kept] of Object.entries(metadata)) {
    if (weights.has(kept) && PARAMETER_NAME.test(dropped) && !weights.has(dropped)) shared.set(dropped, kept);
  }
  return shared;
}

/** Checks that `weights` holds exactly the parameters of `config`, each with its shape. */
function checkWeights(weights: ReadonlyMap<string, { shape: number[] }>, config: RNNConfig, name = 'checkpoint'): void {
  const expected = parameterShapes(config);
  for (const [tensor, shape] of expected) {
    const t = weights.get(tensor);
    if (!t) throw new CheckpointError(`${name} is missing tensor "${tensor}" [${shape.join(', ')}] of a ${describeConfig(config)}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `${name}: tensor "${tensor}" has shape [${t.shape.join(', ')}] but a ${describeConfig(config)} needs [${shape.join(', ')}]`,
      );
    }
  }
  for (const tensor of weights.keys()) {
    if (!expected.has(tensor)) throw new CheckpointError(`${name} has unexpected tensor "${tensor}" for a ${describeConfig(config)}`);
  }
}

/** A one-line description of a config for messages, e.g. `LSTM (vocab 5000, embed 64, hidden 128, 1 layer)`. */
export function describeConfig(c: RNNConfig): string {
  return `${c.cell.toUpperCase()} (vocab ${c.vocabSize}, embed ${c.embedSize}, hidden ${c.hiddenSize}, ${c.numLayers} layer${c.numLayers === 1 ? '' : 's'})`;
}

/** What encodeCheckpoint and saveCheckpoint write; modelContent builds it from a live model. */
export interface CheckpointContent {
  /** Its values are checked as RNNModel.create checks them (only the five ModelConfig keys are stored);
   *  `weights` must hold exactly its parameters. */
  config: RNNConfig;
  /** The parameters by PyTorch name, as RNNModel.stateDict() gives them. */
  weights: TensorMap;
  /** The tokenizer's toJSON(), stored as JSON in the metadata. */
  tokenizer?: unknown;
  /** Makes the checkpoint resumable: optimizer moments, trainer position and hidden state. */
  training?: TrainingSnapshot | undefined;
  /** Extra string metadata to record (e.g. the corpus name); the keys the checkpoint writes itself are refused. */
  metadata?: Record<string, string> | undefined;
}

const CONTENT_KEYS = optionKeys<CheckpointContent>({ config: true, weights: true, tokenizer: true, training: true, metadata: true });

/** Metadata keys the checkpoint writes itself: a caller's value would be overwritten or, read back as JSON, make the file unreadable. */
const RESERVED_METADATA = ['format', 'textloom_format', 'textloom_format_version', 'config', 'tokenizer', 'optimizer_step', 'trainer', 'training_options'];

/** The bytes of a checkpoint. */
export function encodeCheckpoint(content: CheckpointContent): Uint8Array {
  if (typeof (content as { stateDict?: unknown } | null)?.stateDict === 'function') {
    throw new TypeError('encodeCheckpoint: expected the checkpoint content, got the model itself; pass ' +
      'modelContent(model, model.config, { tokenizer: tokenizer.toJSON() })');
  }
  checkOptionKeys('encodeCheckpoint', content, CONTENT_KEYS);
  const config = validateConfig(content.config);
  checkWeights(content.weights, config);
  for (const key of Object.keys(content.metadata ?? {})) {
    if (RESERVED_METADATA.includes(key)) {
      throw new RangeError(`encodeCheckpoint: metadata key "${key}" is written by the checkpoint itself (${RESERVED_METADATA.join(', ')}); store your value under another name`);
    }
  }
  const tensors = new Map<string, TensorToWrite>(content.weights);
  if (content.training) {
    for (const [name, t] of content.training.optimizer.tensors) tensors.set(OPTIMIZER_PREFIX + name, t);
    content.training.trainer.hidden.forEach((data, i) => tensors.set(`${HIDDEN_PREFIX}${i}`, { shape: [data.length], data }));
  }
  // A file that decodeCheckpoint would refuse is never written: it would only fail later, far from its cause.
  for (const [key, t] of tensors) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new CheckpointError(`encodeCheckpoint: tensor ${key} holds ${t.data[bad]} at index ${bad} (did training diverge?); nothing was written`);
  }
  const metadata: Record<string, string> = {
    ...content.metadata,
    format: 'pt',
    textloom_format: CHECKPOINT_FORMAT,
    textloom_format_version: String(CHECKPOINT_VERSION),
    config: JSON.stringify(config),
  };
  if (content.tokenizer !== undefined) metadata['tokenizer'] = JSON.stringify(content.tokenizer);
  if (content.training) {
    const { optimizer, trainer, options } = content.training;
    const { hidden: _hidden, ...position } = trainer;
    metadata['optimizer_step'] = String(optimizer.step);
    metadata['trainer'] = JSON.stringify({ ...position, hiddenCount: trainer.hidden.length });
    if (options) metadata['training_options'] = JSON.stringify(options);
  }
  return serializeSafetensors(tensors, metadata);
}

/** Index of the first NaN or infinity in `data`, or -1. */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

function parseJsonField(metadata: Record<string, string>, key: string, name: string): unknown {
  try {
    return JSON.parse(metadata[key]!);
  } catch {
    throw new CheckpointError(`${name}: metadata "${key}" is not valid JSON; the file is corrupt`);
  }
}

/** `read()`, with a SafetensorsError reported as a CheckpointError naming the file. */
function readable<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SafetensorsError) {
      throw new CheckpointError(`${name} is not a readable checkpoint: ${e.message.replace(/^safetensors: /, '')}`);
    }
    throw e;
  }
}

/** Where training stopped, as a resumable checkpoint's header records it. */
export interface TrainerMetadata {
  /** Epoch, batch and global step at which training resumes. */
  position: Omit<TrainerState, 'hidden'>;
  /** Number of hidden-state tensors the file carries for the resumed batch. */
  hiddenCount: number;
  /** The optimizer's step count. */
  step: number;
  /** The train() options of the run, where it recorded them. */
  options?: Record<string, unknown>;
}

/**
 * The training position in the metadata of a textloom checkpoint, checked; null for a checkpoint that
 * is not resumable or not textloom's. Needs no tensor, so it serves a checkpoint read without its
 * training state too.
 */
export function trainerMetadata(metadata: Record<string, string>, name = 'checkpoint'): TrainerMetadata | null {
  if (metadata['textloom_format'] !== CHECKPOINT_FORMAT || metadata['trainer'] === undefined) return null;
  const { hiddenCount, ...position } = parseJsonField(metadata, 'trainer', name) as TrainerState & { hiddenCount: number };
  const step = Number(metadata['optimizer_step']);
  if (!Number.isInteger(step) || step < 0) {
    throw new CheckpointError(`${name}: optimizer_step must be a non-negative integer, got ${metadata['optimizer_step']}`);
  }
  const trainer: TrainerMetadata = { position, hiddenCount, step };
  if (metadata['training_options'] !== undefined) {
    trainer.options = parseJsonField(metadata, 'training_options', name) as Record<string, unknown>;
  }
  return trainer;
}

/**
 * Reads checkpoint bytes; `name` (a path) only serves error messages. Everything the header says
 * (format, config, tensor names and shapes, trainer state) is checked before any tensor is copied, so
 * a wrong file is refused at the cost of reading its header, however large its data. With
 * `{ training: false }` the tensors of the training state are skipped (see CheckpointReadOptions).
 */
export function decodeCheckpoint(bytes: Uint8Array, name = 'checkpoint', options: CheckpointReadOptions = {}): Checkpoint {
  checkOptionKeys('decodeCheckpoint', options, DECODE_KEYS);
  if (options.training !== undefined && typeof options.training !== 'boolean') {
    throw new TypeError(`decodeCheckpoint: training must be true or false, got ${typeof options.training}`);
  }
  const withTraining = options.training ?? true;
  const header = readable(name, () => readSafetensorsHeader(bytes));
  const { entries, metadata } = header;
  const format = metadata['textloom_format'];
  if (format !== undefined && format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${name} is a "${format}" file, not an RNN checkpoint (${CHECKPOINT_FORMAT})`);
  }
  const version = metadata['textloom_format_version'];
  if (format !== undefined && version !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointError(
      `${name} has checkpoint format version ${version}; this textloom reads version ${CHECKPOINT_VERSION} (upgrade textloom)`,
    );
  }
  const weightShapes = new Map<string, { shape: number[] }>();
  const hiddenNames: string[] = [];
  for (const [key, entry] of entries) {
    if (key.startsWith(HIDDEN_PREFIX)) hiddenNames[Number(key.slice(HIDDEN_PREFIX.length))] = key;
    else if (!key.startsWith(OPTIMIZER_PREFIX)) weightShapes.set(key, entry);
  }
  // Only a textloom checkpoint's metadata is textloom's: a PyTorch user's file may well carry its own
  // "config" or "tokenizer" string, which says nothing about this layout.
  const ours = format === CHECKPOINT_FORMAT;
  const shared = ours ? new Map<string, string>() : sharedTensorNames(weightShapes, metadata);
  for (const [dropped, kept] of shared) weightShapes.set(dropped, weightShapes.get(kept)!);
  const unsupported = unsupportedRnnOptions([...weightShapes.keys()]);
  if (unsupported.length) {
    throw new CheckpointError(
      `${name} holds a recurrent layer built with ${unsupported.join(' and ')}, which textloom's RNN, LSTM and GRU ` +
        'layers do not have; train the PyTorch model without it (nn.RNN/LSTM/GRU(embed, hidden, layers) with the defaults)',
    );
  }
  const config = ours && metadata['config'] !== undefined
    ? validateConfig(parseJsonField(metadata, 'config', name), `${name} config`)
    : inferConfig(weightShapes, name);
  checkWeights(weightShapes, config, name);
  const tokenizer = ours && metadata['tokenizer'] !== undefined ? parseJsonField(metadata, 'tokenizer', name) : null;

  const trainer = trainerMetadata(metadata, name);
  if (trainer && (hiddenNames.length !== trainer.hiddenCount || hiddenNames.some((h) => h === undefined))) {
    throw new CheckpointError(`${name}: expected ${trainer.hiddenCount} trainer.hidden.* tensors, found ${hiddenNames.filter(Boolean).length}`);
  }

  const tensors = readable(name, () => readSafetensorsData(bytes, header, (key) => withTraining || !isTrainingTensor(key)));
  const weights: TensorMap = new Map();
  const optimizerTensors: TensorMap = new Map();
  for (const [key, t] of tensors) {
    // Caught here, a bad value names its tensor; caught later, it surfaces as a diverged loss or as
    // every token banned during generation.
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new CheckpointError(`${name}: tensor ${key} holds ${t.data[bad]} at index ${bad}; the file is corrupt`);
    if (key.startsWith(OPTIMIZER_PREFIX)) optimizerTensors.set(key.slice(OPTIMIZER_PREFIX.length), t);
    else if (!key.startsWith(HIDDEN_PREFIX)) weights.set(key, { shape: t.shape, data: t.data });
  }
  for (const [dropped, kept] of shared) {
    const t = weights.get(kept)!;
    weights.set(dropped, { shape: [...t.shape], data: t.data.slice() });
  }
  let training: TrainingSnapshot | null = null;
  if (trainer && withTraining) {
    const hidden = hiddenNames.map((key) => tensors.get(key)!.data);
    training = { optimizer: { step: trainer.step, tensors: optimizerTensors }, trainer: { ...trainer.position, hidden } };
    if (trainer.options !== undefined) training.options = trainer.options;
  }
  return { config, tokenizer, weights, training, metadata };
}

/**
 * Writes a checkpoint atomically to a file path or file: URL (Node, Deno): a failure leaves the previous
 * file at `path` untouched.
 */
export async function saveCheckpoint(path: string | URL, content: CheckpointContent): Promise<void> {
  await writeBytesAtomic(path, encodeCheckpoint(content));
}

/**
 * Reads a checkpoint from a file path or file: URL (Node, Deno) or an http(s), blob or data URL (anywhere) and decodes
 * it. Rejects with a CheckpointError when the bytes are not a readable checkpoint.
 *
 * `const ckpt = await loadCheckpoint('model.safetensors'); const model = await RNNModel.create(ckpt.config);
 * restoreModel(model, ckpt); const tokenizer = tokenizerFromJSON(ckpt.tokenizer);`
 * Only to generate or inspect, `loadCheckpoint(path, { training: false })` leaves out the training state.
 */
export async function loadCheckpoint(location: string | URL, options: CheckpointReadOptions = {}): Promise<Checkpoint> {
  checkOptionKeys('loadCheckpoint', options, DECODE_KEYS);
  let bytes: Uint8Array;
  try {
    bytes = (options.training === false ? await readWithoutTraining(location) : null) ?? await readBytes(location);
  } catch (e) {
    if ((e as PlatformFileError).code !== 'ETOOLARGE') throw e;
    // A file of weights holds 4 bytes a parameter, what the model takes in WASM memory to generate; a
    // resumable one 12 (weights and two Adam moments), where training takes 16 (the embedding 12).
    throw new CheckpointError(`${(e as Error).message}. No RNN checkpoint is this large: it stores 4 bytes a ` +
      'parameter, as many as the model takes in WASM memory to generate (12 with the optimizer state, and training ' +
      "takes more), and wasm32's memory holds 4 GiB; this file is something else");
  }
  return decodeCheckpoint(bytes, String(location), options);
}

/**
 * A local checkpoint file with only its header and the weights read in: the training tensors' bytes
 * stay zero, unread, which decodeCheckpoint with `training: false` never looks at. Null for a URL.
 */
function readWithoutTraining(location: string | URL): Promise<Uint8Array | null> {
  return readFileParts(location, async ({ bytes, fill }) => {
    await fill(0, 8);
    const headerLength = bytes.length < 8 ? 0 : Number(new DataView(bytes.buffer).getBigUint64(0, true));
    await fill(8, 8 + headerLength);
    const header = readable(String(location), () => readSafetensorsHeader(bytes));
    for (const [key, { begin, end }] of header.entries) {
      if (!isTrainingTensor(key)) await fill(header.dataStart + begin, header.dataStart + end);
    }
    return bytes;
  });
}

/** What modelContent() adds to a model's weights and config; every part is optional. */
export interface ModelContentExtra {
  /** The tokenizer's toJSON(), so that the file can turn ids into text again. */
  tokenizer?: unknown;
  /** Makes the checkpoint resumable: the trainer's position, saved with the optimizer's state. */
  trainer?: TrainerState | undefined;
  /** The training options of a resumable run (stored as JSON beside the trainer's position). */
  options?: Record<string, unknown> | undefined;
  /** Extra string metadata, stored in the safetensors header. */
  metadata?: Record<string, string> | undefined;
}

const EXTRA_KEYS = optionKeys<ModelContentExtra>({ tokenizer: true, trainer: true, options: true, metadata: true });

/** Saves the weights (and, with a training snapshot, the optimizer) of a live model. */
export function modelContent(model: CheckpointableModel, config: RNNConfig, extra: ModelContentExtra = {}): CheckpointContent {
  checkOptionKeys('modelContent', extra, EXTRA_KEYS);
  const content: CheckpointContent = { config, weights: model.stateDict() };
  if (extra.tokenizer !== undefined) content.tokenizer = extra.tokenizer;
  if (extra.metadata !== undefined) content.metadata = extra.metadata;
  if (extra.trainer !== undefined) {
    content.training = { optimizer: model.optimizerState(), trainer: extra.trainer };
    if (extra.options !== undefined) content.training.options = extra.options;
  }
  return content;
}

/** Loads weights (and optimizer state, if the checkpoint has it) into a model built with its config. */
export function restoreModel(model: CheckpointableModel, checkpoint: Checkpoint): void {
  model.loadStateDict(checkpoint.weights);
  if (checkpoint.training) model.loadOptimizerState(checkpoint.training.optimizer);
}
