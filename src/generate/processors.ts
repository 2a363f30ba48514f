/**
 * Logits processors that ban or penalize tokens, each a small function that edits one row of scores
 * (V) in place. They see the row's real ids only: left padding is never part of `ids`.
 *
 * Parity note: Hugging Face passes the padded input_ids to its processors, so in a left-padded batch the
 * pad id counts as "already present" (repetition penalty) and pad-containing n-grams exist. Leaving the
 * padding out makes a batched prompt generate exactly what it generates alone.
 */

/** One row as the processors see it. */
export interface RowView {
  /** The prompt without padding, followed by the tokens generated so far. */
  readonly ids: readonly number[];
  /** How many of `ids` were generated. */
  readonly newTokens: number;
}

/** Edits the scores (V) of one row in place. */
export type LogitsProcessor = (scores: Float32Array, row: RowView) => void;

/**
 * HF's RepetitionPenaltyLogitsProcessor: every distinct token present in the row, prompt included, has its
 * score divided by `penalty` when positive and multiplied by it when negative (once, however often it occurs).
 */
export function repetitionPenalty(penalty: number, vocabSize: number): LogitsProcessor {
  const stamp = new Uint32Array(vocabSize); // (V) call number that last penalized each token
  let call = 0;
  return (scores, row) => {
    call = (call + 1) >>> 0;
    if (call === 0) {
      stamp.fill(0);
      call = 1;
    }
    for (const id of row.ids) {
      if (stamp[id] === call) continue;
      stamp[id] = call;
      const s = scores[id]!;
      scores[id] = s < 0 ? s * penalty : s / penalty;
    }
  };
}

/**
 * HF's NoRepeatNGramLogitsProcessor: bans every token that, after the row's last n-1 tokens, would
 * complete an n-gram that already occurs in the row (n-grams spanning the prompt boundary included).
 */
export function noRepeatNgram(n: number): LogitsProcessor {
  return (scores, row) => {
    const ids = row.ids;
    const length = ids.length;
    if (length + 1 < n) return;
    const start = length - (n - 1); // the prefix the next token would extend
    for (let i = 0; i + n <= length; i++) {
      let match = true;
      for (let j = 0; j < n - 1; j++) {
        if (ids[i + j] !== ids[start + j]) {
          match = false;
          break;
        }
      }
      if (match) scores[ids[i + n - 1]!] = -Infinity;
    }
  };
}

/**
 * HF's NoBadWordsLogitsProcessor: a one-token entry is always banned; a longer entry bans its last token
 * when the row ends with the entry's other tokens.
 *
 * Parity note: as in HF, a one-token entry equal to an EOS id is dropped (use minNewTokens to delay EOS).
 */
export function badWords(sequences: readonly (readonly number[])[], eosTokenIds: readonly number[]): LogitsProcessor {
  const kept = sequences.filter((seq) => !(seq.length === 1 && eosTokenIds.includes(seq[0]!)));
  const always = kept.filter((seq) => seq.length === 1).map((seq) => seq[0]!);
  const prefixed = kept.filter((seq) => seq.length > 1);
  return (scores, row) => {
    for (const id of always) scores[id] = -Infinity;
    const ids = row.ids;
    for (const seq of prefixed) {
      const prefix = seq.length - 1;
      if (prefix > ids.length) continue;
      let match = true;
      for (let j = 0; j < prefix; j++) {
        if (ids[ids.length - prefix + j] !== seq[j]) {
          match = false;
          break;
        }
      }
      if (match) scores[seq[prefix]!] = -Infinity;
    }
  };
}

/** HF's MinNewTokensLengthLogitsProcessor: EOS ids are banned until `minNewTokens` tokens were generated. */
export function minNewTokens(min: number, eosTokenIds: readonly number[]): LogitsProcessor {
  return (scores, row) => {
    if (row.newTokens >= min) return;
    for (const id of eosTokenIds) scores[id] = -Infinity;
  };
}
