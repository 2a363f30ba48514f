/**
 * `textloom gpt2 generate|chat`: GPT-2 models from a folder, URL or Hub id on the command line, with
 * Hugging Face's generation flags.
 */
import { checkGenerateOptions, Gpt2Chat, loadGpt2, type ChatReply, type DownloadProgress, type GenerateOptions, type Gpt2Pipeline, type LoadGpt2Options } from '../index.js';
import { fileExists, readText, writeTextAtomic } from '../platform/index.js';
import {
  booleanFlag, choiceFlag, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, listFlag, optionalNumber, parse, processOutput,
  stringFlag, UsageError, type FlagSpec, type Output, type Parsed,
} from './args.js';
import { inFlagTerms, type FlagTerms } from './flag-terms.js';
import { requireWritableFolder } from './writable.js';

const MODEL_FLAGS: FlagSpec = {
  model: { type: 'string', short: 'm' },
  dtype: { type: 'string' },
  device: { type: 'string' },
  layout: { type: 'string' },
  threads: { type: 'string' },
  revision: { type: 'string' },
  'hub-url': { type: 'string' },
  'no-cache': { type: 'boolean' },
  json: { type: 'boolean' },
};

/** Each generation flag, its GenerateOptions key, and what a number flag accepts: parsing and messages read this one table. */
const GENERATION: [flag: string, key: keyof GenerateOptions, kind: Parameters<typeof optionalNumber>[2] | 'boolean'][] = [
  ['max-length', 'maxLength', 'positive integer'],
  ['max-new-tokens', 'maxNewTokens', 'positive integer'],
  ['min-new-tokens', 'minNewTokens', 'non-negative integer'],
  ['do-sample', 'doSample', 'boolean'],
  ['temperature', 'temperature', 'positive number'],
  ['top-k', 'topK', 'non-negative integer'],
  ['top-p', 'topP', 'positive number'],
  ['no-repeat-ngram-size', 'noRepeatNgramSize', 'non-negative integer'],
  ['repetition-penalty', 'repetitionPenalty', 'positive number'],
  ['num-beams', 'numBeams', 'positive integer'],
  ['num-return-sequences', 'numReturnSequences', 'positive integer'],
  ['seed', 'seed', 'seed'],
];

const GENERATION_FLAGS: FlagSpec = Object.fromEntries(GENERATION.map(([flag, , kind]) => [flag, { type: kind === 'boolean' ? 'boolean' : 'string' }]));

const CHAT_FLAGS: FlagSpec = {
  preamble: { type: 'string' },
  stop: { type: 'string', multiple: true },
  history: { type: 'string' },
};

export const GPT2_HELP = `Usage:
  textloom gpt2 generate --model <folder|url|hub-id> [options] "prompt" ["prompt" ...]
  textloom gpt2 chat --model <folder|url|hub-id> [options]   (one user turn per input line)

Model:
  -m, --model SOURCE            folder with config.json and onnx/, a URL prefix, or a Hub id (owner/name)
      --dtype D                 fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4
      --device D                auto (default), wasm, webgpu, native (onnxruntime-node)
      --layout L                auto (default), single, merged, pair
      --threads N               WASM/native threads (default: the cores, at most 4)
      --revision R              Hub branch, tag or commit (default main)
      --hub-url URL             Hub base URL (default $TEXTLOOM_HUB_URL, $HF_ENDPOINT or huggingface.co)
      --no-cache                do not use or fill the download cache
      --json                    print JSON instead of text

Generation (Hugging Face's meaning and defaults):
      --max-length N            prompt + new tokens (default 20)
      --max-new-tokens N        new tokens (wins over --max-length)
      --min-new-tokens N        no EOS before N new tokens
      --do-sample               sample instead of greedy / beam search
      --temperature T, --top-k K, --top-p P     sampling only
      --no-repeat-ngram-size N  never repeat an N-gram
      --repetition-penalty R    > 1 discourages tokens already present
      --num-beams N             beam search
      --num-return-sequences N  sequences per prompt
      --seed S                  sampling seed, 0 to 4294967295

Chat:
      --max-new-tokens N        length of each reply (default 40; --max-length does not apply)
      --preamble TEXT           text that always opens the context
      --stop TEXT               end a reply before TEXT (repeatable)
      --history FILE            load the conversation from FILE if it exists; save it after each turn
  Each message gets one line on stdout (--json: one object); a message too long for the model's context
  gets an empty line ({"error": ...}) and the reason on stderr, and the conversation goes on.`;

/**
 * The generation flags as options, put through generate()'s own checks before the model loads, so that
 * a mistake among the flags costs no loading. What the model's generation_config may still add stands
 * in at its most permissive (sampling unless beams were asked for, an EOS id); combinations that
 * depend on the model are checked when generating.
 */
function generationOptions(parsed: Parsed): GenerateOptions {
  const options: Record<string, unknown> = {};
  for (const [flag, key, kind] of GENERATION) {
    const value = kind === 'boolean' ? booleanFlag(parsed, flag) || undefined : optionalNumber(parsed, flag, kind);
    if (value !== undefined) options[key] = value;
  }
  checkGenerateOptions({ doSample: (options.numBeams ?? 1) === 1, eosTokenId: 0, ...options });
  return options;
}

// Chat's errors name its options as generation.<name>; the flag stands for the whole path.
const GPT2_TERMS: FlagTerms = Object.fromEntries(GENERATION.flatMap(([flag, key]) => [[key, flag], [`generation.${key}`, flag]]));

/**
 * The message of a usage error, or null for any other error. generate() and chat throw RangeErrors for
 * options and prompts that cannot work; their messages name options, which read here as the flags.
 */
function usageMessage(e: unknown): string | null {
  if (e instanceof UsageError) return e.message;
  const option = e instanceof RangeError ? /^(?:generate|chat): (.*)$/s.exec(e.message) : null;
  return option === null ? null : inFlagTerms(option[1]!, GPT2_TERMS);
}

function progressPrinter(output: Output): (p: DownloadProgress) => void {
  return (p) => {
    if (p.fromCache) return;
    if (p.done) {
      if (output.interactive) output.err('\r\x1b[2K');
      output.err(`downloaded ${p.file} (${(p.loaded / 1e6).toFixed(1)} MB)\n`);
    } else if (output.interactive) {
      const share = p.total ? ` ${Math.floor((100 * p.loaded) / p.total)}%` : '';
      output.err(`\r\x1b[2Kdownloading ${p.file}${share}`);
    }
  };
}

async function openModel(parsed: Parsed, output: Output): Promise<Gpt2Pipeline> {
  const model = stringFlag(parsed, 'model');
  if (model === undefined) throw new UsageError('--model is required: a folder, a URL prefix or a Hub id such as Xenova/gpt2');
  const hubUrl = stringFlag(parsed, 'hub-url');
  if (hubUrl !== undefined && !(URL.canParse(hubUrl) && ['http:', 'https:'].includes(new URL(hubUrl).protocol))) throw new UsageError(`--hub-url must be an http(s) URL such as https://huggingface.co, got ${JSON.stringify(hubUrl)}`);
  const options: LoadGpt2Options = {
    dtype: choiceFlag(parsed, 'dtype', ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const, 'fp32'),
    device: choiceFlag(parsed, 'device', ['auto', 'wasm', 'webgpu', 'native'] as const, 'auto'),
    layout: choiceFlag(parsed, 'layout', ['auto', 'single', 'merged', 'pair'] as const, 'auto'),
    threads: optionalNumber(parsed, 'threads', 'positive integer'),
    revision: stringFlag(parsed, 'revision'),
    hubUrl,
    onProgress: progressPrinter(output),
    onWarning: (w) => output.err(`warning: ${w}\n`),
    ...(booleanFlag(parsed, 'no-cache') ? { cache: null } : {}),
  };
  return loadGpt2(model, options);
}

async function runGenerate(argv: string[], output: Output): Promise<number> {
  const parsed = parse(argv, { ...MODEL_FLAGS, ...GENERATION_FLAGS });
  if (booleanFlag(parsed, 'help')) {
    output.out(GPT2_HELP + '\n');
    return EXIT_OK;
  }
  if (parsed.positionals.length === 0) throw new UsageError('give the prompt text, e.g. textloom gpt2 generate --model Xenova/gpt2 "Hello"');
  const options = generationOptions(parsed);
  const pipeline = await openModel(parsed, output);
  try {
    const out = await pipeline.generate(parsed.positionals, options);
    if (booleanFlag(parsed, 'json')) {
      output.out(JSON.stringify({ texts: out.texts, newTexts: out.newTexts, ...out.result }) + '\n');
    } else {
      output.out(out.texts.join('\n---\n') + '\n');
    }
  } finally {
    await pipeline.release();
  }
  return EXIT_OK;
}

async function* stdinLines(): AsyncIterable<string> {
  const { createInterface } = await import('node:readline');
  yield* createInterface({ input: process.stdin, crlfDelay: Infinity });
}

async function runChat(argv: string[], output: Output, lines: AsyncIterable<string>): Promise<number> {
  const parsed = parse(argv, { ...MODEL_FLAGS, ...GENERATION_FLAGS, ...CHAT_FLAGS });
  if (booleanFlag(parsed, 'help')) {
    output.out(GPT2_HELP + '\n');
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`chat reads turns from standard input, not arguments (got ${JSON.stringify(parsed.positionals[0])})`);
  const generation = generationOptions(parsed);
  if (generation.maxLength !== undefined) {
    throw new UsageError('chat measures each reply in new tokens: use --max-new-tokens N (default 40); --max-length would count the whole conversation');
  }
  const historyFile = stringFlag(parsed, 'history');
  const saved = historyFile === undefined ? undefined : await readHistory(historyFile);
  const pipeline = await openModel(parsed, output);
  const json = booleanFlag(parsed, 'json');
  try {
    const chat = new Gpt2Chat(pipeline, { preamble: stringFlag(parsed, 'preamble'), generation, stop: listFlag(parsed, 'stop') });
    if (saved !== undefined) {
      try {
        chat.importHistory(saved);
      } catch (e) {
        throw new Error(`--history ${historyFile}: ${(e as Error).message}`);
      }
    }
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let reply: ChatReply;
      try {
        reply = await chat.say(line);
      } catch (e) {
        // The options were checked when the chat was made, so a refused turn is this message's (too long
        // for the context): the user's to shorten, not the end of the conversation. Its reply line stays,
        // empty, so that a pipe keeps one line per message.
        if (!(e instanceof RangeError)) throw e;
        const reason = usageMessage(e) ?? e.message;
        output.out(json ? `${JSON.stringify({ error: reason })}\n` : '\n');
        output.err(`textloom gpt2: ${reason}\n`);
        continue;
      }
      output.out(json ? JSON.stringify(reply) + '\n' : reply.text.trim() + '\n');
      if (historyFile !== undefined) await writeTextAtomic(historyFile, JSON.stringify(chat.exportHistory()));
    }
  } finally {
    await pipeline.release();
  }
  return EXIT_OK;
}

/**
 * The conversation saved in a --history file (undefined when there is none yet), checked before the
 * model loads: a file that is not a saved chat would otherwise fail as bare JSON.parse text naming no
 * file, and a folder that cannot be written only after the first reply, which is then lost.
 */
async function readHistory(file: string): Promise<unknown> {
  let saved: unknown;
  if (await fileExists(file)) {
    const text = await readText(file);
    try {
      saved = JSON.parse(text);
    } catch (e) {
      throw new Error(`--history ${file} is not a saved chat (not JSON: ${(e as Error).message.split('\n')[0]}); remove it or pass another file`);
    }
  }
  await requireWritableFolder(file, `--history ${file}`);
  return saved;
}

/**
 * Runs `textloom gpt2 <argv>` and returns the exit code. `lines` replaces standard input for chat.
 */
export async function runGpt2Command(argv: string[], output: Output = processOutput, lines?: AsyncIterable<string>): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'generate') return await runGenerate(rest, output);
    if (sub === 'chat') return await runChat(rest, output, lines ?? stdinLines());
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      output.out(GPT2_HELP + '\n');
      return sub === undefined ? EXIT_USAGE : EXIT_OK;
    }
    throw new UsageError(`unknown gpt2 command ${JSON.stringify(sub)}; expected generate or chat`);
  } catch (e) {
    const usage = usageMessage(e);
    if (usage !== null) {
      output.err(`textloom gpt2: ${usage}\n(textloom gpt2 --help shows the options)\n`);
      return EXIT_USAGE;
    }
    output.err(`textloom gpt2: ${inFlagTerms((e as Error).message, GPT2_TERMS)}\n`);
    return EXIT_FAILURE;
  }
}
