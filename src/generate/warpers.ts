import type { LogitsProcessor } from './processors.js';
import { softmaxWeights, type SoftmaxWeights } from './sample.js';

/** HF's TemperatureLogitsWarper: scores / temperature. */
export function temperature(t: number): LogitsProcessor {
  return (scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / t;
  };
}

/**
 * The value at `target` of `values` sorted ascending, found by partitioning a copy around a pivot (three
 * ways, so that a row full of -Infinity partitions at once) and keeping the part that holds the target:
 * O(n) on average where a sort is O(n log n). The values must not be NaN.
 */
function select(values: Float32Array, target: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    // a[lo..lt) < pivot, a[lt..i) === pivot, a(gt..hi] > pivot
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) {
        a[i++] = a[lt]!;
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else {
        i++;
      }
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[target]!;
}

/**
 * The k-th highest of `values` counting repeats (torch.topk(values, k).values[k - 1]), for 1 <= k <= n.
 * A small k keeps a sorted buffer that most values fail to enter with a single comparison; a large k
 * selects it from a copy. A NaN sorts above every number, as in a typed array's sort.
 */
function kthLargest(values: Float32Array, k: number): number {
  if (k > 256) return values.includes(NaN) ? values.slice().sort()[values.length - k]! : select(values, values.length - k);
  const best = new Float64Array(k).fill(-Infinity); // (k) descending
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (count === k && !(v > best[k - 1]!)) continue;
    let j = count < k ? count++ : k - 1;
    while (j > 0 && best[j - 1]! < v) {
      best[j] = best[j - 1]!;
      j--;
    }
    best[j] = v;
  }
  return best[k - 1]!;
}

/**
 * HF's TopKLogitsWarper: every score below the k-th highest becomes -Infinity; scores equal to the k-th
 * highest are all kept (so ties can keep more than k). k >= V keeps everything.
 */
export function topK(k: number): LogitsProcessor {
  return (scores) => {
    if (k >= scores.length) return;
    const threshold = kthLargest(scores, k);
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! < threshold) scores[i] = -Infinity;
    }
  };
}

/** Resolution of the histogram top-p uses to find its candidates: 1/32 of a logit unit, 32 units deep. */
const BUCKETS = 1024;
const BUCKETS_PER_UNIT = 32;

/**
 * The tokens of positive weight whose score is within `depth` buckets of the maximum, in the order of a
 * stable ascending sort read from the top: score descending, the higher index first among equals.
 */
function candidatesDownTo(scores: Float32Array, weights: SoftmaxWeights, depth: number): Int32Array {
  const picked: number[] = [];
  for (const i of weights.support) {
    if (weights.weights[i] === 0) continue;
    if (depth >= BUCKETS - 1 || (weights.max - scores[i]!) * BUCKETS_PER_UNIT < depth + 1) picked.push(i);
  }
  if (scores.length > INDEX_LIMIT) return Int32Array.from(picked).sort((a, b) => (scores[b]! - scores[a]!) || (b - a));
  return byScoreDescending(scores, picked);
}

/** Indices below this fit under a float32's 32 order bits in one exact float64 sort key. */
const INDEX_LIMIT = 2 ** 21;

/**
 * `indices` sorted by score descending, the higher index first among equal scores, through the native
 * sort of one float64 key per index (a comparator sort is several times slower): the float32 score's
 * bits mapped to an unsigned order, times INDEX_LIMIT, plus the index; read backwards.
 */
function byScoreDescending(scores: Float32Array, indices: readonly number[]): Int32Array {
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, scores.length);
  const keys = new Float64Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    const b = bits[i]!;
    // Negative floats order by reversed magnitude, positive ones above them; -0 counts as +0.
    const order = b >= 0x80000000 && b !== 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    keys[j] = order * INDEX_LIMIT + i;
  }
  keys.sort();
  const sorted = new Int32Array(indices.length);
  for (let j = 0; j < keys.length; j++) sorted[keys.length - 1 - j] = keys[j]! % INDEX_LIMIT;
  return sorted;
}

/**
 * HF's TopPLogitsWarper with min_tokens_to_keep = 1. HF sorts ascending, takes the softmax's cumulative
 * sum and removes every token whose cumulative probability is <= 1 - topP. Walking the same order from
 * the top, a token survives exactly when the probability mass ranked above it is still < topP: that is
 * what is computed here. Only the tokens near the top are sorted: a histogram of the weights by distance
 * below the maximum tells how deep the walk can go (one bucket of slack covers summation-order rounding;
 * if it does not, the walk is redone over every token).
 *
 * Parity note: probabilities are float64 from `exp64` (HF: float32 softmax and cumsum), so a token whose
 * cumulative mass lies within float32 rounding of the boundary can be decided differently. HF's sort is
 * not stable (torch's CPU sort may order equal scores either way), so when tied tokens straddle the
 * boundary HF keeps an unspecified one of them; here the higher index is kept, as a stable sort would.
 */
export function topP(p: number): LogitsProcessor {
  // HF leaves the warper out at 1; walking would risk dropping the tail to summation rounding.
  if (p >= 1) return () => undefined;
  return (scores) => {
    const softmax = softmaxWeights(scores);
    const { max, total, weights } = softmax;
    if (!(total > 0)) return;
    const target = p * total;
    const mass = new Float64Array(BUCKETS); // (BUCKETS) weight per distance-below-max bucket
    for (const i of softmax.support) {
      mass[Math.min(BUCKETS - 1, Math.floor((max - scores[i]!) * BUCKETS_PER_UNIT))] += weights[i]!;
    }
    let depth = 0;
    for (let cumulative = mass[0]!; cumulative < target && depth < BUCKETS - 1; cumulative += mass[++depth]!);
    for (depth = Math.min(depth + 1, BUCKETS - 1); ; depth = BUCKETS - 1) {
      const order = candidatesDownTo(scores, softmax, depth);
      let above = 0;
      let keep = -1;
      for (let r = 0; r < order.length; r++) {
        if (above >= target) {
          keep = r;
          break;
        }
        above += weights[order[r]!]!;
      }
      if (keep < 0 && depth < BUCKETS - 1) continue;
      if (keep < 0) return;
      const kept = new Float32Array(keep); // (keep) scores of the survivors, in `order`
      for (let r = 0; r < keep; r++) kept[r] = scores[order[r]!]!;
      scores.fill(-Infinity);
      for (let r = 0; r < keep; r++) scores[order[r]!] = kept[r]!;
      return;
    }
  };
}
