/**
 * The generation flags shared by `generate`, `chat` and `demo`, and loading a trained model with its
 * tokenizer from a checkpoint file.
 */
import {
  CheckpointError, loadCheckpoint, RNNModel, tokenizerFromJSON, type Checkpoint, type TextGenerationOptions, type Tokenizer,
} from '../index.js';
import { booleanFlag, listFlag, numberFlag, optionalNumber, UsageError, type FlagSpec, type Parsed } from './args.js';
import type { FlagTerms } from './flag-terms.js';

export const SAMPLING_FLAGS: FlagSpec = {
  length: { type: 'string', short: 'n' },
  sample: { type: 'boolean' },
  temperature: { type: 'string', short: 't' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  'no-repeat-ngram': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
};

/** The flags behind the generation options the library's messages name; "seed" there is the seed text. */
export const SAMPLING_TERMS: FlagTerms = {
  maxNewTokens: 'length',
  doSample: 'sample',
  temperature: 'temperature',
  topK: 'top-k',
  topP: 'top-p',
  repetitionPenalty: 'repetition-penalty',
  noRepeatNgramSize: 'no-repeat-ngram',
  stop: 'stop',
};

export const SAMPLING_HELP = `Generation:
  -n, --length N              new tokens at most (default 50)
      --sample                sample instead of always taking the most likely token
  -t, --temperature T         > 0; higher is more random (sampling; default 1)
      --top-k K               keep the K most likely tokens (sampling; 0 = all; default 50)
      --top-p P               keep the smallest set of tokens whose probability reaches P, in (0, 1]
                              (sampling; default 1)
      --repetition-penalty R  > 0; above 1 discourages tokens already in the text (default 1 = off)
      --no-repeat-ngram N     never repeat a sequence of N tokens (default 0 = off)
      --seed S                sampling seed, 0 to 4294967295; the same seed gives the same text
      --stop WORD             stop after generating WORD (repeatable)`;

export function samplingOptions(parsed: Parsed): TextGenerationOptions {
  const options: TextGenerationOptions = { maxNewTokens: numberFlag(parsed, 'length', 50, 'positive integer') };
  const sample = booleanFlag(parsed, 'sample');
  const temperature = optionalNumber(parsed, 'temperature', 'positive number');
  const topK = optionalNumber(parsed, 'top-k', 'non-negative integer');
  const topP = optionalNumber(parsed, 'top-p', 'positive number');
  if (!sample && (temperature !== undefined || topK !== undefined || topP !== undefined)) {
    throw new UsageError('--temperature, --top-k and --top-p only apply when sampling; add --sample');
  }
  if (topP !== undefined && topP > 1) throw new UsageError(`--top-p must be in (0, 1], got ${topP}`);
  if (sample) options.doSample = true;
  if (temperature !== undefined) options.temperature = temperature;
  if (topK !== undefined) options.topK = topK;
  if (topP !== undefined) options.topP = topP;
  const penalty = optionalNumber(parsed, 'repetition-penalty', 'positive number');
  if (penalty !== undefined) options.repetitionPenalty = penalty;
  const ngram = optionalNumber(parsed, 'no-repeat-ngram', 'non-negative integer');
  if (ngram !== undefined) options.noRepeatNgramSize = ngram;
  const seed = optionalNumber(parsed, 'seed', 'seed');
  if (seed !== undefined) options.seed = seed;
  const stop = listFlag(parsed, 'stop');
  if (stop.includes('')) throw new UsageError('--stop needs a word, got an empty string');
  if (stop.length > 0) options.stop = stop;
  return options;
}

export interface LoadedModel {
  model: RNNModel;
  tokenizer: Tokenizer;
  checkpoint: Checkpoint;
}

/** Builds the model of a checkpoint and its tokenizer; a file without a tokenizer cannot generate text. */
export async function loadModel(path: string): Promise<LoadedModel> {
  // Generation never resumes training: the optimizer's moments (twice the weights) stay unread.
  const checkpoint = await loadCheckpoint(path, { training: false });
  if (checkpoint.tokenizer === null) {
    throw new CheckpointError(
      `${path} holds weights but no tokenizer (it was not written by textloom train), so its ids cannot be turned into text`,
    );
  }
  const tokenizer = tokenizerFromJSON(checkpoint.tokenizer);
  if (tokenizer.vocabSize !== checkpoint.config.vocabSize) {
    throw new CheckpointError(
      `${path}: its tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${checkpoint.config.vocabSize}; the file is inconsistent`,
    );
  }
  const model = await RNNModel.create(checkpoint.config);
  model.loadStateDict(checkpoint.weights);
  return { model, tokenizer, checkpoint };
}
