/**
 * Text in, text out: a GPT-2 model with its tokenizer and its generation defaults, as the tutorial
 * uses it (`tokenizer.encode` -> `model.generate` -> `tokenizer.decode`).
 */
import { checkGenerateOptions, fromHuggingFace, generate, generateStream, type GenerateOptions, type GenerateResult } from '../generate/index.js';
import { BpeTokenizer, type BpeEncodeOptions } from '../text/index.js';
import { describeArgument } from '../util/arguments.js';
import { givenOptions } from '../util/options.js';
import { Random } from '../util/random.js';
import { Serial } from '../util/serial.js';
import type { Gpt2Config, GenerationConfigJson } from './config.js';
import { loadGpt2Model, requireFile, type LoadModelOptions, type LoadedModel } from './load.js';
import type { Gpt2Model } from './model.js';
import { ModelSourceError, type ModelFiles } from './source.js';
import type { ModelFileSet } from './file-set.js';
import type { Backend } from './runtime.js';

/** Options of loadGpt2: where the files come from, which ONNX variant and layout, and the runtime. */
export type LoadGpt2Options = LoadModelOptions;

/** What Gpt2Pipeline.generate() resolves with: one entry per returned row. */
export interface Gpt2Output {
  /** Prompt + continuation of every returned row (HF's `decode(output[i], skip_special_tokens=True)`). */
  texts: string[];
  /** The continuation alone. */
  newTexts: string[];
  /** Ids, finish reasons and beam scores, as generate() returns them. */
  result: GenerateResult;
}

const USER_TEXT: BpeEncodeOptions = { specialTokens: 'text' };
const SAMPLING_KEYS = ['temperature', 'topK', 'topP'] as const;
const BEAM_KEYS = ['lengthPenalty', 'earlyStopping'] as const;

async function loadTokenizer(files: ModelFiles): Promise<BpeTokenizer> {
  const text = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes);
  const json = await files.read('tokenizer.json');
  if (json !== null) return BpeTokenizer.fromTokenizerJSON(text(json));
  const vocab = await files.read('vocab.json');
  if (vocab === null) {
    throw new ModelSourceError(`${files.location} has neither tokenizer.json nor vocab.json + merges.txt; a GPT-2 model needs one of them`);
  }
  const merges = await requireFile(files, 'merges.txt', 'vocab.json needs its merges.txt');
  return BpeTokenizer.fromFiles(text(vocab), text(merges));
}

/**
 * A GPT-2 model with its tokenizer and generation defaults: text in, text out. loadGpt2() makes one;
 * generate() continues prompts, stream() yields text as it is generated, Gpt2Chat holds a conversation.
 */
export class Gpt2Pipeline {
  readonly tokenizer: BpeTokenizer;
  readonly model: Gpt2Model;
  /** The fields of config.json the model needs. */
  readonly config: Gpt2Config;
  /** generation_config.json as read ({} when the model has none); it supplies the default GenerateOptions. */
  readonly generationConfig: GenerationConfigJson;
  /** The ONNX file(s) in use and the backend that runs them. */
  readonly onnxFiles: string[];
  /** The backend running the model: 'wasm', 'webgpu' or 'native'. */
  readonly backend: Backend;
  /** The model's KV cache holds one generation at a time. */
  private readonly queue = new Serial();
  private readonly defaults: GenerateOptions;

  constructor(loaded: LoadedModel, tokenizer: BpeTokenizer) {
    this.tokenizer = tokenizer;
    this.model = loaded.model;
    this.config = loaded.config;
    this.generationConfig = loaded.generationConfig;
    this.onnxFiles = loaded.onnxFiles;
    this.backend = loaded.runtime.backend;
    const defaults = fromHuggingFace(loaded.generationConfig);
    if (defaults.eosTokenId === undefined && loaded.config.eosTokenId !== null) defaults.eosTokenId = loaded.config.eosTokenId;
    this.defaults = defaults;
    if (tokenizer.vocabSize > loaded.config.vocabSize) {
      throw new ModelSourceError(
        `${loaded.files.location}: the tokenizer has ${tokenizer.vocabSize} ids but config.json says vocab_size ${loaded.config.vocabSize}; the files do not belong together`,
      );
    }
  }

  /**
   * Ids of a text. Prompts and chat turns come from users, so by default an added token written in the
   * text (`<|endoftext|>`) stays ordinary text and cannot end the generation early; pass
   * `{ specialTokens: 'special' }` for text that means its special tokens (a preamble, a few-shot prompt).
   */
  encode(text: string, options: BpeEncodeOptions = USER_TEXT): number[] {
    return this.tokenizer.encode(text, options);
  }

  /** Text of ids; special tokens (`<|endoftext|>`) are left out unless skipSpecialTokens is false. */
  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens });
  }

  /** The model's generation defaults under the caller's options (the caller's sampling/beam choice wins). */
  options(options: GenerateOptions = {}): GenerateOptions {
    const merged: GenerateOptions = { ...this.defaults };
    if (options.doSample === false) for (const key of SAMPLING_KEYS) delete merged[key];
    if (options.numBeams === 1) for (const key of BEAM_KEYS) delete merged[key];
    return { ...merged, ...givenOptions(options) };
  }

  /** Checks that prompt + new tokens fit the context before any work is done. */
  private checkContext(prompts: readonly (readonly number[])[], options: GenerateOptions): void {
    const longest = Math.max(...prompts.map((p) => p.length));
    const total = options.maxNewTokens !== undefined ? longest + options.maxNewTokens : options.maxLength ?? 20;
    if (total > this.config.nPositions) {
      throw new RangeError(
        `generate: the prompt (${longest} tokens) plus new tokens would reach ${total} positions, over the model's context of ` +
        `${this.config.nPositions} (n_positions); shorten the prompt or lower maxNewTokens / maxLength`,
      );
    }
  }

  /**
   * generate() on token ids with the model's defaults; prompts run unpadded where the export needs it.
   * Calls on one pipeline (generateIds, generate, stream) run one after another, in call order.
   */
  async generateIds(prompts: readonly (readonly number[])[], options: GenerateOptions = {}): Promise<GenerateResult> {
    if (!Array.isArray(prompts)) {
      throw new TypeError(`generateIds: expected an array of token-id arrays, one per prompt (e.g. [gpt2.encode(text)]), got ${describeArgument(prompts)}; generate() takes text`);
    }
    return this.queue.run(() => this.generateIdsNow(prompts, options));
  }

  /** generateIds once this call has the model to itself. */
  private async generateIdsNow(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateResult> {
    const resolved = this.options(options);
    this.checkContext(prompts, resolved);
    const sameLength = prompts.every((p) => p.length === prompts[0]!.length);
    if (this.model.supportsPadding || sameLength) return generate(this.model, prompts, resolved);
    // The calls below take `random` in place of `seed`: check the options as given first, so that
    // seed and random together, or a bad seed, fail as they do in a batch.
    checkGenerateOptions(resolved, this.model.vocabSize);
    // One prompt at a time, drawing from one random stream so a seed still fixes the whole result.
    const random = resolved.random ?? (resolved.seed !== undefined ? new Random(resolved.seed) : undefined);
    const copies = resolved.numReturnSequences ?? 1;
    const parts: GenerateResult[] = [];
    for (const [p, prompt] of prompts.entries()) {
      // Each call numbers its rows from 0; callbacks get the row's index in the whole result.
      const first = p * copies;
      const { onToken, stoppingCriteria } = resolved;
      parts.push(await generate(this.model, [prompt], {
        ...resolved,
        seed: undefined,
        random,
        ...(onToken && { onToken: (row: number, token: number) => onToken(first + row, token) }),
        ...(stoppingCriteria && { stoppingCriteria: (ids: readonly number[], row: number) => stoppingCriteria(ids, first + row) }),
      }));
    }
    return {
      sequences: parts.flatMap((p) => p.sequences),
      newTokens: parts.flatMap((p) => p.newTokens),
      finishReasons: parts.flatMap((p) => p.finishReasons),
      ...(parts[0]!.sequenceScores ? { sequenceScores: parts.flatMap((p) => p.sequenceScores!) } : {}),
    };
  }

  /** Continues one prompt or several (one batch); returns every row's text. Waits for the pipeline's earlier calls. */
  async generate(prompt: string | readonly string[], options: GenerateOptions = {}): Promise<Gpt2Output> {
    const prompts = typeof prompt === 'string' ? [prompt] : prompt;
    if (prompts.length === 0 || prompts.some((p) => typeof p !== 'string')) {
      throw new TypeError(`generate: expected a prompt string or a non-empty array of strings, got ${JSON.stringify(prompt)}; generateIds() takes token ids`);
    }
    const ids = prompts.map((p) => this.encode(p));
    const empty = ids.findIndex((p) => p.length === 0);
    if (empty >= 0) throw new RangeError(`generate: prompt ${empty} is empty; GPT-2 needs at least one token to continue from`);
    return this.queue.run(async () => {
      try {
        const result = await this.generateIdsNow(ids, options);
        return {
          texts: result.sequences.map((s) => this.decode(s)),
          newTexts: result.newTokens.map((s) => this.decode(s)),
          result,
        };
      } finally {
        this.model.dispose();
      }
    });
  }

  /**
   * Streams the continuation of one prompt as text pieces that never split a character. The stream has
   * the model to itself from its first piece until it ends or is closed (`break` in a for-await loop
   * closes it); the pipeline's later calls wait until then.
   */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult> {
    if (typeof prompt !== 'string') {
      throw new TypeError(`stream: expected one prompt string, got ${describeArgument(prompt)}; generate() takes several prompts`);
    }
    const ids = this.encode(prompt);
    if (ids.length === 0) throw new RangeError('stream: the prompt is empty; GPT-2 needs at least one token to continue from');
    const resolved = this.options(options);
    if ((resolved.numReturnSequences ?? 1) !== 1) throw new RangeError('stream: numReturnSequences must be 1 (one stream of text); call generate() for several');
    this.checkContext([ids], resolved);
    const decoder = this.tokenizer.createStreamDecoder({ skipSpecialTokens: true });
    const release = await this.queue.acquire();
    const steps = generateStream(this.model, [ids], resolved);
    try {
      for (;;) {
        const step = await steps.next();
        if (step.done) {
          const tail = decoder.flush();
          if (tail !== '') yield tail;
          return step.value;
        }
        const piece = decoder.push(step.value.token);
        if (piece !== '') yield piece;
      }
    } finally {
      this.model.dispose();
      release();
    }
  }

  /** Frees the ONNX sessions. */
  async release(): Promise<void> {
    await this.model.release();
  }
}

/** Loads a GPT-2 model with its tokenizer from a folder (a path or file: URL), URL prefix or Hub id, or from a set of files. */
export async function loadGpt2(source: string | URL | ModelFileSet, options: LoadGpt2Options = {}): Promise<Gpt2Pipeline> {
  const loaded = await loadGpt2Model(source, options);
  try {
    return new Gpt2Pipeline(loaded, await loadTokenizer(loaded.files));
  } catch (e) {
    await loaded.model.release();
    throw e;
  }
}
