import { RowChain } from './chain.js';
import { checkStep, prefillRepeated } from './decode.js';
import type { LogitsSource } from './engine.js';
import type { FinishReason, GenerateResult, ResolvedOptions } from './options.js';
import type { PreparedBatch } from './prepare.js';
import { logSoftmax } from './sample.js';
import { topIndices } from './select.js';

/**
 * Beam search with the semantics of Hugging Face's `_beam_search` (transformers >= 4.50, which keeps the
 * behaviour of its former BeamSearchScorer): per prompt, `numBeams` running beams and `numBeams` slots for
 * finished hypotheses.
 * - Each step, a running beam's scores are log_softmax(logits) and then the processors; its candidates
 *   score running score + log prob. The best max(2, 1 + #EOS) * numBeams candidates are considered.
 * - A candidate "hits" when its token is an EOS id or the sequence reaches the length limit. Among the
 *   candidates ranked in the first numBeams, hits become finished hypotheses with score
 *   sum_logprobs / new_tokens ** lengthPenalty, where new_tokens counts the generated tokens including the
 *   EOS (HF divides by cur_len + 1 - prompt_len; the prompt is not counted). The finished slots keep the
 *   best numBeams of old and new.
 * - The best numBeams candidates that did not hit continue running.
 * - A prompt is done when all its slots are finished and the best running score, divided by
 *   new_tokens ** lengthPenalty (by the maximum new tokens for earlyStopping 'never' with lengthPenalty > 0),
 *   cannot beat the worst finished one; with earlyStopping true, as soon as all slots are finished.
 * Scores are rounded to float32 at the points where HF's float32 tensors round them. Ties between equal
 * scores go to the lower index (earlier beam, lower token id, older finished slot).
 */

const NEG = -1e9; // HF's "never pick this" offset

interface Beam {
  ids: number[];
  chain: RowChain;
  score: number;
}

interface Slot {
  ids: number[] | null;
  score: number;
  reason: FinishReason | null;
}

interface Prompt {
  running: Beam[];
  slots: Slot[];
  done: boolean;
}

const f32 = Math.fround;

function allFinished(prompt: Prompt): boolean {
  return prompt.slots.every((slot) => slot.reason !== null);
}

/** HF's early-stop heuristic: true while the best running beam could still beat a finished slot. */
function canImprove(prompt: Prompt, newTokens: number, maxNewTokens: number, options: ResolvedOptions): boolean {
  const lp = options.lengthPenalty;
  const length = options.earlyStopping === 'never' && lp > 0 ? maxNewTokens : newTokens;
  const best = f32(prompt.running[0]!.score / f32(length ** lp));
  const worst = Math.min(...prompt.slots.map((slot) => slot.score));
  return prompt.slots.some((slot) => best > (slot.reason !== null ? worst : NEG));
}

export async function beamSearch(source: LogitsSource, batch: PreparedBatch, options: ResolvedOptions): Promise<GenerateResult> {
  const vocabSize = source.vocabSize;
  const numBeams = options.numBeams;
  const eos = options.eosTokenIds;
  const toKeep = Math.max(2, 1 + eos.length) * numBeams;
  const startChain = RowChain.builder(options, vocabSize);
  const prompts: Prompt[] = batch.prompts.map((prompt) => ({
    running: Array.from({ length: numBeams }, (_, j) => ({ ids: prompt.slice(), chain: startChain(prompt), score: j === 0 ? 0 : NEG })),
    slots: Array.from({ length: numBeams }, () => ({ ids: null, score: NEG, reason: null })),
    done: false,
  }));
  options.signal?.throwIfAborted();
  let logits = await prefillRepeated(source, batch, numBeams); // (B * numBeams, V)
  const combined = new Float64Array(numBeams * vocabSize); // (numBeams * V) running score + log prob
  // The prompts still searching, in batch order: prompt active[a] owns rows a * numBeams .. + numBeams.
  // A prompt that is done leaves the batch (select), so the source no longer computes its rows.
  let active = prompts.slice();
  for (let step = 0; ; step++) {
    options.signal?.throwIfAborted();
    const atLimit = step + 1 >= batch.maxNewTokens;
    const parents: number[][] = active.map((prompt, a) => {
      const base = a * numBeams;
      prompt.running.forEach((beam, j) => {
        const scores = logits.subarray((base + j) * vocabSize, (base + j + 1) * vocabSize);
        logSoftmax(scores, base + j);
        beam.chain.apply(scores, { ids: beam.ids, newTokens: step });
        for (let v = 0; v < vocabSize; v++) combined[j * vocabSize + v] = f32(beam.score + scores[v]!);
      });
      const top = topIndices(combined, toKeep);
      const candidates = Array.from(top, (flat, rank) => {
        const parent = Math.floor(flat / vocabSize);
        const token = flat - parent * vocabSize;
        const hitEos = eos.includes(token);
        return { parent, token, score: combined[flat]!, hit: hitEos || atLimit, reason: (hitEos ? 'eos' : 'length') as FinishReason, rank };
      });
      const runningScores = candidates.map((c) => (c.hit ? f32(c.score + NEG) : c.score));
      const next = topIndices(runningScores, numBeams);
      const frozen = options.earlyStopping === true && allFinished(prompt);
      const divisor = f32((step + 1) ** options.lengthPenalty);
      const finishedScores = candidates.map((c) => {
        let s = f32(c.score / divisor);
        if (frozen) s = f32(s + NEG);
        if (!(c.hit && c.rank < numBeams)) s = f32(s + NEG);
        return s;
      });
      const merged = [...prompt.slots.map((slot) => slot.score), ...finishedScores];
      const best = topIndices(merged, numBeams);
      prompt.slots = Array.from(best, (m) => {
        if (m < numBeams) return prompt.slots[m]!;
        const c = candidates[m - numBeams]!;
        const finished = c.hit && c.rank < numBeams;
        return {
          ids: [...prompt.running[c.parent]!.ids, c.token],
          score: merged[m]!,
          reason: finished ? c.reason : null,
        };
      });
      // The last child of a parent takes over its chain; earlier children fork it before it changes.
      const children = new Int32Array(numBeams); // (numBeams) children of each running beam
      for (const k of next) children[candidates[k]!.parent]!++;
      prompt.running = Array.from(next, (k) => {
        const c = candidates[k]!;
        const parent = prompt.running[c.parent]!;
        const chain = --children[c.parent]! === 0 ? parent.chain : parent.chain.fork();
        chain.push(c.token);
        return { ids: [...parent.ids, c.token], chain, score: runningScores[k]! };
      });
      if (!canImprove(prompt, step + 1, batch.maxNewTokens, options)) prompt.done = true;
      return Array.from(next, (k) => base + candidates[k]!.parent);
    });
    const stop = atLimit || prompts.every((p) => p.done || (options.earlyStopping === true && allFinished(p)));
    if (stop) break;
    const staying = active.flatMap((prompt, a) => (prompt.done ? [] : [a]));
    const index = Int32Array.from(staying.flatMap((a) => parents[a]!)); // (B' * numBeams) parent row of each next row
    const tokens = Int32Array.from(staying.flatMap((a) => active[a]!.running.map((beam) => beam.ids.at(-1)!))); // (B' * numBeams)
    active = staying.map((a) => active[a]!);
    source.select(index);
    options.signal?.throwIfAborted();
    logits = checkStep(await source.next(tokens), index.length, vocabSize);
  }
  const keep = options.numReturnSequences;
  const chosen = prompts.flatMap((prompt, b) => prompt.slots.slice(0, keep).map((slot) => {
    if (slot.ids === null || slot.reason === null) {
      throw new RangeError(`generate: beam search found fewer than ${keep} finished hypotheses for prompt ${b}: too many tokens are banned (noRepeatNgramSize, badWordsIds?) to fill ${options.numBeams} beams`);
    }
    return { ids: slot.ids, score: slot.score, reason: slot.reason, promptLength: batch.prompts[b]!.length };
  }));
  return {
    sequences: chosen.map((c) => c.ids),
    newTokens: chosen.map((c) => c.ids.slice(c.promptLength)),
    finishReasons: chosen.map((c) => c.reason),
    sequenceScores: chosen.map((c) => c.score),
  };
}
