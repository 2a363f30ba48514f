/**
 * `textloom chat <model>`: a conversation on the terminal. Each line typed is fed into the model's
 * state and a reply is streamed back; `/reset` forgets the conversation, `/quit` or end of input leaves.
 */
import { createInterface } from 'node:readline';
import { RNNChat } from '../index.js';
import { asUsageError, booleanFlag, parse, UsageError, EXIT_OK, type Output } from './args.js';
import { inFlagTerms } from './flag-terms.js';
import { loadModel, samplingOptions, SAMPLING_FLAGS, SAMPLING_HELP, SAMPLING_TERMS } from './sampling.js';

export const CHAT_HELP = `Usage: textloom chat <model.safetensors> [options]

Talks with a model written by textloom train: each line you type is fed into the model's hidden state
and a reply is streamed back, so earlier turns shape later replies. Commands: /reset forgets the
conversation, /quit (or Ctrl-D) leaves. With input from a pipe, each message gets one line on stdout
(empty when the message is refused, with the reason on stderr).

${SAMPLING_HELP}
  -h, --help                  this help`;

export async function chatCommand(argv: string[], output: Output, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const parsed = parse(argv, SAMPLING_FLAGS);
  if (booleanFlag(parsed, 'help')) {
    output.out(CHAT_HELP + '\n');
    return EXIT_OK;
  }
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`needs exactly one model file, got ${parsed.positionals.length} arguments`);
  }
  const options = samplingOptions(parsed);
  const { model, tokenizer } = await loadModel(parsed.positionals[0]!);
  let chat: RNNChat;
  try {
    chat = new RNNChat(model, tokenizer, { ...options });
  } catch (e) {
    model.dispose();
    throw asUsageError(e);
  }
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const lines = createInterface({ input, terminal: false });
  const prompt = (): void => {
    if (interactive) output.out('> ');
  };
  try {
    if (interactive) output.err('Type a message; /reset forgets the conversation, /quit leaves.\n');
    prompt();
    let quit = false;
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '/quit' || line === '/exit') {
        quit = true;
        break;
      }
      if (line === '/reset') {
        chat.reset();
        output.err('(conversation reset)\n');
      } else if (line.length > 0) {
        let shown = false;
        try {
          const onText = (piece: string): void => {
            output.out(shown ? piece : piece.replace(/^ /, ''));
            shown = true;
          };
          await chat.reply(line, { onText, onWarning: (w) => output.err(`warning: ${w}\n`) });
          output.out('\n');
        } catch (e) {
          // A turn of only unknown words is the user's to rephrase, not the end of the conversation.
          if (!(e instanceof RangeError)) throw e;
          // A reply that failed part way (every token banned) still ends its line; in a pipe a refused turn
          // too, so that each message keeps its one line of reply, empty when there is none.
          if (shown || !interactive) output.out('\n');
          output.err(`${inFlagTerms(e.message, SAMPLING_TERMS)}\n`);
        }
      }
      prompt();
    }
    // Ctrl-D at the prompt: end the prompt's line, as the Enter of /quit does, before the shell's prompt.
    if (interactive && !quit) output.out('\n');
  } finally {
    lines.close();
    model.dispose();
  }
  return EXIT_OK;
}
