/**
 * What a model holds in WASM memory besides its activations, and what to shrink when that passes
 * wasm32's 4 GiB. The weights (4 bytes a parameter) are there from RNNModel.create; what only training
 * uses, the gradients, the embedding gradient's row slots and Adam's two moments (12 bytes a
 * parameter more, 8 for the embedding), comes into being at the first call that trains or restores the
 * optimizer state. A model loaded to generate never pays for it.
 */
import { WASM32_MAX_BYTES, type Arena, type Region, type RegionKind } from '../wasm/arena.js';
import { parameterSpecs, type ModelConfig } from './layout.js';

/** One layer's gradient pointers, as the backward kernels take them. */
export interface LayerGradients {
  dW_ih: number; dW_hh: number; db_ih: number; db_hh: number;
}

/** The regions only training uses. */
export interface TrainingRegions {
  /** Every gradient but the embedding's: the parameter layout from the first tensor after it. */
  readonly grads: Region;
  /** (V) int32: each id's row in the step's touched embedding-gradient rows, or -1. */
  readonly embedSlot: Region;
  /** (E) zeros: the gradient of an embedding row the step did not touch. */
  readonly zeroRow: Region;
  /** Adam's first and second moments, in the parameter layout. */
  readonly m: Region;
  readonly v: Region;
  readonly layers: LayerGradients[];
  /** The gradients of linear.weight and linear.bias. */
  readonly head: { dW: number; db: number };
}

/** Bytes one token of vocabulary adds to the weights: its embedding row, output row and bias. */
function weightBytesPerToken({ embedSize: E, hiddenSize: H }: ModelConfig): number {
  return 4 * E + 4 * (H + 1);
}

/** ... and to a model that trains: the gradient and two moments of its output row and bias, the
 *  two moments of its embedding row, and its embedding-gradient slot. */
function trainingBytesPerToken({ embedSize: E, hiddenSize: H }: ModelConfig): number {
  return 12 * E + 16 * (H + 1) + 4;
}

/** "vocabSize 10000, hiddenSize 256, numLayers 2, embedSize 128": the sizes that set the memory. */
export function describeSizes(config: ModelConfig): string {
  return `vocabSize ${config.vocabSize}, hiddenSize ${config.hiddenSize}, numLayers ${config.numLayers}, ` +
    `embedSize ${config.embedSize}`;
}

/**
 * What to shrink for a model whose fixed regions, laid out as `purpose` needs them, would end at byte
 * `end`: the vocabulary that would fit beside the other sizes, or the other sizes when no vocabulary
 * would.
 */
export function fittingVocabulary(config: ModelConfig, end: number, purpose: 'generate' | 'train'): string {
  const perToken = purpose === 'train' ? trainingBytesPerToken(config) : weightBytesPerToken(config);
  const largest = Math.floor((WASM32_MAX_BYTES - (end - config.vocabSize * perToken)) / perToken);
  if (largest < 1) return 'Shrink hiddenSize, embedSize or numLayers: the recurrent layers alone pass the limit.';
  return `With these other sizes at most about ${largest} tokens of vocabulary fit ` +
    `${purpose === 'train' ? 'to train' : 'to generate'} (before any batch): shrink vocabSize (a smaller ` +
    'maxSize for the tokenizer), or hiddenSize, embedSize or numLayers.';
}

/**
 * Lays out the training regions above the arena's fixed regions, after checking that they fit (the
 * RangeError names `where`, the bytes and what to shrink, and allocates nothing). The caller drops its
 * activations first: they are laid out again above the new regions.
 */
export function allocateTraining(arena: Arena, config: ModelConfig, where: string): TrainingRegions {
  const specs = parameterSpecs(config);
  const P = specs.reduce((n, s) => n + s.length, 0);
  const embedFloats = specs[0]!.length;
  const fixed: [string, RegionKind, number][] = [
    ['grads', 'grads', P - embedFloats],
    ['grads.embed.slot', 'grads', config.vocabSize],
    ['grads.embed.zero', 'grads', config.embedSize],
    ['adam.m', 'adam', P],
    ['adam.v', 'adam', P],
  ];
  const lengths = fixed.map(([, , length]) => length);
  arena.requireRoom(lengths,
    `${where}: the gradients and Adam moments that training adds to the weights of ${P} parameters (${describeSizes(config)})`,
    `${fittingVocabulary(config, arena.endAfter(lengths), 'train')} The model can still generate: that takes the weights alone.`);
  const [grads, embedSlot, zeroRow, m, v] = fixed.map(([name, kind, length]) => arena.alloc(name, kind, length)) as Region[];
  // A later region can lie where activations were: its memory is not zero.
  for (const region of [zeroRow!, m!, v!]) arena.f32(region).fill(0);
  const grad = (name: string) => grads!.ptr + (specs.find((s) => s.name === name)!.offset - embedFloats) * 4;
  const layers = Array.from({ length: config.numLayers }, (_, l) => ({
    dW_ih: grad(`rnn.weight_ih_l${l}`), dW_hh: grad(`rnn.weight_hh_l${l}`),
    db_ih: grad(`rnn.bias_ih_l${l}`), db_hh: grad(`rnn.bias_hh_l${l}`),
  }));
  const head = { dW: grad('linear.weight'), db: grad('linear.bias') };
  return { grads: grads!, embedSlot: embedSlot!, zeroRow: zeroRow!, m: m!, v: v!, layers, head };
}
