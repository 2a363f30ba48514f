/**
 * Text generation with an RNN language model: the model as a `LogitsSource` for the shared generation
 * code of src/generate/ (processors, samplers, stopping, streaming), and `generateText`, which runs it
 * from a seed text with the hidden state carried from token to token. (The tutorial resets the state at
 * every step, so each word is predicted from the previous word alone; we carry it.)
 */
import type { LogitsSource } from '../generate/engine.js';
import { checkGenerateOptions, generateStream } from '../generate/index.js';
import { NoTokenLeftError } from '../generate/sample.js';
import type { GenerateOptions } from '../generate/index.js';
import { now } from '../platform/index.js';
import { UNK_ID, type BpeTokenizer, type Tokenizer } from '../text/index.js';
import { describe, requireArgument } from '../util/arguments.js';
import { checkOptionKeys, optionKeys } from '../util/options.js';
import { AN_RNN_MODEL } from './validate.js';

/** The recurrent state as generation uses it (RNNModel's RecurrentState). */
export interface GenerationState {
  readonly batch: number;
  clone(): GenerationState;
  select(index: Int32Array): void;
  toArrays(): Float32Array[];
  loadArrays(arrays: Float32Array[]): void;
}

/** What generation needs from a model; RNNModel provides it. */
export interface GenerativeModel<S extends GenerationState = GenerationState> {
  readonly config: { readonly vocabSize: number; readonly numLayers: number };
  createState(batch: number): S;
  /** One token per row (B) -> logits (B, V); advances the state. */
  step(tokens: Int32Array, state: S): Float32Array;
}

/**
 * An RNN as a LogitsSource. Prefill feeds every row's tokens through its state one position at a time;
 * a padding position leaves that row's state exactly as it was, so left padding changes nothing.
 * A batch may start from a given state (a conversation so far) instead of zeros.
 */
export class RNNLogitsSource<S extends GenerationState = GenerationState> implements LogitsSource {
  readonly vocabSize: number;
  private state: S | null = null;

  constructor(
    private readonly model: GenerativeModel<S>,
    private readonly initial: S | null = null,
  ) {
    this.vocabSize = model.config.vocabSize;
  }

  /** The current batch's state (after the last token fed); null before prefill. */
  get current(): S | null {
    return this.state;
  }

  /** A fresh state for B rows: zeros, or every row a copy of the (batch 1) initial state. */
  private startState(batch: number): S {
    if (this.initial === null) return this.model.createState(batch);
    const state = this.initial.clone() as S;
    if (state.batch !== batch) {
      if (state.batch !== 1) {
        throw new RangeError(`RNNLogitsSource: an initial state of ${state.batch} rows cannot start a batch of ${batch}`);
      }
      state.select(new Int32Array(batch));
    }
    return state;
  }

  async prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array> {
    const B = ids.length;
    const T = B > 0 ? ids[0]!.length : 0;
    if (B === 0 || T === 0) throw new RangeError(`RNNLogitsSource.prefill: expected at least one row of at least one token, got ${B} x ${T}`);
    this.state = this.startState(B);
    const tokens = new Int32Array(B);
    let logits: Float32Array | null = null;
    for (let t = 0; t < T; t++) {
      const padded: number[] = [];
      for (let r = 0; r < B; r++) {
        tokens[r] = ids[r]![t]!;
        if (mask[r]![t] === 0) padded.push(r);
      }
      const before = padded.length > 0 ? this.state.toArrays() : null;
      logits = this.model.step(tokens, this.state);
      if (before !== null) this.restoreRows(before, padded);
    }
    return logits!;
  }

  async next(tokens: Int32Array): Promise<Float32Array> {
    if (this.state === null) throw new Error('RNNLogitsSource.next: call prefill() first');
    return this.model.step(tokens, this.state);
  }

  select(index: Int32Array): void {
    if (this.state === null) throw new Error('RNNLogitsSource.select: call prefill() first');
    this.state.select(index);
  }

  dispose(): void {
    this.state = null;
  }

  /** Puts back the rows in `rows` of every state array ((L, B, H) each) from `before`. */
  private restoreRows(before: Float32Array[], rows: number[]): void {
    const after = this.state!.toArrays();
    const L = this.model.config.numLayers;
    const B = this.state!.batch;
    for (let a = 0; a < after.length; a++) {
      const H = after[a]!.length / (L * B);
      for (let l = 0; l < L; l++) {
        for (const r of rows) {
          const from = (l * B + r) * H;
          after[a]!.set(before[a]!.subarray(from, from + H), from);
        }
      }
    }
    this.state!.loadArrays(after);
  }
}

/** The options generateText hands to src/generate's generate() as they are, with their meaning and checks. */
const PASSED_THROUGH = ['doSample', 'temperature', 'topK', 'topP', 'repetitionPenalty', 'noRepeatNgramSize', 'seed', 'signal'] as const;

/** Options of generateText: the sampling options of src/generate plus text-level ones; any other key is an error. */
export interface TextGenerationOptions extends Pick<GenerateOptions, (typeof PASSED_THROUGH)[number]> {
  /** Tokens to generate at most. Default 50. */
  maxNewTokens?: number | undefined;
  /**
   * Stop after generating any of these words (or strings, with a character or BPE tokenizer); they are
   * kept. With a BPE tokenizer a stop is found in the decoded text, so it may begin or end inside a token.
   */
  stop?: string | readonly string[] | undefined;
  /**
   * Called with each new piece of text as it is generated. The pieces add up to the result's `text`
   * (with a word tokenizer, to the space that joins it to the seed, then `text`); a BPE piece never
   * ends inside a character, save the last, which may end in U+FFFD as decode() does.
   */
  onText?: ((piece: string) => void) | undefined;
  /** Called with warnings (seed words missing from the vocabulary). Default: none; see the result. */
  onWarning?: ((message: string) => void) | undefined;
  /** Start from this state (batch 1), e.g. a conversation so far, instead of zeros. */
  initialState?: GenerationState | undefined;
  /**
   * Let the model generate `<unk>` (word and char tokenizers). Default false: `<unk>` stands for every
   * rare word at once, so printing it tells the reader nothing.
   */
  allowUnknown?: boolean | undefined;
}

const TEXT_OPTION_KEYS = optionKeys<TextGenerationOptions>({
  doSample: true, temperature: true, topK: true, topP: true, repetitionPenalty: true, noRepeatNgramSize: true,
  seed: true, signal: true, maxNewTokens: true, stop: true, onText: true, onWarning: true, initialState: true,
  allowUnknown: true,
});

/**
 * generate() options that a caller may expect here too. Beam search would work on an RNNLogitsSource, but
 * it cannot stream, stop on words, or leave the one state to continue from that generateText returns.
 */
const NOT_FOR_RNN: Readonly<Record<string, string>> = {
  numBeams: 'is not supported for RNN models (generateText streams one sampled or greedy sequence); remove it',
  numReturnSequences: 'is not supported for RNN models (generateText returns one sequence); call it once per sequence with different seeds',
};

/** Checks the keys of generateText options, less those that `except` refuses with its own reasons. */
export function checkTextOptionKeys(where: string, options: unknown, except: Readonly<Record<string, string>> = {}): void {
  const known = TEXT_OPTION_KEYS.filter((key) => !(key in except));
  checkOptionKeys(where, options, known, { refused: { ...NOT_FOR_RNN, ...except } });
}

function checkInitialState(state: unknown): void {
  const s = state as Partial<Record<keyof GenerationState, unknown>> | null;
  const methods = ['clone', 'select', 'toArrays', 'loadArrays'] as const;
  if (s === null || typeof s !== 'object' || methods.some((m) => typeof s[m] !== 'function')) {
    const got = s === null ? 'null' : typeof s === 'object' ? `an object without ${methods.join(', ')}` : typeof s;
    throw new TypeError(`generateText: initialState must be a model state (model.createState(1), or an earlier result's state), got ${got}`);
  }
}

/** What generateText (and RNNChat.reply) resolves with. */
export interface TextGenerationResult {
  /** The generated text alone, without the seed (and, with a word tokenizer, without the space that joins it to the seed). */
  text: string;
  /** Ids of the seed text; pieces missing from the vocabulary are `<unk>`. */
  seedIds: number[];
  /** Ids generated after the seed. */
  ids: number[];
  /**
   * 'length' when maxNewTokens were generated, 'stop' when a `stop` word ended the text, 'eos' when a BPE
   * model generated `<|endoftext|>` (the last of `ids`, not part of `text`).
   */
  finishReason: 'eos' | 'length' | 'stop';
  /** Warnings about the seed (pieces read as `<unk>`), also passed to onWarning. */
  warnings: string[];
  /** Generated tokens per second of wall time; 0 when none. */
  tokensPerSecond: number;
  /** The state after the seed and every generated token, to continue from. */
  state: GenerationState;
}

/** A tokenizer that can report which pieces it mapped to `<unk>` (word and char tokenizers). */
interface UnknownAware {
  encodeWithUnknown(text: string): { ids: number[]; unknown: string[] };
}

function hasUnknownReport(tokenizer: Tokenizer): tokenizer is Tokenizer & UnknownAware {
  return typeof (tokenizer as Partial<UnknownAware>).encodeWithUnknown === 'function';
}

/**
 * Seed text to ids. Pieces missing from the vocabulary become `<unk>` and are named in a warning; a
 * seed with nothing but unknown pieces (or nothing at all) is an error, since the model would start from
 * no information. `role` names the text in errors (a chat turn is "the message").
 */
export function encodeSeed(tokenizer: Tokenizer, seed: string, role = 'the seed'): { ids: number[]; warnings: string[] } {
  if (typeof seed !== 'string') throw new TypeError(`${role} must be a string, got ${typeof seed}`);
  if (!hasUnknownReport(tokenizer)) {
    const ids = tokenizer.encode(seed);
    if (ids.length === 0) throw new RangeError(`${role} ${JSON.stringify(seed)} has no tokens; give a few words to start from`);
    return { ids, warnings: [] };
  }
  const { ids, unknown } = tokenizer.encodeWithUnknown(seed);
  if (ids.length === 0) {
    throw new RangeError(`${role} ${JSON.stringify(seed)} has no ${tokenizer.kind}s after preprocessing; give a few words to start from`);
  }
  const warnings: string[] = [];
  if (unknown.length > 0) {
    const list = unknown.map((u) => JSON.stringify(u)).join(', ');
    if (ids.every((id) => id === UNK_ID)) {
      throw new RangeError(
        `none of ${role}'s ${tokenizer.kind}s are in the model's vocabulary (${list}); use ${tokenizer.kind}s from the training text`,
      );
    }
    warnings.push(`not in the vocabulary, read as <unk>: ${list}`);
  }
  return { ids, warnings };
}

/** Says, after each new token, whether the text generated after a seed of `seedLength` ids has reached a stop. */
type StopCheck = (ids: readonly number[], seedLength: number) => boolean;

/** The stop check of options.stop; null without stops. Throws for a stop the model can never generate. */
function stopCheck(tokenizer: Tokenizer, stop: string | readonly string[] | undefined, where: string): StopCheck | null {
  if (stop === undefined) return null;
  const list: unknown = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list)) throw new TypeError(`${where}: stop must be a string or an array of strings, got ${describe(stop)}`);
  const bad = list.findIndex((s) => typeof s !== 'string' || s === '');
  if (bad >= 0) {
    const name = typeof stop === 'string' ? 'stop' : `stop[${bad}]`;
    const Failure = list[bad] === '' ? RangeError : TypeError;
    throw new Failure(`${where}: ${name} must be a non-empty string, got ${describe(list[bad])}`);
  }
  const sequences = list.map((word) => {
    const { ids, unknown } = hasUnknownReport(tokenizer)
      ? tokenizer.encodeWithUnknown(word)
      : { ids: tokenizer.encode(word), unknown: [] };
    if (ids.length === 0 || unknown.length > 0) {
      throw new RangeError(`stop ${JSON.stringify(word)} is not in the model's vocabulary, so it can never be generated`);
    }
    return ids;
  });
  if (sequences.length === 0) return null;
  if (tokenizer.kind === 'bpe') return textStopCheck(tokenizer, list);
  return (ids, seedLength) => sequences.some((tail) => endsWith(ids, tail, seedLength));
}

/**
 * A byte-level BPE writes one text with different ids (" dog" is one token, "dog" another, "do" + "g"
 * two more), so its stops are looked for in the decoded text, as Hugging Face's stop strings are: the
 * text ends at the token that completes a stop, even when that token runs past it.
 */
function textStopCheck(tokenizer: Tokenizer, stops: readonly string[]): StopCheck {
  // A stop of n UTF-16 units is at most 3n UTF-8 bytes, and every token carries at least one byte, so
  // the last 3n tokens hold any occurrence that the newest token completes.
  const window = 3 * Math.max(...stops.map((s) => s.length));
  return (ids, seedLength) => {
    const text = tokenizer.decode(ids.slice(Math.max(seedLength, ids.length - window)));
    return stops.some((s) => text.includes(s));
  };
}

function endsWith(ids: readonly number[], tail: readonly number[], from: number): boolean {
  if (ids.length - from < tail.length) return false;
  const start = ids.length - tail.length;
  return tail.every((id, i) => ids[start + i] === id);
}

/** Ids decoded before each streamed piece, enough for any character split across byte-level tokens. */
const STREAM_CONTEXT = 8;

/**
 * What a text generation takes from its options before it sees a seed: the stop words as id sequences,
 * and the options it hands to generate(), which checks them when it starts.
 */
function generationSettings(model: GenerativeModel, tokenizer: Tokenizer, options: TextGenerationOptions, where: string):
  { stop: StopCheck | null; generateOptions: GenerateOptions } {
  requireArgument(where, 'the model', model, AN_RNN_MODEL, ['createState', 'step']);
  requireArgument(where, 'the tokenizer', tokenizer, 'the tokenizer the model was trained with', ['encode', 'decode']);
  for (const key of ['onText', 'onWarning'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new TypeError(`${where}: ${key} must be a function, got ${describe(options[key])}`);
    }
  }
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new RangeError(
      `${where}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}; use the tokenizer the model was trained with`,
    );
  }
  const stop = stopCheck(tokenizer, options.stop, where);
  // Rows stopped early are fed the pad id; <unk> serves, as its logits are never used.
  const generateOptions: GenerateOptions = { maxNewTokens: options.maxNewTokens ?? 50, padTokenId: UNK_ID };
  for (const key of PASSED_THROUGH) {
    if (options[key] !== undefined) (generateOptions as Record<string, unknown>)[key] = options[key];
  }
  if (hasUnknownReport(tokenizer) && options.allowUnknown !== true) generateOptions.badWordsIds = [[UNK_ID]];
  // A corpus of documents joined by <|endoftext|> teaches the model to end one; it ends the text here too.
  const endOfText = tokenizer.kind === 'bpe' ? (tokenizer as BpeTokenizer).endOfTextId : undefined;
  if (endOfText !== undefined) generateOptions.eosTokenId = endOfText;
  return { stop, generateOptions };
}

/**
 * The shared generation code's "every token of row 0 is banned" names options that a text generation has
 * no way to set (badWordsIds, minNewTokens) and a row of a batch it never shows; this names what banned
 * tokens here, so that the fix is one the caller can make.
 */
function noTokenLeft(options: GenerateOptions, generated: number): RangeError {
  const where = `generateText: after ${generated} new token${generated === 1 ? '' : 's'} no token is left to choose`;
  const n = options.noRepeatNgramSize ?? 0;
  if (n === 0) return new RangeError(`${where}: the model's scores are all -Infinity or NaN; check its weights (did training diverge?)`);
  const unk = options.badWordsIds === undefined ? '' : ', and <unk> is never generated';
  return new RangeError(
    `${where}: noRepeatNgramSize=${n} bans every token that would repeat a sequence of ${n === 1 ? 'one token' : `${n} tokens`}${unk}; ` +
      'raise noRepeatNgramSize or leave it off',
  );
}

/** Checks options as a generation with them would, without starting one; `where` names the caller. */
export function checkGeneration(model: GenerativeModel, tokenizer: Tokenizer, options: TextGenerationOptions, where: string): void {
  checkGenerateOptions(generationSettings(model, tokenizer, options, where).generateOptions, model.config.vocabSize);
}

function checkTextOptions(options: TextGenerationOptions): void {
  checkTextOptionKeys('generateText', options);
  if (options.initialState !== undefined) checkInitialState(options.initialState);
}

/**
 * generateText's checks of `options` against a model and its tokenizer, without generating: throws what
 * generateText would throw for them, so that an application can refuse a setting before any output.
 */
export function checkTextGenerationOptions(model: GenerativeModel, tokenizer: Tokenizer, options: TextGenerationOptions): void {
  checkTextOptions(options);
  checkGeneration(model, tokenizer, options, 'generateText');
}

/** Generates text after `seed`, streaming pieces through `onText`. */
export async function generateText(
  model: GenerativeModel,
  tokenizer: Tokenizer,
  seed: string,
  options: TextGenerationOptions = {},
): Promise<TextGenerationResult> {
  checkTextOptions(options);
  return continueText(model, tokenizer, seed, options, 'the seed');
}

/** generateText once its options are known to be well-formed; `role` names the seed in errors (a chat turn is "the message"). */
export async function continueText(
  model: GenerativeModel,
  tokenizer: Tokenizer,
  seed: string,
  options: TextGenerationOptions,
  role: string,
): Promise<TextGenerationResult> {
  const { stop, generateOptions } = generationSettings(model, tokenizer, options, 'generateText');
  const { ids: seedIds, warnings } = encodeSeed(tokenizer, seed, role);
  for (const w of warnings) options.onWarning?.(w);
  const source = new RNNLogitsSource(model, options.initialState ?? null);
  if (stop !== null) generateOptions.stoppingCriteria = (ids) => stop(ids, seedIds.length);
  const start = now();
  const newIds: number[] = [];
  const all = [...seedIds];
  const base = tokenizer.decode(seedIds);
  // Ids from `shown` on have not been shown yet. Each piece is decoded with a few ids of context
  // before it (word spacing, bytes of a character split across tokens), not from the start.
  let shown = all.length;
  const splitsCharacters = tokenizer.kind === 'bpe';
  const stream = generateStream(source, [seedIds], generateOptions);
  const next = () => stream.next().catch((e: unknown) => {
    throw e instanceof NoTokenLeftError ? noTokenLeft(generateOptions, newIds.length) : e;
  });
  let step = await next();
  while (!step.done) {
    newIds.push(step.value.token);
    // The end-of-text token ends the generation and has no text, as decode with skip_special_tokens.
    if (step.value.token !== generateOptions.eosTokenId) all.push(step.value.token);
    if (options.onText && shown < all.length) {
      const from = Math.max(0, shown - STREAM_CONTEXT);
      const text = tokenizer.decode(all.slice(from));
      // A byte-level tokenizer may end mid-character; wait for the rest before showing it. A character
      // tokenizer's U+FFFD (a character of the corpus, or <unk>) is whole and shows at once.
      if (!(splitsCharacters && text.endsWith('\uFFFD'))) {
        options.onText(text.slice(tokenizer.decode(all.slice(from, shown)).length));
        shown = all.length;
      }
    }
    step = await next();
  }
  const seconds = (now() - start) / 1000;
  const result = step.value;
  // generate() leaves the last token unfed; feed it so the state covers the whole text.
  if (newIds.length > 0) await source.next(Int32Array.of(newIds[newIds.length - 1]!));
  const full = tokenizer.decode(all);
  if (options.onText && shown < all.length) {
    const from = Math.max(0, shown - STREAM_CONTEXT);
    options.onText(tokenizer.decode(all.slice(from)).slice(tokenizer.decode(all.slice(from, shown)).length));
  }
  // Only a word tokenizer puts a space between the seed and the first new word when it decodes them;
  // a character or byte-level token that is a space was generated and belongs to the text.
  const generated = full.slice(base.length);
  return {
    text: tokenizer.kind === 'word' ? generated.replace(/^ /, '') : generated,
    seedIds,
    ids: newIds,
    finishReason: result.finishReasons[0]!,
    warnings,
    tokensPerSecond: seconds > 0 ? newIds.length / seconds : 0,
    state: source.current!,
  };
}
