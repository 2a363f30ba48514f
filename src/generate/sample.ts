import type { Random } from '../util/random.js';
import { exp64, log64 } from './math.js';

function noTokenLeft(row: number): never {
  throw new RangeError(`generate: every token of row ${row} has score -Infinity or NaN (banned by noRepeatNgramSize, badWordsIds or minNewTokens?); loosen those options or check the model's logits`);
}

/**
 * The softmax's normalizer of scores (V): the maximum and the float64 sum of exp(score - max) in index
 * order. `total` is 0 when every score is -Infinity.
 */
export function softmaxNormalizer(scores: Float32Array): { max: number; total: number } {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  let total = 0;
  if (max === -Infinity || max !== max) return { max, total };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s !== -Infinity) total += exp64(s - max);
  }
  return { max, total };
}

function normalizerOrFail(scores: Float32Array, row: number): { max: number; total: number } {
  const result = softmaxNormalizer(scores);
  if (result.max === -Infinity || result.max !== result.max) noTokenLeft(row);
  return result;
}

/** Index of the highest score; the first one among equals, as torch.argmax. */
export function argmax(scores: Float32Array, row: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! > bestValue) {
      bestValue = scores[i]!;
      best = i;
    }
  }
  if (best < 0) noTokenLeft(row);
  return best;
}

/**
 * Draws a token from softmax(scores) with one uniform number. The probabilities are float64 from
 * `exp64`, accumulated in index order, so the same generator state picks the same token in every runtime.
 */
export function sampleToken(scores: Float32Array, random: Random, row: number): number {
  const { max, total } = normalizerOrFail(scores, row);
  const target = random.uniform() * total;
  let sum = 0;
  let last = -1;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === -Infinity) continue;
    const w = exp64(s - max);
    if (w === 0) continue;
    sum += w;
    last = i;
    if (sum > target) return i;
  }
  return last;
}

/** Replaces scores (V) by their log-softmax, computed in float64. */
export function logSoftmax(scores: Float32Array, row: number): void {
  const { max, total } = normalizerOrFail(scores, row);
  const shift = max + log64(total);
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! - shift;
}
