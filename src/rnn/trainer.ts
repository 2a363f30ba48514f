/**
 * Training loop for RNN language models: truncated BPTT over contiguous streams (src/rnn/dataset.ts),
 * the hidden state carried from batch to batch and detached (the model's trainStep does both), Adam with
 * an optional learning-rate schedule, gradient clipping, validation at the end of each epoch, early
 * stopping, progress events, a cooperative AbortSignal and an exact resume point.
 *
 * Each epoch starts the B streams at a random offset in [0, seqLen) drawn from the trainer's seeded
 * generator, so successive epochs cut the text at different places; the hidden state is reset then
 * because the streams jump.
 */
import { checkOptionKeys, optionKeys } from '../util/options.js';
import { isSeed, Random, SEED_RANGE } from '../util/random.js';
import { now, yieldToEventLoop } from '../platform/index.js';
import { StreamBatches, validationBatches, type TokenSplit } from './dataset.js';
import { learningRate, LR_SCHEDULES, type LrScheduleName } from './lr-schedule.js';
import { describeArgument, optionValue, requireArgument } from '../util/arguments.js';
import { AN_RNN_MODEL, requireInt32Array } from './validate.js';

/** The recurrent state as the trainer uses it (see RNNModel.createState). */
export interface TrainableState {
  readonly batch: number;
  reset(): void;
  toArrays(): Float32Array[];
  loadArrays(arrays: Float32Array[]): void;
}

/** What the trainer needs from a model; RNNModel provides it. */
export interface TrainableModel<S extends TrainableState = TrainableState> {
  /** With it, train() checks every token id against the vocabulary before the first step. */
  readonly config?: { readonly vocabSize: number };
  createState(batch: number): S;
  trainStep(
    inputs: Int32Array, // (T, B)
    targets: Int32Array, // (T, B)
    T: number,
    B: number,
    state: S,
    options: { lr: number; weightDecay?: number; clipNorm?: number },
  ): { loss: number; gradNorm: number };
  evaluate(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: S): number;
}

/**
 * The progress event sent after every training step. Counters are 1-based; `tokensPerSecond` and
 * `etaMs` come from the time spent in training steps during this train() call (validation excluded).
 */
export interface StepProgress {
  /** 'step': tells it from an EpochProgress. */
  type: 'step';
  /** The epoch in progress, 1-based. */
  epoch: number;
  /** Epochs of the whole run. */
  epochs: number;
  /** This step within the epoch, 1-based. */
  step: number;
  /** Steps of every epoch. */
  stepsPerEpoch: number;
  /** This step over the whole run (resumed runs included), 1-based. */
  globalStep: number;
  /** Steps of the whole run: epochs x stepsPerEpoch. */
  totalSteps: number;
  /** Mean cross-entropy of this step's batch. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Mean loss of this epoch so far. */
  averageLoss: number;
  /** Global gradient norm before clipping, as the model reports it. */
  gradNorm: number;
  /** Learning rate of this step, after warmup and schedule. */
  lr: number;
  /** Training throughput of this train() call so far; 0 while the clock has measured no time. */
  tokensPerSecond: number;
  /** Milliseconds since this train() call started. */
  elapsedMs: number;
  /** Estimated milliseconds of training left in the run, from the mean time of this call's steps. */
  etaMs: number;
}

/** The progress event sent at the end of every epoch, after validation. */
export interface EpochProgress {
  /** 'epoch': tells it from a StepProgress. */
  type: 'epoch';
  /** The epoch just finished, 1-based. */
  epoch: number;
  /** Epochs of the whole run. */
  epochs: number;
  /** Mean loss of the epoch's steps. */
  trainLoss: number;
  /** exp(trainLoss). */
  trainPerplexity: number;
  /** Mean cross-entropy of the validation split (from a zero state); null when validation is off. */
  valLoss: number | null;
  /** exp(valLoss); null when validation is off. */
  valPerplexity: number | null;
  /** Training throughput of this train() call so far (validation excluded). */
  tokensPerSecond: number;
  /** Milliseconds since this train() call started. */
  elapsedMs: number;
}

/** What `onProgress` receives: a StepProgress after each step, an EpochProgress after each epoch (see `type`). */
export type TrainProgress = StepProgress | EpochProgress;

/**
 * Options of train(). `epochs`, `lr`, `batchSize` and `seqLen` are required; train() rejects with a
 * RangeError naming the first invalid option before any step runs.
 */
export interface TrainOptions {
  /** Passes over the training split, a positive integer; with `resume`, the total of the whole run. */
  epochs: number;
  /** Base learning rate of Adam, > 0; `warmupSteps` and `lrSchedule` scale it step by step. */
  lr: number;
  /** B: the training ids are cut into this many contiguous streams, trained side by side (a positive integer). */
  batchSize: number;
  /** T: tokens of each stream per step, the truncated-BPTT window (a positive integer); the hidden state carries over. */
  seqLen: number;
  /** Maximum global gradient norm; 0 or absent disables clipping. */
  clip?: number | undefined;
  /** Weight decay of the Adam step, >= 0 (RNNModel applies it decoupled, as AdamW). Default 0. */
  weightDecay?: number | undefined;
  /** 'constant' (default), or 'cosine' / 'linear' decay toward zero over the steps after warmup. */
  lrSchedule?: LrScheduleName | undefined;
  /** Steps of linear warmup before the schedule. Default 0. */
  warmupSteps?: number | undefined;
  /** Evaluate `data.validation` at the end of each epoch. Default: true when there is validation data. */
  validation?: boolean | undefined;
  /** Stop when the validation loss has not improved by `minDelta` for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number | undefined } | undefined;
  /** Seed of the epoch offsets. Default 0. */
  seed?: number | undefined;
  /** Checked before every step: once aborted, train() resolves with reason 'aborted' and a `state` to resume from. */
  signal?: AbortSignal | undefined;
  /** Called synchronously after every step (StepProgress) and at the end of every epoch (EpochProgress). */
  onProgress?: ((event: TrainProgress) => void) | undefined;
  /**
   * Continue from a state returned by an earlier (stopped) run, on the same data with the same batchSize
   * and seqLen (anything else is refused); lr, clip, weightDecay, lrSchedule and warmupSteps may change
   * and apply from the next step, and `epochs` may grow.
   */
  resume?: TrainerState | undefined;
}

/** Everything besides the model's weights and Adam moments that an exact resume needs. */
export interface TrainerState {
  /** 0-based epoch in progress. */
  epoch: number;
  /** Next batch of that epoch. */
  batchIndex: number;
  /** Steps done over the whole run. */
  globalStep: number;
  /** Stream offset of the epoch in progress. */
  offset: number;
  rng: number[];
  /** The carried hidden state (RecurrentState.toArrays()). */
  hidden: Float32Array[];
  /** Running sum of this epoch's losses and its step count. */
  epochLossSum: number;
  bestValLoss: number | null;
  epochsWithoutImprovement: number;
  /** The run's batchSize, seqLen and training-split length, which a resume must match (absent from older checkpoints). */
  batchSize?: number;
  seqLen?: number;
  trainTokens?: number;
}

/**
 * Why train() returned: 'completed' (every epoch ran), 'aborted' (the signal fired; TrainResult.state
 * resumes the run) or 'early-stopping' (the validation loss stopped improving).
 */
export type StopReason = 'completed' | 'aborted' | 'early-stopping';

/** What train() resolves with, however the run ended. */
export interface TrainResult {
  /** Why the run ended: 'completed', 'aborted' or 'early-stopping'. */
  reason: StopReason;
  /** Loss of every step run by this call, in order. */
  losses: number[];
  /** The event of every epoch this call finished. */
  epochs: EpochProgress[];
  /** Last validation loss, when validation ran; else null. */
  valLoss: number | null;
  /** exp(valLoss), when validation ran; else null. */
  valPerplexity: number | null;
  /** Training throughput of this call (validation excluded); 0 when no step ran. */
  tokensPerSecond: number;
  /** Where to continue (pass as `resume`), with the model's own state saved alongside. */
  state: TrainerState;
}

/** Keeps the page responsive without paying for a yield after every short step. */
const YIELD_INTERVAL_MS = 12;

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`train: ${message}`);
}

const TRAIN_OPTION_KEYS = optionKeys<TrainOptions>({
  epochs: true, lr: true, batchSize: true, seqLen: true, clip: true, weightDecay: true, lrSchedule: true,
  warmupSteps: true, validation: true, earlyStopping: true, seed: true, signal: true, onProgress: true, resume: true,
});

const TOKEN_IDS = 'tokenizeCorpus() and splitValidation() give them';

function validateData(data: TokenSplit): void {
  if (data === null || typeof data !== 'object' || ArrayBuffer.isView(data) || Array.isArray(data)) {
    throw new TypeError(`train: data must be { train, validation } token ids (${TOKEN_IDS}: splitValidation(ids, 0.1) splits an Int32Array), got ${describeArgument(data)}`);
  }
  requireInt32Array('train', 'data.train', data.train, TOKEN_IDS);
  requireInt32Array('train', 'data.validation', data.validation, TOKEN_IDS);
}

function validateOptions(options: TrainOptions, data: TokenSplit): void {
  checkOptionKeys('train', options, TRAIN_OPTION_KEYS);
  const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  check(positiveInt(options.epochs), `epochs must be a positive integer, got ${optionValue(options.epochs)}`);
  check(positiveInt(options.batchSize), `batchSize must be a positive integer, got ${optionValue(options.batchSize)}`);
  check(positiveInt(options.seqLen), `seqLen must be a positive integer, got ${optionValue(options.seqLen)}`);
  check(Number.isFinite(options.lr) && options.lr > 0, `lr must be a positive number, got ${optionValue(options.lr)}`);
  if (options.clip !== undefined) {
    check(Number.isFinite(options.clip) && options.clip >= 0, `clip must be >= 0 (0 disables clipping), got ${optionValue(options.clip)}`);
  }
  if (options.weightDecay !== undefined) {
    check(Number.isFinite(options.weightDecay) && options.weightDecay >= 0, `weightDecay must be >= 0, got ${optionValue(options.weightDecay)}`);
    // Each step scales the weights by 1 - lr x weightDecay: at 1 or more that zeroes them or flips their sign.
    check(options.lr * options.weightDecay < 1, `lr x weightDecay must be below 1 (each step scales the weights by ` +
      `1 - lr x weightDecay), got ${options.lr} x ${options.weightDecay}; weight decay is usually 0.01 to 0.1`);
  }
  if (options.lrSchedule !== undefined) {
    check(
      LR_SCHEDULES.includes(options.lrSchedule),
      `lrSchedule must be one of ${LR_SCHEDULES.join(', ')}, got ${JSON.stringify(options.lrSchedule)}`,
    );
  }
  if (options.warmupSteps !== undefined) {
    check(Number.isInteger(options.warmupSteps) && options.warmupSteps >= 0, `warmupSteps must be a non-negative integer, got ${optionValue(options.warmupSteps)}`);
  }
  if (options.seed !== undefined) check(isSeed(options.seed), `seed must be ${SEED_RANGE}, got ${optionValue(options.seed)}`);
  if (options.onProgress !== undefined) check(typeof options.onProgress === 'function', 'onProgress must be a function');
  if (options.validation !== undefined) check(typeof options.validation === 'boolean', `validation must be true or false, got ${JSON.stringify(options.validation)}`);
  if (options.signal !== undefined) {
    check(typeof (options.signal as { aborted?: unknown } | null)?.aborted === 'boolean', 'signal must be an AbortSignal (AbortController.signal)');
  }
  if (options.resume !== undefined) checkResumeState(options.resume, options, data);
  if (options.validation === true) {
    check(data.validation.length > 0, 'validation is on but there is no validation data; hold out a fraction of the corpus');
  }
  if (options.earlyStopping !== undefined) {
    checkOptionKeys('train: earlyStopping', options.earlyStopping, ['patience', 'minDelta']);
    const { patience, minDelta } = options.earlyStopping;
    check(positiveInt(patience), `earlyStopping.patience must be a positive integer, got ${optionValue(patience)}`);
    check(minDelta === undefined || (Number.isFinite(minDelta) && minDelta >= 0), `earlyStopping.minDelta must be >= 0, got ${optionValue(minDelta)}`);
    check(data.validation.length > 0 && options.validation !== false, 'earlyStopping needs validation data and validation on');
  }
}

/** A resume point must be a TrainResult's `state` or a checkpoint's `training.trainer`, as they were saved. */
function checkResumeState(state: TrainerState, options: TrainOptions, data: TokenSplit): void {
  const where = 'resume must be the state of a TrainResult or a checkpoint\'s training.trainer';
  const { seqLen } = options;
  check(state !== null && typeof state === 'object', `${where}, got ${JSON.stringify(state)}`);
  // The step counts, the stream offsets and the carried hidden state all follow from these.
  for (const key of ['batchSize', 'seqLen'] as const) {
    check(state[key] === undefined || state[key] === options[key],
      `resume continues a run with ${key} ${state[key]}, not ${options[key]}; pass ${key}: ${state[key]} to continue it exactly`);
  }
  check(state.trainTokens === undefined || state.trainTokens === data.train.length,
    `resume continues a run on a training split of ${state.trainTokens} tokens, not ${data.train.length}; ` +
      'pass the same data (the same text, tokenizer and validation fraction)');
  const count = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  for (const key of ['epoch', 'batchIndex', 'globalStep', 'epochsWithoutImprovement'] as const) {
    check(count(state[key]), `${where}: its ${key} is ${JSON.stringify(state[key])}, not a non-negative integer`);
  }
  check(count(state.offset) && state.offset < seqLen, `${where} of a run with this seqLen (${seqLen}): its offset is ${JSON.stringify(state.offset)}`);
  check(Number.isFinite(state.epochLossSum), `${where}: its epochLossSum is ${JSON.stringify(state.epochLossSum)}`);
  check(state.bestValLoss === null || Number.isFinite(state.bestValLoss), `${where}: its bestValLoss is ${JSON.stringify(state.bestValLoss)}`);
  check(Array.isArray(state.rng), `${where}: its rng is ${JSON.stringify(state.rng)}, not Random.getState()`);
  check(Array.isArray(state.hidden) && state.hidden.every((h) => h instanceof Float32Array), `${where}: its hidden is not an array of Float32Array`);
}

/** Refuses ids outside the model's vocabulary before any step, naming the first: mid-run, the error would come late or not at all. */
function checkIds(ids: Int32Array, label: string, vocabSize: number): void {
  let i = 0;
  while (i < ids.length && ids[i]! >= 0 && ids[i]! < vocabSize) i++;
  check(i === ids.length, `${label}[${i}] is ${ids[i]}, outside the model's vocabulary [0, ${vocabSize}); ` +
    'encode the text with the tokenizer the model was created for (vocabSize = tokenizer.vocabSize)');
}

/**
 * Stops a run whose loss, perplexity or gradient norm is no longer a finite number: past that the model
 * has stopped learning, and every later figure would be noise.
 */
function checkDiverged(what: string, loss: number, gradNorm: number, options: TrainOptions): void {
  if (Number.isFinite(Math.exp(loss)) && Number.isFinite(gradNorm)) return;
  const norm = Number.isFinite(gradNorm) ? '' : `, the gradient norm ${gradNorm}`;
  const clip = options.clip ? `or clip (now ${options.clip})` : 'or set clip (e.g. 1)';
  throw new RangeError(`train: the loss became ${loss} (perplexity ${Math.exp(loss)}${norm}) ${what}: training diverged; ` +
    `lower lr (now ${options.lr}) ${clip}`);
}

/** Mean cross-entropy of `ids` under the model, with a fresh state, in batches of the training shape. */
export async function evaluateLoss(
  model: TrainableModel,
  ids: Int32Array,
  batchSize: number,
  seqLen: number,
): Promise<number> {
  requireArgument('evaluateLoss', 'the model', model, AN_RNN_MODEL, ['createState', 'evaluate']);
  requireInt32Array('evaluateLoss', 'ids', ids, TOKEN_IDS);
  const batches = validationBatches(ids, batchSize, seqLen);
  const state = model.createState(batches.batchSize);
  let sum = 0;
  let lastYield = now();
  for (const batch of batches) {
    sum += model.evaluate(batch.inputs, batch.targets, batch.seqLen, batch.batchSize, state);
    if (now() - lastYield > YIELD_INTERVAL_MS) {
      await yieldToEventLoop();
      lastYield = now();
    }
  }
  return sum / batches.count;
}

/**
 * A stream offset in [0, seqLen) small enough that the epoch still has as many whole batches as at
 * offset 0, so every epoch has the same number of steps and the schedule and ETA are exact.
 */
function epochOffset(rng: Random, seqLen: number, trainLength: number, batchSize: number): number {
  const steps = Math.floor((Math.floor(trainLength / batchSize) - 1) / seqLen);
  const spare = trainLength - batchSize * (steps * seqLen + 1);
  return rng.int(Math.min(seqLen, spare + 1));
}

/**
 * Trains `model` (an RNNModel, updated in place) on `data.train` with truncated BPTT and Adam, evaluating
 * `data.validation` (when not empty) after each epoch. Resolves when every epoch has run, early stopping ends the run or
 * `signal` aborts it; rejects with a RangeError for invalid options, token ids outside the model's
 * vocabulary, or a diverged run (a loss, perplexity or gradient norm that is no longer finite: a step
 * with non-finite gradients changes no weight, so no NaN reaches the model),
 * and with a CorpusError when the training split (or, with validation on, the validation split) is too
 * short for one batch. Yields to the event loop every 12 ms or so, so a page stays responsive.
 *
 * `await train(model, splitValidation(ids, 0.1), { epochs: 3, lr: 0.005, batchSize: 16, seqLen: 32 })`
 */
export async function train(model: TrainableModel, data: TokenSplit, options: TrainOptions): Promise<TrainResult> {
  requireArgument('train', 'the model', model, AN_RNN_MODEL, ['createState', 'trainStep', 'evaluate']);
  validateData(data);
  validateOptions(options, data);
  const { epochs, batchSize, seqLen } = options;
  const clip = options.clip ?? 0;
  const schedule = options.lrSchedule ?? 'constant';
  const warmup = options.warmupSteps ?? 0;
  const validate = options.validation ?? data.validation.length > 0;
  const minDelta = options.earlyStopping?.minDelta ?? 0;
  const stepsPerEpoch = new StreamBatches(data.train, batchSize, seqLen, 0, 'the training split').count;
  const totalSteps = epochs * stepsPerEpoch;
  if (validate) validationBatches(data.validation, batchSize, seqLen);
  const vocabSize = model.config?.vocabSize;
  if (vocabSize !== undefined) {
    checkIds(data.train, 'data.train', vocabSize);
    if (validate) checkIds(data.validation, 'data.validation', vocabSize);
  }

  const rng = new Random(options.seed ?? 0);
  const hidden = model.createState(batchSize);
  const resumed = options.resume;
  const shape = { batchSize, seqLen, trainTokens: data.train.length };
  const s: TrainerState = resumed
    ? { ...resumed, ...shape, hidden: [] }
    : {
        epoch: 0,
        batchIndex: 0,
        globalStep: 0,
        offset: epochOffset(rng, seqLen, data.train.length, batchSize),
        rng: [],
        hidden: [],
        epochLossSum: 0,
        bestValLoss: null,
        epochsWithoutImprovement: 0,
        ...shape,
      };
  if (resumed) {
    check(resumed.epoch < epochs, `cannot resume at epoch ${resumed.epoch + 1}: the run has ${epochs} epochs`);
    rng.setState(resumed.rng);
    hidden.loadArrays(resumed.hidden);
  }

  const losses: number[] = [];
  const epochEvents: EpochProgress[] = [];
  let valLoss: number | null = null;
  let reason: StopReason = 'completed';
  const start = now();
  let trainMs = 0;
  let tokens = 0;
  let lastYield = start;

  // A coarse clock (browsers round it to 0.1 ms or more) can measure tiny steps as taking no time at all.
  const tokensPerSecond = (): number => (trainMs > 0 ? tokens / (trainMs / 1000) : 0);
  const snapshot = (): TrainerState => ({ ...s, rng: rng.getState(), hidden: hidden.toArrays().map((a) => a.slice()) });

  outer: while (s.epoch < epochs) {
    const batches = new StreamBatches(data.train, batchSize, seqLen, s.offset, 'the training split');
    while (s.batchIndex < batches.count) {
      if (options.signal?.aborted) {
        reason = 'aborted';
        break outer;
      }
      const stepStart = now();
      const batch = batches.batch(s.batchIndex);
      const lr = learningRate(schedule, options.lr, s.globalStep, totalSteps, warmup);
      const stepOptions: { lr: number; weightDecay?: number; clipNorm?: number } = { lr };
      if (options.weightDecay) stepOptions.weightDecay = options.weightDecay;
      if (clip > 0) stepOptions.clipNorm = clip;
      const { loss, gradNorm } = model.trainStep(batch.inputs, batch.targets, seqLen, batchSize, hidden, stepOptions);
      checkDiverged(`at epoch ${s.epoch + 1}, step ${s.batchIndex + 1} (step ${s.globalStep + 1} of the run)`, loss, gradNorm, options);
      trainMs += now() - stepStart;
      tokens += seqLen * batchSize;
      losses.push(loss);
      s.epochLossSum += loss;
      s.batchIndex++;
      s.globalStep++;
      options.onProgress?.({
        type: 'step',
        epoch: s.epoch + 1,
        epochs,
        step: s.batchIndex,
        stepsPerEpoch: batches.count,
        globalStep: s.globalStep,
        totalSteps,
        loss,
        perplexity: Math.exp(loss),
        averageLoss: s.epochLossSum / s.batchIndex,
        gradNorm,
        lr,
        tokensPerSecond: tokensPerSecond(),
        elapsedMs: now() - start,
        etaMs: (Math.max(0, totalSteps - s.globalStep) * trainMs) / losses.length,
      });
      if (now() - lastYield > YIELD_INTERVAL_MS) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }

    const trainLoss = s.epochLossSum / Math.max(1, s.batchIndex);
    valLoss = validate ? await evaluateLoss(model, data.validation, batchSize, seqLen) : null;
    if (valLoss !== null) checkDiverged(`on the validation split after epoch ${s.epoch + 1}`, valLoss, 0, options);
    const event: EpochProgress = {
      type: 'epoch',
      epoch: s.epoch + 1,
      epochs,
      trainLoss,
      trainPerplexity: Math.exp(trainLoss),
      valLoss,
      valPerplexity: valLoss === null ? null : Math.exp(valLoss),
      tokensPerSecond: tokensPerSecond(),
      elapsedMs: now() - start,
    };
    epochEvents.push(event);
    options.onProgress?.(event);

    s.epoch++;
    s.batchIndex = 0;
    s.epochLossSum = 0;
    s.offset = epochOffset(rng, seqLen, data.train.length, batchSize);
    hidden.reset();
    if (valLoss !== null) {
      if (s.bestValLoss === null || valLoss < s.bestValLoss - minDelta) {
        s.bestValLoss = valLoss;
        s.epochsWithoutImprovement = 0;
      } else {
        s.epochsWithoutImprovement++;
      }
      if (options.earlyStopping && s.epochsWithoutImprovement >= options.earlyStopping.patience && s.epoch < epochs) {
        reason = 'early-stopping';
        break;
      }
    }
  }

  return {
    reason,
    losses,
    epochs: epochEvents,
    valLoss,
    valPerplexity: valLoss === null ? null : Math.exp(valLoss),
    tokensPerSecond: tokensPerSecond(),
    state: snapshot(),
  };
}
