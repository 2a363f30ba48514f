import type { Random } from '../util/random.js';
import { exp64, log64 } from './math.js';

/** Thrown when no token of a row can be chosen; a caller that knows which options it set can say which did it. */
export class NoTokenLeftError extends RangeError {
  constructor(readonly row: number) {
    super(`generate: every token of row ${row} has score -Infinity or NaN (banned by noRepeatNgramSize, badWordsIds or minNewTokens?); loosen those options or check the model's logits`);
  }
}

function noTokenLeft(row: number): never {
  throw new NoTokenLeftError(row);
}

/** Unnormalized probabilities of the softmax, see softmaxWeights. */
export interface SoftmaxWeights {
  /** The highest score (-Infinity when all are, NaN when the scores hold a NaN). */
  max: number;
  /** float64 sum of the weights in index order; 0 when every score is -Infinity. */
  total: number;
  /** (V) exp(score - max) in float64 at the indices in `support` (other entries are stale). */
  weights: Float64Array;
  /** (count) ascending indices of the scores that are not -Infinity. */
  support: Int32Array;
}

let weightBuffer = /* @__PURE__ */ new Float64Array(0);
let supportBuffer = /* @__PURE__ */ new Int32Array(0);

/**
 * exp(score - max) for every score that is not -Infinity, from `exp64` (so the same scores give the same
 * bits in every runtime), and their sum in index order. The arrays are shared buffers, valid until the
 * next call: after top-k most of a row is -Infinity, and the support list lets the callers skip it.
 */
export function softmaxWeights(scores: Float32Array): SoftmaxWeights {
  const n = scores.length;
  if (weightBuffer.length < n) {
    weightBuffer = new Float64Array(n);
    supportBuffer = new Int32Array(n);
  }
  const weights = weightBuffer;
  let max = -Infinity;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s === -Infinity) continue;
    if (!(s <= max)) {
      if (s !== s) return { max: NaN, total: 0, weights, support: supportBuffer.subarray(0, 0) };
      max = s;
    }
    supportBuffer[count++] = i;
  }
  const support = supportBuffer.subarray(0, count);
  let total = 0;
  for (let j = 0; j < count; j++) {
    const i = support[j]!;
    const w = exp64(scores[i]! - max);
    weights[i] = w;
    total += w;
  }
  return { max, total, weights, support };
}

function weightsOrFail(scores: Float32Array, row: number): SoftmaxWeights {
  const result = softmaxWeights(scores);
  if (!(result.total > 0)) noTokenLeft(row);
  return result;
}

/** Index of the highest score; the first one among equals, as torch.argmax. */
export function argmax(scores: Float32Array, row: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s > bestValue) {
      bestValue = s;
      best = i;
    }
  }
  if (best < 0) noTokenLeft(row);
  return best;
}

/**
 * Draws a token from softmax(scores) with one uniform number: the first token whose cumulative weight
 * (float64, index order) exceeds uniform * total. The same generator state picks the same token in every
 * runtime.
 */
export function sampleToken(scores: Float32Array, random: Random, row: number): number {
  const { total, weights, support } = weightsOrFail(scores, row);
  const target = random.uniform() * total;
  let sum = 0;
  let last = -1;
  for (let j = 0; j < support.length; j++) {
    const i = support[j]!;
    const w = weights[i]!;
    if (w === 0) continue;
    sum += w;
    last = i;
    if (sum > target) return i;
  }
  return last;
}

/** Replaces scores (V) by their log-softmax, computed in float64. */
export function logSoftmax(scores: Float32Array, row: number): void {
  const { max, total } = weightsOrFail(scores, row);
  const shift = max + log64(total);
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! - shift;
}
