#!/usr/bin/env node
/**
 * The `textloom` command: dispatches to train, generate, chat, info, demo and gpt2, and turns errors
 * into a message and an exit code (1 for a failure while working, 2 for a usage mistake).
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, processOutput, type Output } from './args.js';
import { trainCommand, TRAIN_TERMS } from './train.js';
import { generateCommand } from './generate.js';
import { chatCommand } from './chat.js';
import { inFlagTerms, type FlagTerms } from './flag-terms.js';
import { SAMPLING_TERMS } from './sampling.js';
import { infoCommand } from './info.js';
import { demoCommand } from './demo.js';
import { packageInfo } from './package-root.js';
import { enableRelaxedSimd } from './relaxed-simd.js';

export const MAIN_HELP = `Usage: textloom <command> [options]

Train and run text-generating language models.

Commands:
  demo                         train on the built-in corpus for ~2 minutes and print generated text
  train [corpus...] [-o FILE]  train an RNN/LSTM/GRU language model on text files
  generate FILE "seed"         continue a seed text with a trained model
  chat FILE                    hold a conversation with a trained model
  info FILE                    show what a checkpoint holds
  gpt2 ...                     run a pretrained GPT-2 (see textloom gpt2 --help)

Run textloom <command> --help for the options of each.`;

type Command = (argv: string[], output: Output) => Promise<number>;

/** Each command, and the flags its errors name where the library's messages name options. */
const COMMANDS: Record<string, [Command, FlagTerms]> = {
  train: [trainCommand, TRAIN_TERMS],
  generate: [generateCommand, SAMPLING_TERMS],
  chat: [(argv, output) => chatCommand(argv, output), SAMPLING_TERMS],
  info: [infoCommand, {}],
  demo: [demoCommand, {}],
  // Reports its own errors, in its own flags' terms.
  gpt2: [async (argv, output) => (await import('./gpt2.js')).runGpt2Command(argv, output), {}],
};

/** Runs one command line (without the node and script arguments); returns the exit code. */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  // Before any command compiles a kernel, so that 'auto' can pick the relaxed build.
  enableRelaxedSimd();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    output.out(MAIN_HELP + '\n');
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    output.out(`textloom ${packageInfo().version}\n`);
    return EXIT_OK;
  }
  const [command, terms] = COMMANDS[name] ?? [];
  if (command === undefined || terms === undefined) {
    output.err(`textloom: unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (textloom --help)\n`);
    return EXIT_USAGE;
  }
  try {
    return await command(rest, output);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    // The command's own usage messages already name flags; the library's are put in their terms.
    const message = e instanceof UsageError && e.cause === undefined ? text : inFlagTerms(text, terms);
    if (e instanceof UsageError) {
      output.err(`textloom ${name}: ${message}\n(textloom ${name} --help shows the options)\n`);
      return EXIT_USAGE;
    }
    output.err(`textloom ${name}: ${message}\n`);
    return EXIT_FAILURE;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** Exit code when the reader of standard output has gone (128 + SIGPIPE, as a shell reports it). */
const EXIT_PIPE = 141;

/**
 * `textloom ... | head` closes standard output early. Node reports that as an EPIPE error, which would
 * crash with a stack trace; instead stop as a command in a pipeline does, and let a training run save
 * its resumable checkpoint first, exactly as on Ctrl-C.
 */
function stopWhenOutputCloses(): void {
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    if (closed) return;
    closed = true;
    if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
    else process.exit(EXIT_PIPE);
  });
}

if (invokedDirectly()) {
  stopWhenOutputCloses();
  process.exitCode = await main(process.argv.slice(2));
}
