import { exp64 } from './math.js';
import type { LogitsProcessor } from './processors.js';
import { softmaxNormalizer } from './sample.js';
import { topIndices } from './select.js';

/** HF's TemperatureLogitsWarper: scores / temperature. */
export function temperature(t: number): LogitsProcessor {
  return (scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / t;
  };
}

/**
 * HF's TopKLogitsWarper: every score below the k-th highest becomes -Infinity; scores equal to the k-th
 * highest are all kept (so ties can keep more than k). k >= V keeps everything.
 */
export function topK(k: number): LogitsProcessor {
  return (scores) => {
    if (k >= scores.length) return;
    const order = topIndices(scores, k, 'low');
    const threshold = scores[order[k - 1]!]!;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! < threshold) scores[i] = -Infinity;
    }
  };
}

/** How many leading candidates top-p looks at before widening the search. */
const TOP_P_FIRST_WINDOW = 64;

/**
 * HF's TopPLogitsWarper with min_tokens_to_keep = 1. HF sorts ascending (stably, so among equal scores
 * the lower index comes first), takes the softmax's cumulative sum and removes every token whose
 * cumulative probability is <= 1 - topP. Walking the same order from the top, a token survives exactly
 * when the probability mass ranked above it is still < topP: that is what is computed here, over a
 * growing window of the best tokens instead of a sort of the whole vocabulary.
 *
 * Parity note: probabilities are float64 from `exp64` (HF: float32 softmax and cumsum), so a token whose
 * cumulative mass lies within float32 rounding of the boundary can be decided differently. HF's sort is
 * not stable (torch's CPU sort may order equal scores either way), so when tied tokens straddle the
 * boundary HF keeps an unspecified one of them; here the higher index is kept, as a stable sort would.
 */
export function topP(p: number): LogitsProcessor {
  return (scores) => {
    const n = scores.length;
    const { max, total } = softmaxNormalizer(scores);
    if (total === 0) return;
    const target = p * total;
    let window = Math.min(TOP_P_FIRST_WINDOW, n);
    for (;;) {
      const order = topIndices(scores, window, 'high');
      let above = 0;
      let keep = -1;
      for (let r = 0; r < order.length; r++) {
        if (above >= target) {
          keep = r;
          break;
        }
        above += exp64(scores[order[r]!]! - max);
      }
      if (keep < 0 && window < n) {
        window = Math.min(window * 4, n);
        continue;
      }
      if (keep < 0) return;
      const kept = new Float32Array(keep); // (keep) scores of the survivors, in `order`
      for (let r = 0; r < keep; r++) kept[r] = scores[order[r]!]!;
      scores.fill(-Infinity);
      for (let r = 0; r < keep; r++) scores[order[r]!] = kept[r]!;
      return;
    }
  };
}
