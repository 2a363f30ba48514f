import { checkOptionKeys, optionKeys } from '../util/options.js';
import { optionValue } from '../util/arguments.js';
import { isSeed, Random, SEED_RANGE } from '../util/random.js';

/**
 * Options of `generate()`, camelCase versions of Hugging Face's `GenerationConfig` fields with the same
 * meaning and defaults. Use `fromHuggingFace()` to turn a snake_case `generation_config.json` into this.
 * Every key is checked: an unknown key, a value out of range, or an option that has no effect in the
 * chosen mode (e.g. `temperature` without `doSample`) is an error, never silently ignored.
 */
export interface GenerateOptions {
  /** Total length of prompt + new tokens (the longest prompt in a batch). Default 20, as HF. */
  maxLength?: number | undefined;
  /** New tokens to generate at most; wins over `maxLength` when both are given. */
  maxNewTokens?: number | undefined;
  /** EOS is banned until this many new tokens exist (needs `eosTokenId`). Default 0. */
  minNewTokens?: number | undefined;
  /** Sample instead of greedy/beam search. Default false. */
  doSample?: boolean | undefined;
  /** Sampling only: logits are divided by it. > 0, default 1. */
  temperature?: number | undefined;
  /** Sampling only: keep the k highest logits (ties at the k-th value kept); 0 disables. Default 50, as HF. */
  topK?: number | undefined;
  /** Sampling only: keep the smallest set of tokens whose probability reaches topP. In (0, 1], default 1. */
  topP?: number | undefined;
  /** > 0; 1 disables. Divides positive / multiplies negative scores of every token already in the row. */
  repetitionPenalty?: number | undefined;
  /** Bans any token that would repeat an n-gram of this size already in the row (prompt included). 0 disables. */
  noRepeatNgramSize?: number | undefined;
  /** Token sequences that must never be generated; a one-token entry bans that token everywhere. */
  badWordsIds?: readonly (readonly number[])[] | undefined;
  /** Beam search when > 1 (without sampling). Default 1. */
  numBeams?: number | undefined;
  /** Beam search only: finished beams score sum_logprobs / generated_length ** lengthPenalty. Default 1. */
  lengthPenalty?: number | undefined;
  /** Beam search only: true, false (heuristic) or 'never', as HF. Default false. */
  earlyStopping?: boolean | 'never' | undefined;
  /** Sequences returned per prompt (sampling: independent samples; beam search: best beams). Default 1. */
  numReturnSequences?: number | undefined;
  /** Token(s) that end a row. */
  eosTokenId?: number | readonly number[] | undefined;
  /** Fills left padding and the steps after a row ended; defaults to the first EOS id. */
  padTokenId?: number | undefined;
  /**
   * Seed of the sampler (an integer); the same seed gives the same ids in every runtime. Without `seed`
   * or `random`, each call samples from a fresh random seed. Accepted (and unused) when not sampling.
   */
  seed?: number | undefined;
  /** A generator to draw from instead of `seed` (so consecutive calls continue one stream). */
  random?: Random | undefined;
  /** Aborting stops at the next step boundary and rejects with `signal.reason` (an AbortError). */
  signal?: AbortSignal | undefined;
  /** Called for every new token of a row that has not finished, in order (not with beam search). */
  onToken?: ((row: number, token: number) => void) | undefined;
  /**
   * Called after each new token with the row's ids (prompt + new tokens, no padding); returning true ends
   * the row there (finish reason 'stop'). Not with beam search.
   */
  stoppingCriteria?: ((ids: readonly number[], row: number) => boolean) | undefined;
}

/** Why a returned row ended. */
export type FinishReason = 'eos' | 'length' | 'stop';

/**
 * What `generate()` returns. Row `p * numReturnSequences + j` is the j-th sequence of prompt p (HF's order).
 * - `sequences[r]`: prompt (without left padding) + new tokens, including the EOS that ended it, with no
 *   padding after it.
 * - `newTokens[r]`: the new tokens alone (the tail of `sequences[r]`).
 * - `finishReasons[r]`: 'eos' (ended by an EOS id), 'length' (max length reached), 'stop' (stoppingCriteria).
 * - `sequenceScores` (beam search only): HF's `sequences_scores`, the length-penalized sum of log
 *   probabilities of each returned beam.
 */
export interface GenerateResult {
  /** Per returned row: the prompt (without left padding) and the new tokens, the ending EOS included. */
  sequences: number[][];
  /** Per returned row: the new tokens alone. */
  newTokens: number[][];
  /** Per returned row: 'eos', 'length' or 'stop'. */
  finishReasons: FinishReason[];
  /** Beam search only: the length-penalized sum of log probabilities of each returned beam. */
  sequenceScores?: number[];
}

/** Options after validation, with HF defaults filled in. */
export interface ResolvedOptions {
  maxLength: number | null;
  maxNewTokens: number | null;
  minNewTokens: number;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  badWordsIds: number[][];
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
  numReturnSequences: number;
  eosTokenIds: number[];
  padTokenId: number | null;
  random: Random | null;
  signal: AbortSignal | null;
  onToken: ((row: number, token: number) => void) | null;
  stoppingCriteria: ((ids: readonly number[], row: number) => boolean) | null;
}

/** HF's default length when neither maxLength nor maxNewTokens is given. */
export const DEFAULT_MAX_LENGTH = 20;

const GENERATE_OPTION_KEYS = optionKeys<GenerateOptions>({
  maxLength: true, maxNewTokens: true, minNewTokens: true, doSample: true, temperature: true, topK: true, topP: true,
  repetitionPenalty: true, noRepeatNgramSize: true, badWordsIds: true, numBeams: true, lengthPenalty: true,
  earlyStopping: true, numReturnSequences: true, eosTokenId: true, padTokenId: true, seed: true, random: true,
  signal: true, onToken: true, stoppingCriteria: true,
});

/** Options that only mean something when sampling, with their neutral values. */
const SAMPLING_ONLY: readonly ['temperature' | 'topK' | 'topP', number][] = [
  ['temperature', 1], ['topK', 50], ['topP', 1],
];

/** Options that only mean something in beam search, with their neutral values. */
const BEAM_ONLY: readonly ['lengthPenalty' | 'earlyStopping', number | boolean][] = [
  ['lengthPenalty', 1], ['earlyStopping', false],
];

function fail(message: string): never {
  throw new RangeError(`generate: ${message}`);
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    fail(`${name} must be ${range}, got ${optionValue(value)}`);
  }
  return value;
}

function finite(name: string, value: unknown, valid: (v: number) => boolean, range: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    fail(`${name} must be ${range}, got ${optionValue(value)}`);
  }
  return value;
}

function tokenId(name: string, value: unknown, vocabSize: number): number {
  return integer(name, value, 0, vocabSize - 1);
}

function eosIds(value: unknown, vocabSize: number): number[] {
  if (value === undefined) return [];
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    fail(`eosTokenId must be a token id or a non-empty array of token ids, got ${optionValue(value)}`);
  }
  return list.map((v, i) => tokenId(Array.isArray(value) ? `eosTokenId[${i}]` : 'eosTokenId', v, vocabSize));
}

function badWords(value: unknown, vocabSize: number): number[][] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`badWordsIds must be an array of token id arrays, got ${optionValue(value)}`);
  return value.map((seq: unknown, i) => {
    if (!Array.isArray(seq) || seq.length === 0) {
      fail(`badWordsIds[${i}] must be a non-empty array of token ids, got ${optionValue(seq)}`);
    }
    return seq.map((v: unknown, j) => tokenId(`badWordsIds[${i}][${j}]`, v, vocabSize));
  });
}

function callback<T>(name: string, value: unknown): T | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') fail(`${name} must be a function, got ${typeof value}`);
  return value as T;
}

function abortSignal(value: unknown): AbortSignal | null {
  if (value === undefined) return null;
  const candidate = value as { aborted?: unknown; throwIfAborted?: unknown } | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.aborted !== 'boolean'
    || typeof candidate.throwIfAborted !== 'function') {
    fail(`signal must be an AbortSignal (e.g. new AbortController().signal), got ${optionValue(value)}`);
  }
  return value as AbortSignal;
}

function randomSource(options: GenerateOptions): Random | null {
  if (options.seed !== undefined && options.random !== undefined) {
    fail('give either seed or random, not both');
  }
  if (options.random !== undefined) {
    if (!(options.random instanceof Random)) fail(`random must be a Random (src/util/random.ts), got ${optionValue(options.random)}`);
    return options.random;
  }
  if (options.seed !== undefined) {
    if (!isSeed(options.seed)) fail(`seed must be ${SEED_RANGE}, got ${optionValue(options.seed)}`);
    return new Random(options.seed);
  }
  return null;
}

/**
 * Runs generate()'s checks on `options` without a model: throws the RangeError (or TypeError) that
 * generate() would throw for a value or a combination that cannot work, so an application can reject
 * a user's settings before it loads anything. Token ids are checked against `vocabSize` when given.
 */
export function checkGenerateOptions(options: GenerateOptions, vocabSize = Number.MAX_SAFE_INTEGER): void {
  resolveOptions(options, vocabSize);
}

/**
 * Checks every option against the model's vocabulary size and fills in HF's defaults. Errors name the
 * option, the value, and what would be valid.
 */
export function resolveOptions(options: GenerateOptions, vocabSize: number): ResolvedOptions {
  checkOptionKeys('generate', options, GENERATE_OPTION_KEYS, { snakeCase: 'snake_case configs go through fromHuggingFace()' });
  const doSample = options.doSample ?? false;
  if (typeof doSample !== 'boolean') fail(`doSample must be true or false, got ${optionValue(doSample)}`);
  const numBeams = integer('numBeams', options.numBeams ?? 1, 1);
  if (numBeams > 1 && doSample) {
    fail(`beam sampling (numBeams=${numBeams} with doSample: true) is not implemented; use numBeams: 1 to sample or doSample: false for beam search`);
  }
  if (!doSample) {
    for (const [name, neutral] of SAMPLING_ONLY) {
      const value = options[name];
      if (value !== undefined && value !== neutral) {
        fail(`${name}=${optionValue(value)} only applies when sampling; set doSample: true or remove ${name}`);
      }
    }
  }
  if (numBeams === 1) {
    for (const [name, neutral] of BEAM_ONLY) {
      const value = options[name];
      if (value !== undefined && value !== neutral) {
        fail(`${name}=${optionValue(value)} only applies to beam search; set numBeams > 1 or remove ${name}`);
      }
    }
  }
  const earlyStopping = options.earlyStopping ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== 'never') {
    fail(`earlyStopping must be true, false or 'never', got ${optionValue(earlyStopping)}`);
  }
  const numReturnSequences = integer('numReturnSequences', options.numReturnSequences ?? 1, 1);
  if (numBeams > 1 && numReturnSequences > numBeams) {
    fail(`numReturnSequences (${numReturnSequences}) must be <= numBeams (${numBeams}) in beam search`);
  }
  if (numBeams === 1 && !doSample && numReturnSequences > 1) {
    fail(`numReturnSequences=${numReturnSequences} with greedy search would repeat one sequence; set doSample: true or numBeams >= ${numReturnSequences}`);
  }
  const eosTokenIds = eosIds(options.eosTokenId, vocabSize);
  const minNewTokens = integer('minNewTokens', options.minNewTokens ?? 0, 0);
  if (minNewTokens > 0 && eosTokenIds.length === 0) {
    fail(`minNewTokens=${minNewTokens} needs eosTokenId (it works by banning EOS)`);
  }
  const maxNewTokens = options.maxNewTokens === undefined ? null : integer('maxNewTokens', options.maxNewTokens, 1);
  if (maxNewTokens !== null && minNewTokens > maxNewTokens) {
    fail(`minNewTokens (${minNewTokens}) must be <= maxNewTokens (${maxNewTokens})`);
  }
  const onToken = callback<(row: number, token: number) => void>('onToken', options.onToken);
  const stoppingCriteria = callback<(ids: readonly number[], row: number) => boolean>('stoppingCriteria', options.stoppingCriteria);
  if (numBeams > 1 && onToken) fail('onToken (streaming) is not available with beam search (numBeams > 1): beams change until the end');
  if (numBeams > 1 && stoppingCriteria) fail('stoppingCriteria is not available with beam search (numBeams > 1); stop on eosTokenId instead');
  return {
    maxLength: options.maxLength === undefined ? null : integer('maxLength', options.maxLength, 1),
    maxNewTokens,
    minNewTokens,
    doSample,
    temperature: finite('temperature', options.temperature ?? 1, (v) => v > 0, 'a number > 0'),
    topK: integer('topK', options.topK ?? 50, 0),
    topP: finite('topP', options.topP ?? 1, (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    repetitionPenalty: finite('repetitionPenalty', options.repetitionPenalty ?? 1, (v) => v > 0, 'a number > 0 (1 disables)'),
    noRepeatNgramSize: integer('noRepeatNgramSize', options.noRepeatNgramSize ?? 0, 0),
    badWordsIds: badWords(options.badWordsIds, vocabSize),
    numBeams,
    lengthPenalty: finite('lengthPenalty', options.lengthPenalty ?? 1, () => true, 'a finite number'),
    earlyStopping,
    numReturnSequences,
    eosTokenIds,
    padTokenId: options.padTokenId === undefined ? null : tokenId('padTokenId', options.padTokenId, vocabSize),
    random: randomSource(options),
    signal: abortSignal(options.signal),
    onToken,
    stoppingCriteria,
  };
}
