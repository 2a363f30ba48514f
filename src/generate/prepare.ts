import { DEFAULT_MAX_LENGTH, type ResolvedOptions } from './options.js';

/** The prompts as a left-padded batch, and the length budget, as HF computes them. */
export interface PreparedBatch {
  /** Each prompt as given (no padding). */
  prompts: number[][];
  /** (B) rows of `paddedLength` ids, left-padded with the pad id. */
  ids: Int32Array[];
  /** (B) rows of `paddedLength`: 1 for a real token, 0 for padding. */
  mask: Uint8Array[];
  /** Length of the longest prompt: HF's input length, which `maxLength` counts. */
  paddedLength: number;
  /** New tokens allowed per row. */
  maxNewTokens: number;
  /** Fed to the source for rows that have finished; null when no row can finish early. */
  padTokenId: number | null;
}

function fail(message: string): never {
  throw new RangeError(`generate: ${message}`);
}

/** Checks the prompts against the vocabulary and options, and lays them out left-padded. */
export function prepareBatch(prompts: readonly (readonly number[])[], options: ResolvedOptions, vocabSize: number): PreparedBatch {
  if (!Array.isArray(prompts) || prompts.length === 0) {
    fail('prompts must be a non-empty array of token id arrays (one per prompt), e.g. [[464, 3290]]');
  }
  const copies = prompts.map((prompt, p) => {
    const list: unknown = prompt;
    if (!Array.isArray(list) && !(list instanceof Int32Array) && !(list instanceof Uint32Array)) {
      fail(`prompts[${p}] must be an array of token ids, got ${typeof list}`);
    }
    if (prompt.length === 0) fail(`prompts[${p}] is empty; a prompt needs at least one token (GPT-2: start with <|endoftext|>)`);
    const ids = Array.from(prompt as ArrayLike<number>);
    ids.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        fail(`prompts[${p}][${t}] = ${id} is not a token id in [0, ${vocabSize - 1}]`);
      }
    });
    return ids;
  });
  const paddedLength = Math.max(...copies.map((ids) => ids.length));
  let maxNewTokens: number;
  if (options.maxNewTokens !== null) {
    maxNewTokens = options.maxNewTokens;
  } else {
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (paddedLength >= maxLength) {
      fail(`the prompt has ${paddedLength} tokens, at or over maxLength=${maxLength} (which counts the prompt); raise maxLength or give maxNewTokens`);
    }
    maxNewTokens = maxLength - paddedLength;
  }
  if (options.minNewTokens > maxNewTokens) {
    fail(`minNewTokens (${options.minNewTokens}) exceeds the ${maxNewTokens} new tokens that the length limit allows`);
  }
  const padTokenId = options.padTokenId ?? options.eosTokenIds[0] ?? null;
  const ragged = copies.some((ids) => ids.length !== paddedLength);
  if (padTokenId === null && (ragged || options.stoppingCriteria)) {
    const why = ragged ? 'prompts of different lengths are left-padded' : 'rows stopped by stoppingCriteria are fed padding';
    fail(`padTokenId is required: ${why}, and there is no eosTokenId to default to`);
  }
  const ids = copies.map((prompt) => {
    const row = new Int32Array(paddedLength).fill(padTokenId ?? 0);
    row.set(prompt, paddedLength - prompt.length);
    return row;
  });
  const mask = copies.map((prompt) => {
    const row = new Uint8Array(paddedLength);
    row.fill(1, paddedLength - prompt.length);
    return row;
  });
  return { prompts: copies, ids, mask, paddedLength, maxNewTokens, padTokenId };
}
