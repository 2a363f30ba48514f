/**
 * Where one call's activations live in the model's arena, for a given (T, B) and purpose.
 * Training keeps per-layer gates (and LSTM cells) unless they would take more than
 * RECOMPUTE_ABOVE_BYTES; then all layers share one set and the backward pass re-runs a lower
 * layer's forward to refill it (bit-identical, since the same kernels see the same inputs).
 */
import type { Arena, Region } from '../wasm/arena.js';
import type { ModelConfig } from './layout.js';

/** Above this, per-layer gate storage gives way to recomputation. */
export const RECOMPUTE_ABOVE_BYTES = 32 * 2 ** 20;
/** Rows of logits materialized at once are capped so that they hold at most this many floats
 *  (16 MiB). Every chunk of rows repacks the output weights twice and rewrites their gradient, so
 *  fewer, larger chunks are faster: on vocab 30000 136 rows train the head 2-4% faster than 64;
 *  the budget is what config L's LSTM still fits in 512 MiB with. */
export const LOGITS_BUDGET_FLOATS = 4 * 2 ** 20;

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
  readonly dB: Region | null; // (T, B, max(E, H)) training only
  readonly dc: Region | null; // (B, H) LSTM training only
  readonly gh: Region | null; // (B, 3H) GRU only
  readonly logits: Region; // (R, V)
  readonly packedOut: Region | null; // linear.weight packed for step() (T = 1 inference only)
  readonly packedIh: Region[]; // per layer, W_ih packed for step() (T = 1 inference only)
  readonly logitsRows: number;
  /** True when lower layers' gates must be recomputed before their backward pass. */
  readonly recompute: boolean;
}

/** `recompute` forces the choice (undefined decides by RECOMPUTE_ABOVE_BYTES); `packed` sizes the
 *  packed output and input weights that a step layout (T = 1, inference) keeps for generation. */
export function layoutActivations(arena: Arena, config: ModelConfig, T: number, B: number, training: boolean,
                                  recompute: boolean | undefined, packed: { out: number; ih: number[] }): Activations {
  const { cell, vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = config;
  arena.resetActivations();
  const N = T * B;
  const a = (name: string, length: number) => arena.alloc(name, 'activations', length);
  const gateWidth = cell === 'rnn' ? 0 : 4 * H;
  const cellWidth = cell === 'lstm' ? H : 0;
  const shareGates = training && L > 1 && gateWidth > 0 &&
    (recompute ?? L * N * (gateWidth + cellWidth) * 4 > RECOMPUTE_ABOVE_BYTES);
  const perLayer = training && !shareGates;
  const shared = (name: string, width: number): Region[] => {
    if (width === 0) return [];
    if (!perLayer) {
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
  const stepLayout = !training && T === 1;
  return {
    key: `${training ? 'train' : 'infer'}:${T}x${B}`,
    T,
    B,
    ids: a('ids', N),
    targets: a('targets', N),
    x0: a('x0', N * E),
    h: Array.from({ length: L }, (_, l) => a(`h.l${l}`, N * H)),
    c: shared('c', cellWidth),
    gates: shared('gates', gateWidth),
    h0: Array.from({ length: L }, (_, l) => a(`h0.l${l}`, B * H)),
    c0: cell === 'lstm' ? Array.from({ length: L }, (_, l) => a(`c0.l${l}`, B * H)) : [],
    dA: training ? a('dA', N * dWidth) : null,
    dB: training ? a('dB', N * dWidth) : null,
    dc: training && cell === 'lstm' ? a('dc', B * H) : null,
    gh: cell === 'gru' ? a('gh', B * 3 * H) : null,
    logits: a('logits', logitsRows * V),
    packedOut: stepLayout ? a('packedOut', packed.out) : null,
    packedIh: stepLayout ? packed.ih.map((n, l) => a(`packedIh.l${l}`, n)) : [],
    logitsRows,
    recompute: shareGates,
  };
}
