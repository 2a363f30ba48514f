/**
 * `textloom demo`: the first thing to run. Trains a word-level LSTM on the built-in corpus for about
 * two minutes on two cores, downloading nothing, then prints text generated from a few seeds.
 */
import { generateText } from '../index.js';
import { booleanFlag, numberFlag, parse, stringFlag, UsageError, EXIT_OK, type Output } from './args.js';
import { formatRate } from './progress.js';
import { runTraining, TRAIN_DEFAULTS, type TrainSettings } from './train.js';

/**
 * Tuned on the built-in corpus: validation perplexity 170 after 6 epochs (a cosine schedule over 5
 * gives 177), about a minute of one core. Smaller models or no weight decay stay near 180-190. The time
 * limit caps slow or busy machines.
 */
const DEMO_SETTINGS = {
  epochs: 6,
  lr: 0.004,
  weightDecay: 0.05,
  timeLimitSeconds: 170,
  seeds: ['it is a truth universally acknowledged', 'mr darcy', 'elizabeth was'],
};

export const DEMO_HELP = `Usage: textloom demo [-o textloom-demo.safetensors] [--epochs N] [--time-limit S]

Trains a word-level LSTM on the built-in corpus (Pride and Prejudice, Volume I; public domain) for about
two minutes, reports the validation perplexity against a unigram model's, and prints generated text.
The model is saved, so you can continue with:
  textloom generate textloom-demo.safetensors "it is a truth"
  textloom chat textloom-demo.safetensors

  -o, --output PATH           checkpoint to write (default textloom-demo.safetensors)
  -e, --epochs N              passes over the corpus (default ${DEMO_SETTINGS.epochs})
      --time-limit S          stop training after S seconds (default ${DEMO_SETTINGS.timeLimitSeconds})
      --seed N                seed of the weights and of sampling, 0 to 4294967295 (default 0)
      --json                  progress and result as JSON lines on stdout
  -h, --help                  this help`;

/** Perplexity on `validation` of add-one unigram counts from `train`: the bar a model must clear. */
export function unigramPerplexity(train: Int32Array, validation: Int32Array, vocabSize: number): number {
  const counts = new Float64Array(vocabSize).fill(1);
  for (const id of train) counts[id]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  let nll = 0;
  for (const id of validation) nll -= Math.log(counts[id]! / total);
  return Math.exp(nll / validation.length);
}

export async function demoCommand(argv: string[], output: Output): Promise<number> {
  const parsed = parse(argv, {
    output: { type: 'string', short: 'o' },
    epochs: { type: 'string', short: 'e' },
    'time-limit': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (booleanFlag(parsed, 'help')) {
    output.out(DEMO_HELP + '\n');
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`demo trains on the built-in corpus and takes no arguments (got ${JSON.stringify(parsed.positionals[0])}); textloom train FILE trains on your own text`);
  }
  const seed = numberFlag(parsed, 'seed', 0, 'seed');
  const json = booleanFlag(parsed, 'json');
  const settings: TrainSettings = {
    corpus: [],
    output: stringFlag(parsed, 'output') ?? 'textloom-demo.safetensors',
    config: { cell: TRAIN_DEFAULTS.cell, numLayers: TRAIN_DEFAULTS.layers, embedSize: TRAIN_DEFAULTS.embed, hiddenSize: TRAIN_DEFAULTS.hidden },
    tokenizer: 'word',
    vocabSize: TRAIN_DEFAULTS.vocabSize,
    minCount: TRAIN_DEFAULTS.minCount,
    bpeDir: undefined,
    validation: TRAIN_DEFAULTS.validation,
    training: {
      epochs: numberFlag(parsed, 'epochs', DEMO_SETTINGS.epochs, 'positive integer'),
      lr: DEMO_SETTINGS.lr,
      lrSchedule: 'cosine',
      weightDecay: DEMO_SETTINGS.weightDecay,
      batchSize: TRAIN_DEFAULTS.batch,
      seqLen: TRAIN_DEFAULTS.seq,
      clip: TRAIN_DEFAULTS.clip,
      seed,
    },
    resume: undefined,
    resumeEpochs: undefined,
    resumable: false,
    timeLimitSeconds: numberFlag(parsed, 'time-limit', DEMO_SETTINGS.timeLimitSeconds, 'positive number'),
    threads: 1,
    json,
  };
  const { exitCode, model, tokenizer, result, data } = await runTraining(settings, output);
  try {
    // Ctrl-C stops the demo, not just its training: the run is saved (resumable) and nothing more is printed.
    if (exitCode !== EXIT_OK) return exitCode;
    const unigram = unigramPerplexity(data.train, data.validation, tokenizer.vocabSize);
    const samples = [];
    for (const [i, text] of DEMO_SETTINGS.seeds.entries()) {
      const generated = await generateText(model, tokenizer, text, {
        maxNewTokens: 40,
        doSample: true,
        temperature: 0.8,
        topK: 40,
        noRepeatNgramSize: 3,
        seed: (seed + i) >>> 0,
      });
      samples.push({ seed: text, text: generated.text, tokensPerSecond: generated.tokensPerSecond });
    }
    if (json) {
      output.out(JSON.stringify({ type: 'demo', valPerplexity: result.valPerplexity, unigramPerplexity: unigram, samples }) + '\n');
    } else {
      output.out(`\nValidation perplexity ${result.valPerplexity?.toFixed(1)} (a unigram model: ${unigram.toFixed(1)}).\n\n`);
      for (const s of samples) output.out(`${s.seed} ... ${s.text}\n\n`);
      const rate = samples.reduce((a, s) => a + s.tokensPerSecond, 0) / samples.length;
      output.out(`(generation ${formatRate(rate)}; try: textloom chat ${settings.output})\n`);
    }
  } finally {
    model.dispose();
  }
  return EXIT_OK;
}
