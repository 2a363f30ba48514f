/**
 * Where one call's activations live in the model's arena, for a given (T, B) and purpose.
 * Training keeps every layer's gates (and LSTM cells) while the whole arena stays within
 * RECOMPUTE_ABOVE_BYTES; past it, all layers share one set and the backward pass re-runs a lower
 * layer's forward to refill it (bit-identical, since the same kernels see the same inputs).
 */
import { alignUp, WASM32_MAX_BYTES, type Arena, type Region } from '../wasm/arena.js';
import type { ModelConfig } from './layout.js';

/** Arena size past which training recomputes lower layers' gates instead of storing them (about 3%
 *  more multiply-adds on config L, which then trains in 470 MiB instead of 512). */
export const RECOMPUTE_ABOVE_BYTES = 536_870_912; // 512 MiB
/** Rows of logits materialized at once are capped so that they hold at most this many floats
 *  (16 MiB). Every chunk of rows repacks the output weights twice and rewrites their gradient, so
 *  fewer, larger chunks are faster: on vocab 30000 136 rows train the head 2-4% faster than 64. */
export const LOGITS_BUDGET_FLOATS = 4_194_304; // 4 Mi

export interface Activations {
  readonly key: string;
  readonly T: number;
  readonly B: number;
  readonly ids: Region; // (T, B) int32
  readonly targets: Region; // (T, B) int32
  readonly x0: Region; // (T, B, E)
  readonly h: Region[]; // per layer (T, B, H)
  readonly c: Region[]; // per layer (T, B, H), LSTM only; entries may alias
  readonly gates: Region[]; // per layer (T, B, 4H), LSTM and GRU; entries may alias
  readonly h0: Region[]; // per layer (B, H)
  readonly c0: Region[]; // per layer (B, H), LSTM only
  readonly dA: Region | null; // (T, B, max(E, H)) training only
  readonly dB: Region | null; // (T, B, max(E, H)) training only; may lie inside logits
  readonly dEmbed: Region | null; // (min(T B, V), E) training only: the touched embedding rows' gradient; may lie inside logits
  readonly dc: Region | null; // (B, H) LSTM training only
  readonly gh: Region | null; // (B, 3H) GRU only
  readonly logits: Region; // (R, V)
  readonly packedOut: Region | null; // linear.weight packed for step() (T = 1 inference only, where it fits)
  readonly packedIh: Region[]; // per layer, W_ih packed for step() (T = 1 inference only, where packedOut is)
  readonly logitsRows: number;
  /** True when lower layers' gates must be recomputed before their backward pass. */
  readonly recompute: boolean;
}

type Alloc = (name: string, length: number) => Region;
/** Floats of the packed output weights and of each layer's packed input weights. */
type PackedSizes = { out: number; ih: number[] };

/** `recompute` forces the choice (undefined decides by RECOMPUTE_ABOVE_BYTES); `packed` sizes the
 *  packed output and input weights that a step layout (T = 1, inference) keeps for generation. */
export function layoutActivations(arena: Arena, config: ModelConfig, T: number, B: number, training: boolean,
                                  recompute: boolean | undefined, packed: PackedSizes): Activations {
  arena.resetActivations();
  const canShare = training && config.numLayers > 1 && config.cell !== 'rnn';
  const lengthsOf = (shareGates: boolean, copies: PackedSizes | null = packed): number[] => {
    const lengths: number[] = [];
    plan(config, T, B, training, shareGates, copies, (name, length) => {
      lengths.push(length);
      return { name, kind: 'activations', ptr: 0, length };
    });
    return lengths;
  };
  let share = canShare && recompute === true;
  if (canShare && recompute === undefined) share = arena.endAfter(lengthsOf(false)) > RECOMPUTE_ABOVE_BYTES;
  // A model within a few hundred MiB of the limit can train but has no room for a packed copy of its
  // output weights (V x H floats): its steps then multiply by the weights as they lie, to the same logits.
  const copies = !training && T === 1 && arena.endAfter(lengthsOf(share)) > WASM32_MAX_BYTES ? null : packed;
  const what = training ? `RNNModel: the activations of a training batch of seqLen ${T} x batchSize ${B}`
    : T === 1 ? `RNNModel: the activations of a step over ${B} row(s) (as generation takes)`
      : `RNNModel: the activations of an evaluation batch of seqLen ${T} x batchSize ${B}`;
  const advice = T === 1 && !training
    ? 'Generate fewer rows at once (numBeams x numReturnSequences x prompts), or use a smaller model.'
    : `Lower seqLen or batchSize (the activations grow with seqLen x batchSize = ${T * B} tokens)` +
      (canShare && !share ? ', or leave recompute unset (true shares one set of gate buffers between layers)' : '') +
      ', or use a smaller model.';
  arena.requireRoom(lengthsOf(share, copies), what, advice);
  return plan(config, T, B, training, share, copies, (name, length) => arena.alloc(name, 'activations', length));
}

function plan(config: ModelConfig, T: number, B: number, training: boolean, shareGates: boolean,
              packed: PackedSizes | null, a: Alloc): Activations {
  const { cell, vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = config;
  const N = T * B;
  const gateWidth = cell === 'rnn' ? 0 : 4 * H;
  const cellWidth = cell === 'lstm' ? H : 0;
  const perLayer = (name: string, width: number): Region[] => {
    if (width === 0) return [];
    if (shareGates) {
      const r = a(name, N * width);
      return Array.from({ length: L }, () => r);
    }
    return Array.from({ length: L }, (_, l) => a(`${name}.l${l}`, N * width));
  };
  // A multiple of 8 rows keeps every 4-row register block of the head's products full, also when
  // two threads split the rows.
  const budgetRows = Math.floor(LOGITS_BUDGET_FLOATS / V);
  const logitsRows = T === 1 ? B : Math.min(N, budgetRows >= 8 ? budgetRows - (budgetRows % 8) : Math.max(1, budgetRows));
  const dWidth = Math.max(E, H);
  const stepLayout = !training && T === 1 && packed !== null;
  const ids = a('ids', N);
  const targets = a('targets', N);
  const x0 = a('x0', N * E);
  const h = Array.from({ length: L }, (_, l) => a(`h.l${l}`, N * H));
  const c = perLayer('c', cellWidth);
  const gates = perLayer('gates', gateWidth);
  const h0 = Array.from({ length: L }, (_, l) => a(`h0.l${l}`, B * H));
  const c0 = cell === 'lstm' ? Array.from({ length: L }, (_, l) => a(`c0.l${l}`, B * H)) : [];
  const dA = training ? a('dA', N * dWidth) : null;
  const logits = a('logits', logitsRows * V);
  // The logits are only used inside the head, before the layers' backward pass; dB (first written
  // by the top layer's backward) and the embedding's gradient (written after the last layer's,
  // read until the Adam update) fit in them when they are large enough.
  const inLogits = carve(logits, a);
  const dB = training ? inLogits('dB', N * dWidth) : null;
  const dEmbed = training ? inLogits('dEmbed', Math.min(N, V) * E) : null;
  return {
    key: `${training ? 'train' : 'infer'}:${T}x${B}`,
    T,
    B,
    ids,
    targets,
    x0,
    h,
    c,
    gates,
    h0,
    c0,
    dA,
    dB,
    dEmbed,
    dc: training && cell === 'lstm' ? a('dc', B * H) : null,
    gh: cell === 'gru' ? a('gh', B * 3 * H) : null,
    logits,
    packedOut: stepLayout ? a('packedOut', packed.out) : null,
    packedIh: stepLayout ? packed.ih.map((n, l) => a(`packedIh.l${l}`, n)) : [],
    logitsRows,
    recompute: shareGates,
  };
}

/** Regions placed one after another inside `host`, aligned as the arena aligns them, while they fit; else allocated. */
function carve(host: Region, a: Alloc): Alloc {
  let used = 0;
  return (name, length) => {
    if (used + length > host.length) return a(name, length);
    const region: Region = { name, kind: 'activations', ptr: host.ptr + used * 4, length };
    used = alignUp((used + length) * 4) / 4;
    return region;
  };
}
