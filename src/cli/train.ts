/**
 * `textloom train [corpus...] -o model.safetensors`: tokenizes a corpus (the built-in one when none is
 * given), trains an RNN/LSTM/GRU language model on it and writes a checkpoint. Ctrl-C stops at a step
 * boundary and saves a resumable checkpoint; `--resume` continues it exactly.
 */
import {
  BpeTokenizer, CELL_TYPES, MAX_THREADS, CharTokenizer, CheckpointError, describeConfig, evaluateLoss, loadCheckpoint, LR_SCHEDULES, modelContent,
  restoreModel, RNNModel, saveCheckpoint, tokenizeCorpus, tokenizerFromJSON, train, WordTokenizer, type CellType, type Checkpoint, type LrScheduleName,
  type RNNConfig, type Tokenizer, type TokenSplit, type TrainOptions, type TrainResult,
} from '../index.js';
import { readText } from '../platform/index.js';
import {
  booleanFlag,
  choiceFlag,
  numberFlag,
  optionalNumber,
  parse,
  stringFlag,
  UsageError,
  EXIT_INTERRUPTED,
  EXIT_OK,
  type FlagSpec,
  type Output,
  type Parsed,
} from './args.js';
import { checkOutputPath, loadCorpus, tokenFingerprint } from './corpus.js';
import type { FlagTerms } from './flag-terms.js';
import { formatDuration, formatRate, progressReporter } from './progress.js';

export type TokenizerChoice = 'word' | 'char' | 'bpe';

/** Everything a training run is made of; `textloom demo` fills it with its own defaults. */
export interface TrainSettings {
  corpus: string[];
  output: string;
  config: Omit<RNNConfig, 'vocabSize'>;
  tokenizer: TokenizerChoice;
  vocabSize: number;
  minCount: number;
  bpeDir: string | undefined;
  /** Fraction held out; absent means the default, or for a resumed run the fraction it was saved with. */
  validation?: number;
  training: Omit<TrainOptions, 'signal' | 'onProgress' | 'resume'>;
  resume: string | undefined;
  /** With `resume`: a new total epoch count, to train a finished run further. */
  resumeEpochs: number | undefined;
  resumable: boolean;
  timeLimitSeconds: number | undefined;
  /** Threads the kernels split large products over (results are the same for every count). */
  threads: number;
  json: boolean;
}

export const TRAIN_DEFAULTS = {
  cell: 'lstm' as CellType,
  layers: 1,
  embed: 128,
  hidden: 384,
  epochs: 5,
  lr: 0.005,
  seq: 32,
  batch: 32,
  clip: 1,
  vocabSize: 5000,
  minCount: 2,
  validation: 0.1,
};

const FLAGS: FlagSpec = {
  output: { type: 'string', short: 'o' },
  cell: { type: 'string' },
  layers: { type: 'string' },
  embed: { type: 'string' },
  hidden: { type: 'string' },
  epochs: { type: 'string', short: 'e' },
  lr: { type: 'string' },
  seq: { type: 'string' },
  batch: { type: 'string', short: 'b' },
  clip: { type: 'string' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  warmup: { type: 'string' },
  seed: { type: 'string' },
  tokenizer: { type: 'string' },
  'vocab-size': { type: 'string' },
  'min-count': { type: 'string' },
  bpe: { type: 'string' },
  validation: { type: 'string' },
  patience: { type: 'string' },
  'time-limit': { type: 'string' },
  threads: { type: 'string' },
  resume: { type: 'string' },
  resumable: { type: 'boolean' },
  json: { type: 'boolean' },
};

/** The flags behind the library's names for what they set; words such as epochs and seed stay as they are. */
export const TRAIN_TERMS: FlagTerms = {
  numLayers: 'layers',
  embedSize: 'embed',
  hiddenSize: 'hidden',
  vocabSize: 'vocab-size',
  maxSize: 'vocab-size',
  minCount: 'min-count',
  lr: 'lr',
  seqLen: 'seq',
  batchSize: 'batch',
  clip: 'clip',
  clipNorm: 'clip',
  weightDecay: 'weight-decay',
  lrSchedule: 'schedule',
  warmupSteps: 'warmup',
  'earlyStopping.patience': 'patience',
};

export const TRAIN_HELP = `Usage: textloom train [corpus...] [-o model.safetensors] [options]

Trains a language model on text files (a directory stands for its .txt files). With no corpus, trains
on the built-in one (Pride and Prejudice, Volume I). Ctrl-C stops cleanly and saves a resumable
checkpoint.

Model:
      --cell rnn|lstm|gru     recurrent cell (default ${TRAIN_DEFAULTS.cell})
      --layers N              stacked recurrent layers (default ${TRAIN_DEFAULTS.layers})
      --embed N               embedding size (default ${TRAIN_DEFAULTS.embed})
      --hidden N              hidden size (default ${TRAIN_DEFAULTS.hidden})
Tokens:
      --tokenizer word|char|bpe  (default word)
      --vocab-size N          most words/characters kept, <unk> included (default ${TRAIN_DEFAULTS.vocabSize})
      --min-count N           fewest occurrences to get an id (default ${TRAIN_DEFAULTS.minCount})
      --bpe DIR               with --tokenizer bpe: a folder with vocab.json and merges.txt (GPT-2 layout)
Training:
  -e, --epochs N              passes over the corpus (default ${TRAIN_DEFAULTS.epochs})
      --lr X                  Adam learning rate (default ${TRAIN_DEFAULTS.lr})
      --seq N                 tokens per truncated-BPTT window (default ${TRAIN_DEFAULTS.seq})
  -b, --batch N               parallel streams (default ${TRAIN_DEFAULTS.batch})
      --clip X                max gradient norm, 0 = off (default ${TRAIN_DEFAULTS.clip})
      --weight-decay X        AdamW weight decay (default 0)
      --schedule constant|cosine|linear  learning-rate schedule (default constant)
      --warmup N              steps of linear warmup (default 0)
      --seed N                seed of the weights and the data order, 0 to 4294967295 (default 0)
      --validation F          fraction held out for validation, in [0, 1) (default ${TRAIN_DEFAULTS.validation})
      --patience N            stop after N epochs without validation improvement
      --time-limit S          stop after S seconds (at a step boundary)
      --threads N             threads for the kernels, 1 to ${MAX_THREADS} (default 1); the same results,
                              faster on free cores
Files:
  -o, --output PATH           checkpoint to write (default model.safetensors)
      --resumable             also save optimizer and data position, so --resume can continue
      --resume PATH           continue a run saved with --resumable or stopped by Ctrl-C: pass the
                              same corpus files again; the other settings come from the checkpoint
                              (--epochs N sets a new total)
      --json                  progress and result as JSON lines on stdout
  -h, --help                  this help`;

/** Flags that shape the model, its tokens or its training: a resumed run takes them from its checkpoint. */
const RESUME_FIXED_FLAGS = [
  'cell', 'layers', 'embed', 'hidden', 'tokenizer', 'vocab-size', 'min-count', 'bpe',
  'lr', 'seq', 'batch', 'clip', 'weight-decay', 'schedule', 'warmup', 'seed', 'patience',
];

function trainSettings(parsed: Parsed): TrainSettings {
  const schedule = choiceFlag<LrScheduleName>(parsed, 'schedule', LR_SCHEDULES, 'constant');
  const patience = optionalNumber(parsed, 'patience', 'positive integer');
  const weightDecay = optionalNumber(parsed, 'weight-decay', 'non-negative number');
  const training: TrainSettings['training'] = {
    epochs: numberFlag(parsed, 'epochs', TRAIN_DEFAULTS.epochs, 'positive integer'),
    lr: numberFlag(parsed, 'lr', TRAIN_DEFAULTS.lr, 'positive number'),
    batchSize: numberFlag(parsed, 'batch', TRAIN_DEFAULTS.batch, 'positive integer'),
    seqLen: numberFlag(parsed, 'seq', TRAIN_DEFAULTS.seq, 'positive integer'),
    clip: numberFlag(parsed, 'clip', TRAIN_DEFAULTS.clip, 'non-negative number'),
    lrSchedule: schedule,
    warmupSteps: numberFlag(parsed, 'warmup', 0, 'non-negative integer'),
    seed: numberFlag(parsed, 'seed', 0, 'seed'),
  };
  if (weightDecay !== undefined) training.weightDecay = weightDecay;
  if (weightDecay !== undefined && training.lr * weightDecay >= 1) {
    throw new UsageError(`--lr x --weight-decay must be below 1 (each step scales the weights by 1 minus their product), ` +
      `got ${training.lr} x ${weightDecay}; weight decay is usually 0.01 to 0.1`);
  }
  if (patience !== undefined) training.earlyStopping = { patience };
  const tokenizer = choiceFlag<TokenizerChoice>(parsed, 'tokenizer', ['word', 'char', 'bpe'], 'word');
  const bpeDir = stringFlag(parsed, 'bpe');
  if (tokenizer === 'bpe' && bpeDir === undefined) {
    throw new UsageError('--tokenizer bpe needs --bpe DIR, a folder with vocab.json and merges.txt');
  }
  if (tokenizer !== 'bpe' && bpeDir !== undefined) throw new UsageError('--bpe only applies with --tokenizer bpe');
  // A BPE vocabulary is the one in --bpe DIR; these would be ignored without a word.
  const unused = ['vocab-size', 'min-count'].filter((flag) => tokenizer === 'bpe' && parsed.values[flag] !== undefined);
  if (unused.length > 0) {
    throw new UsageError(`${unused.map((f) => `--${f}`).join(' and ')} only apply to the word and char tokenizers; with --tokenizer bpe the vocabulary is the one in --bpe DIR`);
  }
  const validation = optionalNumber(parsed, 'validation', 'fraction in [0, 1)');
  const resume = stringFlag(parsed, 'resume');
  const fixed = RESUME_FIXED_FLAGS.filter((flag) => parsed.values[flag] !== undefined);
  if (resume !== undefined && fixed.length > 0) {
    throw new UsageError(
      `--resume continues a run with the settings it was saved with; leave out ${fixed.map((f) => `--${f}`).join(', ')} ` +
      '(with --resume only --epochs, --time-limit, --threads, -o, --resumable and --json apply, and --validation to repeat the saved fraction)',
    );
  }
  const vocabSize = numberFlag(parsed, 'vocab-size', TRAIN_DEFAULTS.vocabSize, 'positive integer');
  if (vocabSize < 2) throw new UsageError(`--vocab-size counts <unk> too, so it must be at least 2, got ${vocabSize}`);
  const threads = numberFlag(parsed, 'threads', 1, 'positive integer');
  if (threads > MAX_THREADS) throw new UsageError(`--threads must be at most ${MAX_THREADS}, got ${threads}`);
  return {
    corpus: parsed.positionals,
    output: stringFlag(parsed, 'output') ?? 'model.safetensors',
    config: {
      cell: choiceFlag<CellType>(parsed, 'cell', CELL_TYPES, TRAIN_DEFAULTS.cell),
      numLayers: numberFlag(parsed, 'layers', TRAIN_DEFAULTS.layers, 'positive integer'),
      embedSize: numberFlag(parsed, 'embed', TRAIN_DEFAULTS.embed, 'positive integer'),
      hiddenSize: numberFlag(parsed, 'hidden', TRAIN_DEFAULTS.hidden, 'positive integer'),
    },
    tokenizer,
    vocabSize,
    minCount: numberFlag(parsed, 'min-count', TRAIN_DEFAULTS.minCount, 'positive integer'),
    bpeDir,
    validation,
    training,
    resume,
    resumeEpochs: optionalNumber(parsed, 'epochs', 'positive integer'),
    resumable: booleanFlag(parsed, 'resumable'),
    timeLimitSeconds: optionalNumber(parsed, 'time-limit', 'positive number'),
    threads,
    json: booleanFlag(parsed, 'json'),
  };
}

async function buildTokenizer(settings: TrainSettings, text: string): Promise<Tokenizer> {
  if (settings.tokenizer === 'bpe') {
    const dir = settings.bpeDir!;
    return BpeTokenizer.fromFiles(await readText(`${dir}/vocab.json`), await readText(`${dir}/merges.txt`));
  }
  const options = { maxSize: settings.vocabSize, minCount: settings.minCount };
  return settings.tokenizer === 'word' ? WordTokenizer.fromCorpus(text, options) : CharTokenizer.fromCorpus(text, options);
}

/**
 * The fraction a resumed run holds out: the one it was saved with, so that it continues on the same split.
 * Checkpoints that predate recording it take --validation (or the default).
 */
function savedValidation(resumed: Checkpoint, settings: TrainSettings): number {
  const saved = resumed.metadata['validation'];
  if (saved === undefined) return settings.validation ?? TRAIN_DEFAULTS.validation;
  const value = saved.trim() === '' ? NaN : Number(saved);
  if (!(value >= 0 && value < 1)) {
    throw new CheckpointError(`${settings.resume}: metadata "validation" is ${JSON.stringify(saved)}, not a fraction in [0, 1); the file is corrupt`);
  }
  if (settings.validation !== undefined && settings.validation !== value) {
    throw new UsageError(`${settings.resume} holds out ${value} of its corpus for validation and continues on that split; leave out --validation`);
  }
  return value;
}

export interface TrainOutcome {
  exitCode: number;
  model: RNNModel;
  tokenizer: Tokenizer;
  result: TrainResult;
  data: TokenSplit;
}

/** Corpora of more characters than this take seconds to tokenize (a 200 MB one minutes, with nothing
 *  else printed before the first step): the command says what it is doing first. */
export const ANNOUNCE_TOKENIZING_CHARS = 10_000_000;

/** Runs a training as the settings say, reporting to `output`; the caller disposes of the model. */
export async function runTraining(settings: TrainSettings, output: Output): Promise<TrainOutcome> {
  const say = (text: string): void => {
    if (!settings.json) output.err(text + '\n');
  };
  const { text, name, files } = await loadCorpus(settings.corpus);
  await checkOutputPath(settings.output, files);
  const resumed = settings.resume === undefined ? null : await loadCheckpoint(settings.resume);
  if (resumed !== null && (resumed.training === null || resumed.tokenizer === null)) {
    throw new CheckpointError(`${settings.resume} cannot be resumed: it was saved without --resumable`);
  }
  if (text.length > ANNOUNCE_TOKENIZING_CHARS) {
    say(`tokenizing ${name}: ${(text.length / 1e6).toFixed(1)} million characters (10 to 50 MB a second), then training starts`);
  }
  const tokenizer = resumed ? tokenizerFromJSON(resumed.tokenizer) : await buildTokenizer(settings, text);
  // A resumed run holds out the same text as before, so that it continues on the same split.
  const heldOut = resumed ? savedValidation(resumed, settings) : settings.validation ?? TRAIN_DEFAULTS.validation;
  const { ids, ...data } = tokenizeCorpus(text, tokenizer, heldOut);
  if (heldOut > 0 && data.validation.length === 0) {
    output.err(`warning: a validation fraction of ${heldOut} holds out none of ${ids.length} tokens; no validation loss will be reported\n`);
  }
  const fingerprint = tokenFingerprint(ids);
  if (resumed && resumed.metadata['corpus_fingerprint'] !== fingerprint) {
    // The checkpoint names its corpus; without corpus arguments the built-in corpus was read instead, which
    // "a different corpus" alone does not tell.
    const trainedOn = resumed.metadata['corpus'] === undefined ? '' : ` (${resumed.metadata['corpus']})`;
    const given = settings.corpus.length === 0 ? 'no corpus files were given, so the built-in corpus was read; ' : '';
    throw new CheckpointError(
      `${settings.resume} was trained on a different corpus${trainedOn} (${resumed.metadata['corpus_fingerprint']} tokens:hash, now ${fingerprint}); ` +
        `${given}pass the same corpus files: textloom train FILE... --resume ${settings.resume}`,
    );
  }
  const config: RNNConfig = resumed ? resumed.config : { ...settings.config, vocabSize: tokenizer.vocabSize };
  const options: TrainSettings['training'] = resumed
    ? { ...(resumed.training!.options as TrainSettings['training']), ...(settings.resumeEpochs ? { epochs: settings.resumeEpochs } : {}) }
    : settings.training;
  if (options.earlyStopping !== undefined && heldOut === 0) {
    throw new UsageError('--patience watches the validation loss, so it needs held-out text: leave out --validation 0');
  }
  if (resumed && resumed.training!.trainer.epoch >= options.epochs) {
    throw new CheckpointError(
      `${settings.resume} finished all ${options.epochs} epochs of its run; pass --epochs with a larger total to train it further`,
    );
  }
  const model = await RNNModel.create(config, { seed: options.seed ?? 0, threads: settings.threads });
  if (resumed) restoreModel(model, resumed);

  say(`corpus: ${name}, ${ids.length} ${tokenizer.kind} tokens (${data.validation.length} held out), vocabulary ${tokenizer.vocabSize}`);
  const threads = model.threads > 1 ? ` on ${model.threads} threads` : '';
  say(`model: ${describeConfig(config)}, ${model.kernelVariant} SIMD kernels${threads}${resumed ? `, resuming at epoch ${resumed.training!.trainer.epoch + 1}` : ''}`);

  const reporter = progressReporter(output, settings.json);
  const controller = new AbortController();
  // Which of the two stopped the run decides whether it counts as interrupted (resumable, exit 130) or
  // as having reached its time limit: a Ctrl-C under --time-limit is still a Ctrl-C.
  let timedOut = false;
  const interrupt = (): void => controller.abort();
  // The step or epoch-end validation under way finishes first, then the model is measured and saved: on
  // a large corpus that takes a while, and a second Ctrl-C (which quits at once) would lose the run.
  const onSigint = (): void => {
    reporter.finish();
    say('stopping after the current step: measuring the validation loss, then saving a resumable checkpoint (Ctrl-C again quits without saving)');
    interrupt();
  };
  process.once('SIGINT', onSigint);
  const timer = settings.timeLimitSeconds === undefined ? null : setTimeout(() => {
    timedOut = !controller.signal.aborted;
    interrupt();
  }, settings.timeLimitSeconds * 1000);
  let result: TrainResult;
  try {
    const run: TrainOptions = { ...options, signal: controller.signal, onProgress: (e) => reporter.onProgress(e) };
    if (resumed) run.resume = resumed.training!.trainer;
    result = await train(model, data, run);
  } finally {
    reporter.finish();
    process.removeListener('SIGINT', onSigint);
    if (timer !== null) clearTimeout(timer);
  }
  const interrupted = result.reason === 'aborted' && !timedOut;
  // A stopped run has trained past its last epoch-end validation; measure the model as saved, unless it
  // stopped right after that validation (a Ctrl-C during it), which already measured this model.
  const measured = result.valLoss !== null && result.state.batchIndex === 0;
  if (result.reason === 'aborted' && data.validation.length > 0 && !measured) {
    const loss = await evaluateLoss(model, data.validation, options.batchSize, options.seqLen);
    result = { ...result, valLoss: loss, valPerplexity: Math.exp(loss) };
  }
  const metadata: Record<string, string> = { corpus: name, corpus_fingerprint: fingerprint, validation: String(heldOut) };
  if (result.valPerplexity !== null) metadata['validation_perplexity'] = result.valPerplexity.toFixed(3);
  const resumable = settings.resumable || interrupted;
  await saveCheckpoint(
    settings.output,
    modelContent(model, config, {
      tokenizer: tokenizer.toJSON(),
      metadata,
      ...(resumable ? { trainer: result.state, options: options as Record<string, unknown> } : {}),
    }),
  );
  const summary = {
    type: 'result',
    reason: result.reason,
    output: settings.output,
    resumable,
    steps: result.state.globalStep,
    kernels: model.kernelVariant,
    tokensPerSecond: result.tokensPerSecond,
    valLoss: result.valLoss,
    valPerplexity: result.valPerplexity,
  };
  if (settings.json) output.out(JSON.stringify(summary) + '\n');
  const validation = result.valPerplexity === null ? '' : `, validation perplexity ${result.valPerplexity.toFixed(1)}`;
  const why = result.reason === 'completed' ? 'done' : result.reason === 'early-stopping' ? 'stopped early (no validation improvement)' : interrupted ? 'interrupted' : 'time limit reached';
  say(`${why}: ${result.state.globalStep} steps, ${formatRate(result.tokensPerSecond)}${validation}`);
  say(`saved ${settings.output}${resumable ? ` (resumable: textloom train ... --resume ${settings.output})` : ''}`);
  return { exitCode: interrupted ? EXIT_INTERRUPTED : EXIT_OK, model, tokenizer, result, data };
}

export async function trainCommand(argv: string[], output: Output): Promise<number> {
  const parsed = parse(argv, FLAGS);
  if (booleanFlag(parsed, 'help')) {
    output.out(TRAIN_HELP + '\n');
    return EXIT_OK;
  }
  const started = Date.now();
  const outcome = await runTraining(trainSettings(parsed), output);
  outcome.model.dispose();
  if (!parsed.values['json']) output.err(`total time ${formatDuration(Date.now() - started)}\n`);
  return outcome.exitCode;
}
