/**
 * A conversation with an RNN language model: every user turn is fed into the model's hidden state and a
 * reply is generated from there, so the whole conversation (not just the last turn) shapes each reply.
 * The state is the model's only memory; no transcript is re-read.
 */
import type { Tokenizer } from '../text/index.js';
import { checkOptionKeys } from '../util/options.js';
import { Serial } from '../util/serial.js';
import {
  checkTextOptionKeys,
  checkGeneration,
  continueText,
  type GenerationState,
  type GenerativeModel,
  type TextGenerationOptions,
  type TextGenerationResult,
} from './generate.js';

/**
 * Options of an RNNChat, applied to every reply: generateText's options without those given per turn
 * (onText, signal) or kept by the chat (initialState). A `seed` is advanced by one each turn.
 */
export type ChatOptions = Omit<TextGenerationOptions, 'initialState' | 'onText' | 'signal'>;

/** Options that a conversation takes per turn, or not at all, since it carries its own state. */
const PER_TURN = 'is an option of reply(message, { onText, onWarning, signal }), not of the RNNChat constructor';
const NOT_IN_CONSTRUCTOR = {
  onText: PER_TURN,
  signal: PER_TURN,
  initialState: 'is not taken: the conversation carries its own state (reset() starts over from zeros)',
};

/**
 * A conversation with an RNN language model: each message is fed into the hidden state the previous
 * reply left, and the reply is generated from there, so every earlier turn shapes it.
 *
 * `const chat = new RNNChat(model, tokenizer, { maxNewTokens: 30, doSample: true, seed: 1 });
 * const { text } = await chat.reply('how are you');`
 */
export class RNNChat {
  private state: GenerationState | null = null;
  private turns = 0;
  private readonly queue = new Serial();
  private readonly options: ChatOptions;

  /** `model` (an RNNModel) and the `tokenizer` it was trained with; `options` apply to every reply. */
  constructor(
    private readonly model: GenerativeModel,
    private readonly tokenizer: Tokenizer,
    options: ChatOptions = {},
  ) {
    checkTextOptionKeys('RNNChat', options, NOT_IN_CONSTRUCTOR);
    // A bad option would fail every turn alike: refuse it once, here, on a copy no caller can change later.
    this.options = { ...options };
    checkGeneration(model, tokenizer, this.options, 'RNNChat');
  }

  /** Number of replies given so far. */
  get replies(): number {
    return this.turns;
  }

  /**
   * Feeds `message` into the conversation and streams the reply through `onText`. A sampling seed, if
   * set, advances per turn so replies differ while the conversation stays reproducible. A reply asked
   * for before the previous one has ended waits for it: each continues the state the one before left.
   */
  async reply(
    message: string,
    extra: { onText?: ((piece: string) => void) | undefined; onWarning?: ((message: string) => void) | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<TextGenerationResult> {
    checkOptionKeys('RNNChat.reply', extra, ['onText', 'onWarning', 'signal']);
    return this.queue.run(async () => {
      const options: TextGenerationOptions = { ...this.options, ...extra };
      // Wrapped to 32 bits, as Random takes it, so the largest seed still advances.
      if (this.options.seed !== undefined) options.seed = (this.options.seed + this.turns) >>> 0;
      if (this.state !== null) options.initialState = this.state;
      const result = await continueText(this.model, this.tokenizer, message, options, 'the message');
      this.state = result.state;
      this.turns++;
      return result;
    });
  }

  /** Forgets the conversation: the next turn starts from a zero state. */
  reset(): void {
    this.state = null;
    this.turns = 0;
  }
}
