/**
 * A conversation with a GPT-2 model the way the tutorial holds it: the encoded history grows by each
 * user turn and each reply, and the model continues the whole history. A fixed preamble stays at the
 * start; when the context (n_positions) would overflow, the oldest turns are dropped.
 */
import { checkGenerateOptions, type FinishReason, type GenerateOptions } from '../generate/index.js';
import type { Gpt2Pipeline } from './pipeline.js';
import { requireArgument } from '../util/arguments.js';
import { Serial } from '../util/serial.js';
import { checkOptionKeys, givenOptions, optionKeys } from '../util/options.js';

/** Value of `format` in an exported Gpt2Chat history. */
export const CHAT_FORMAT = 'textloom-gpt2-chat';
/** Version of the exported history format; importHistory reads only this version. */
export const CHAT_VERSION = 1;

/** One turn of a Gpt2Chat history. */
export interface ChatTurn {
  /** 'user' for the text given to say(), 'model' for a reply. */
  role: 'user' | 'model';
  /** The turn's text (a reply as returned: without EOS, cut before any stop string). */
  text: string;
  /** The ids this turn adds to the context. */
  ids: number[];
}

/** A Gpt2Chat history as plain JSON: what exportHistory() writes and importHistory() reads. */
export interface ChatHistoryJSON {
  format: typeof CHAT_FORMAT;
  version: typeof CHAT_VERSION;
  preamble: { text: string; ids: number[] };
  turns: ChatTurn[];
}

/** Options of a Gpt2Chat. */
export interface ChatOptions {
  /** Text that always opens the context (never trimmed); `<|endoftext|>` in it is the special token.
   * Default ''. User turns are plain text: a user typing `<|endoftext|>` gets its characters. */
  preamble?: string | undefined;
  /** Generation options of each reply; default `{ maxNewTokens: 40 }` over the model's defaults.
   *  A reply is measured in new tokens: `maxLength` is rejected. */
  generation?: GenerateOptions | undefined;
  /** A reply ends before the first of these strings (and at EOS). Default none. */
  stop?: readonly string[] | undefined;
}

/** What Gpt2Chat.say() resolves with. */
export interface ChatReply {
  /** The reply, without EOS and cut before any stop string. */
  text: string;
  /** 'eos', 'length', or 'stop' when a stop string ended it. */
  finishReason: FinishReason;
  /** Turns dropped from the start of the history to make room. */
  trimmedTurns: number;
}

const CHAT_OPTION_KEYS = optionKeys<ChatOptions>({ preamble: true, generation: true, stop: true });

/**
 * A conversation with a GPT-2 model: each say() appends the user's text to the encoded history, lets
 * the model continue the whole history, and appends the reply. The preamble stays at the start; the
 * oldest turns are dropped when the context (n_positions) would overflow.
 *
 * `const chat = new Gpt2Chat(await loadGpt2('openai-community/gpt2'), { preamble: "Hello, I'm an AI model. " });
 * console.log((await chat.say('Hello, how are you?')).text);`
 */
export class Gpt2Chat {
  private readonly pipeline: Gpt2Pipeline;
  private readonly generation: GenerateOptions;
  private readonly stop: readonly string[];
  private preamble: { text: string; ids: number[] };
  private turns: ChatTurn[] = [];
  private readonly queue = new Serial();

  /**
   * Starts an empty conversation with the model, tokenizer and generation defaults of `pipeline`. Throws
   * a RangeError when `generation.maxLength` is set (a reply is measured in new tokens), when
   * `generation.numReturnSequences` is not 1 or when any generation option is invalid, and a TypeError
   * when `stop` is not an array of non-empty strings.
   */
  constructor(pipeline: Gpt2Pipeline, options: ChatOptions = {}) {
    requireArgument('Gpt2Chat', 'the pipeline', pipeline, 'a Gpt2Pipeline (from await loadGpt2(...))', ['options', 'generateIds', 'encode', 'decode']);
    checkOptionKeys('Gpt2Chat', options, CHAT_OPTION_KEYS);
    this.pipeline = pipeline;
    if (options.generation?.maxLength !== undefined) {
      // maxLength counts the whole context, which grows with every turn: replies would shrink to nothing.
      throw new RangeError(`chat: generation.maxLength does not apply to a conversation; set maxNewTokens (the reply's length, default 40) instead`);
    }
    if ((options.generation?.numReturnSequences ?? 1) !== 1) {
      throw new RangeError(`chat: generation.numReturnSequences must be 1: a conversation keeps one reply per turn (got ${options.generation!.numReturnSequences})`);
    }
    this.generation = { maxNewTokens: 40, ...givenOptions(options.generation ?? {}) };
    // Checked now as say() would check them, so that a bad option fails here and not at the first turn.
    checkGenerateOptions(pipeline.options(this.generation), pipeline.config.vocabSize);
    this.stop = options.stop ?? [];
    if (!Array.isArray(this.stop) || this.stop.some((s) => typeof s !== 'string' || s === '')) {
      throw new TypeError(`chat: stop must be an array of non-empty strings, got ${JSON.stringify(options.stop)}`);
    }
    const preamble = options.preamble ?? '';
    // The preamble is the application's own text: its special tokens, if it writes any, are meant.
    this.preamble = { text: preamble, ids: pipeline.encode(preamble, { specialTokens: 'special' }) };
  }

  /** The turns kept so far (after any trimming). */
  get history(): readonly ChatTurn[] {
    return this.turns;
  }

  /** The ids the model continues from: preamble, then every kept turn. */
  context(): number[] {
    return [...this.preamble.ids, ...this.turns.flatMap((t) => t.ids)];
  }

  private newTokenBudget(): number {
    const g = this.pipeline.options(this.generation);
    if (g.maxNewTokens !== undefined) return g.maxNewTokens;
    throw new RangeError('chat: generation.maxNewTokens must be set (a reply is measured in new tokens, not total length)');
  }

  /** Drops the oldest turns until context + reply fits n_positions; keeps the preamble and the last turn. */
  private trim(): number {
    const room = this.pipeline.config.nPositions - this.newTokenBudget();
    let dropped = 0;
    while (this.context().length > room && this.turns.length > 1) {
      this.turns.shift();
      dropped++;
    }
    const length = this.context().length;
    if (length > room) {
      throw new RangeError(
        `chat: the preamble (${this.preamble.ids.length} tokens) and this turn (${this.turns[0]!.ids.length} tokens) leave no room for ` +
        `${this.newTokenBudget()} new tokens in the model's context of ${this.pipeline.config.nPositions}; shorten them or lower maxNewTokens`,
      );
    }
    return dropped;
  }

  /**
   * Appends the user's text, generates the model's reply, appends it, and returns it. A say() made
   * before the previous one has ended waits for it, so the turns stay in the order they were said.
   */
  async say(text: string): Promise<ChatReply> {
    if (typeof text !== 'string' || text === '') throw new TypeError(`chat: expected non-empty text, got ${JSON.stringify(text)}`);
    const turn: ChatTurn = { role: 'user', text, ids: this.pipeline.encode(text) };
    return this.queue.run(async () => {
      const before = this.turns;
      this.turns = [...before, turn];
      try {
        return await this.reply(this.trim());
      } catch (e) {
        // A refused or failed turn (no room, an invalid option, an abort) leaves the conversation as it
        // was, the turns that trim() dropped to make room included.
        this.turns = before;
        throw e;
      }
    });
  }

  /** Generates the reply to the last turn and appends it. */
  private async reply(trimmed: number): Promise<ChatReply> {
    const context = this.context();
    const stopAt = (newIds: readonly number[]): number => {
      const reply = this.pipeline.decode(newIds);
      let at = -1;
      for (const s of this.stop) {
        const i = reply.indexOf(s);
        if (i >= 0 && (at < 0 || i < at)) at = i;
      }
      return at;
    };
    const options: GenerateOptions = {
      ...this.generation,
      ...(this.stop.length > 0 ? { stoppingCriteria: (ids: readonly number[]) => stopAt(ids.slice(context.length)) >= 0 } : {}),
    };
    // The model keeps this conversation's cache: the next turn extends it instead of starting over.
    const result = await this.pipeline.generateIds([context], options);
    const eos = this.pipeline.options(this.generation).eosTokenId;
    const eosIds = new Set(eos === undefined ? [] : typeof eos === 'number' ? [eos] : eos);
    const newIds = result.newTokens[0]!.filter((id) => !eosIds.has(id));
    let reply = this.pipeline.decode(newIds);
    let ids = newIds;
    const cut = stopAt(newIds);
    if (cut >= 0) {
      // The history keeps what the user sees: the reply up to the stop string.
      reply = reply.slice(0, cut);
      ids = this.pipeline.encode(reply);
    }
    this.turns.push({ role: 'model', text: reply, ids });
    return { text: reply, finishReason: result.finishReasons[0]!, trimmedTurns: trimmed };
  }

  /** A copy of the preamble and the kept turns as plain JSON, for importHistory() later. */
  exportHistory(): ChatHistoryJSON {
    return {
      format: CHAT_FORMAT,
      version: CHAT_VERSION,
      preamble: { text: this.preamble.text, ids: this.preamble.ids.slice() },
      turns: this.turns.map((t) => ({ role: t.role, text: t.text, ids: t.ids.slice() })),
    };
  }

  /** Replaces preamble and turns with an exported history (validated). */
  importHistory(json: unknown): void {
    const fail = (why: string): never => {
      throw new TypeError(`chat: cannot import history: ${why}; pass an object from exportHistory()`);
    };
    const h = json as Partial<ChatHistoryJSON> | null;
    if (h === null || typeof h !== 'object') fail(`expected an object, got ${JSON.stringify(json)}`);
    if (h!.format !== CHAT_FORMAT) fail(`format is ${JSON.stringify(h!.format)}, expected "${CHAT_FORMAT}"`);
    if (h!.version !== CHAT_VERSION) fail(`version ${JSON.stringify(h!.version)} is not supported (this textloom reads ${CHAT_VERSION})`);
    const vocab = this.pipeline.config.vocabSize;
    const checkIds = (ids: unknown, where: string): number[] => {
      if (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id) || id < 0 || id >= vocab)) {
        fail(`${where}.ids must be token ids in [0, ${vocab - 1}]`);
      }
      return (ids as number[]).slice();
    };
    if (typeof h!.preamble?.text !== 'string') fail('preamble.text must be a string');
    if (!Array.isArray(h!.turns)) fail('turns must be an array');
    const turns = h!.turns!.map((t, i) => {
      if (t === null || typeof t !== 'object' || (t.role !== 'user' && t.role !== 'model') || typeof t.text !== 'string') {
        fail(`turns[${i}] must be { role: 'user' | 'model', text, ids }`);
      }
      return { role: t.role, text: t.text, ids: checkIds(t.ids, `turns[${i}]`) };
    });
    this.preamble = { text: h!.preamble!.text, ids: checkIds(h!.preamble!.ids, 'preamble') };
    this.turns = turns;
  }
}
