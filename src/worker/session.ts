/**
 * What the training Worker does, apart from postMessage: holds one model and its tokenizer, trains it
 * with pause, resume and stop, generates, saves and loads. Kept free of worker globals so it runs (and
 * is tested) anywhere.
 *
 * Pause aborts the trainer at a step boundary and keeps its resume state; resume calls the trainer again
 * from that state, so a paused run continues exactly as if it had never stopped.
 */
// Through the public API, so dist/worker.js reuses dist/textloom.js instead of bundling a copy.
import {
  CharTokenizer,
  decodeCheckpoint,
  encodeCheckpoint,
  generateText,
  modelContent,
  RNNModel,
  splitValidation,
  tokenizerFromJSON,
  train,
  WordTokenizer,
  type Tokenizer,
  type TrainerState,
  type TrainOptions,
  type TrainProgress,
} from '../index.js';
import type {
  GenerationSpec,
  GenerationSummary,
  ModelSpec,
  ModelSummary,
  TrainingSpec,
  TrainingSummary,
  WorkerMessage,
  WorkerRequest,
  WorkerResults,
} from './protocol.js';

/** Step events are thinned to this interval (epoch events always go): a tiny model steps far faster than a page redraws. */
const PROGRESS_INTERVAL_MS = 50;

type Emit = (message: WorkerMessage, transfer?: Transferable[]) => void;

interface Run {
  id: number;
  /** 'preparing' while the vocabulary and the model are built, before the first step. */
  phase: 'preparing' | 'running' | 'paused';
  controller: AbortController;
  stopRequested: boolean;
  /** Settles a paused run's wait: resume or stop. */
  wake: (() => void) | null;
  /** Pause requests answered once the trainer has actually stopped stepping. */
  pauseWaiters: number[];
  /** A resume that came after a pause the trainer had not reached yet: it continues once paused. */
  resumeRequested: boolean;
  /** Resolves once the run has ended and disposed what it replaced. */
  ended: Promise<void>;
}

export class TrainingSession {
  private model: RNNModel | null = null;
  private tokenizer: Tokenizer | null = null;
  private run: Run | null = null;

  constructor(private readonly emit: Emit) {}

  /** Handles one request; its answer (and any events) go through `emit`. Never throws. */
  async handle(request: WorkerRequest): Promise<void> {
    const id = typeof request?.id === 'number' ? request.id : -1;
    try {
      const result = await this.dispatch(request);
      if (result !== undefined) this.answer(id, result);
    } catch (e) {
      this.emit({ type: 'failed', id, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private answer(id: number, result: WorkerResults[keyof WorkerResults]): void {
    this.emit({ type: 'done', id, result }, result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : []);
  }

  /** The result to answer with, or undefined when the answer is sent later (pause). */
  private async dispatch(request: WorkerRequest): Promise<WorkerResults[keyof WorkerResults] | undefined> {
    switch (request?.type) {
      case 'train':
        return this.train(request.id, request.text, request.model, request.training);
      case 'pause':
        return this.pause(request.id);
      case 'resume':
        return this.resume();
      case 'stop':
        return this.stop();
      case 'generate':
        return this.generate(request.id, request.seed, request.options);
      case 'save':
        return this.save();
      case 'load':
        return this.load(request.bytes);
      case 'close':
        return this.close();
      default:
        throw new TypeError(
          `worker: unknown request ${JSON.stringify((request as { type?: unknown })?.type)}; ` +
            'expected train, pause, resume, stop, generate, save, load or close',
        );
    }
  }

  private async train(id: number, text: string, spec: ModelSpec, training: TrainingSpec): Promise<TrainingSummary> {
    if (this.run) throw new Error('worker: a training run is in progress; stop it before starting another');
    if (typeof text !== 'string' || text.trim() === '') {
      throw new RangeError('worker: train needs a non-empty text; paste or drop a corpus first');
    }
    // Registered before the first await: a stop, pause or train that arrives while the model is built must
    // find this run. Otherwise a stop was answered and lost, and a second train ran alongside this one,
    // disposing its model under it.
    let ended!: () => void;
    const run: Run = {
      id, phase: 'preparing', controller: new AbortController(), stopRequested: false, wake: null, pauseWaiters: [], resumeRequested: false,
      ended: new Promise((resolve) => (ended = resolve)),
    };
    this.run = run;
    // Kept until the run ends well: a run that fails (options the trainer refuses, a diverged loss) leaves
    // the worker with the model it had, not an untrained or NaN one in its place.
    const previous = { model: this.model, tokenizer: this.tokenizer };
    let model: RNNModel | null = null;
    let lastSent = -Infinity;
    const onProgress = (event: TrainProgress): void => {
      const t = performance.now();
      if (event.type === 'step' && event.globalStep !== event.totalSteps && t - lastSent < PROGRESS_INTERVAL_MS) return;
      lastSent = t;
      this.emit({ type: 'progress', id, event });
    };
    const options: TrainOptions = {
      epochs: training.epochs,
      lr: training.lr,
      batchSize: training.batchSize,
      seqLen: training.seqLen,
      seed: training.seed ?? 0,
      onProgress,
      ...(training.clip !== undefined && { clip: training.clip }),
      ...(training.weightDecay !== undefined && { weightDecay: training.weightDecay }),
      ...(training.lrSchedule !== undefined && { lrSchedule: training.lrSchedule }),
      ...(training.warmupSteps !== undefined && { warmupSteps: training.warmupSteps }),
    };

    let resume: TrainerState | undefined;
    let steps = 0;
    let lastLoss: number | null = null;
    try {
      const vocabulary = { ...(spec.maxVocab !== undefined && { maxSize: spec.maxVocab }), ...(spec.minCount !== undefined && { minCount: spec.minCount }) };
      const tokenizer = spec.tokenizer === 'char'
        ? CharTokenizer.fromCorpus(text, vocabulary)
        : spec.tokenizer === 'word'
          ? WordTokenizer.fromCorpus(text, vocabulary)
          : fail(`tokenizer must be 'word' or 'char', got ${JSON.stringify(spec.tokenizer)}`);
      const data = splitValidation(Int32Array.from(tokenizer.encode(text)), training.validationFraction ?? 0.1);
      model = await RNNModel.create(
        { cell: spec.cell, vocabSize: tokenizer.vocabSize, embedSize: spec.embedSize, hiddenSize: spec.hiddenSize, numLayers: spec.numLayers },
        { seed: spec.seed ?? 0, threads: spec.threads ?? 1 },
      );
      // Generation while paused uses the model being trained.
      this.model = model;
      this.tokenizer = tokenizer;

      for (;;) {
        run.phase = 'running';
        // A pause or stop that came while preparing has already aborted the controller: the trainer
        // then returns before its first step, with a state to resume from.
        const result = await train(model, data, { ...options, signal: run.controller.signal, ...(resume && { resume }) });
        steps += result.losses.length;
        lastLoss = result.losses.at(-1) ?? lastLoss;
        const finished = (reason: TrainingSummary['reason']): TrainingSummary => {
          previous.model?.dispose();
          return {
            reason,
            steps,
            lastLoss,
            valLoss: result.valLoss,
            valPerplexity: result.valPerplexity,
            tokensPerSecond: result.tokensPerSecond,
            model: this.summary(),
          };
        };
        if (result.reason !== 'aborted') return finished(result.reason);
        resume = result.state;
        run.phase = 'paused';
        for (const waiter of run.pauseWaiters.splice(0)) this.answer(waiter, null);
        if (!run.stopRequested && !run.resumeRequested) await new Promise<void>((wake) => (run.wake = wake));
        run.wake = null;
        run.resumeRequested = false;
        if (run.stopRequested) return finished('stopped');
        run.controller = new AbortController();
      }
    } catch (e) {
      model?.dispose();
      this.model = previous.model;
      this.tokenizer = previous.tokenizer;
      throw e;
    } finally {
      for (const waiter of run.pauseWaiters.splice(0)) this.answer(waiter, null);
      this.run = null;
      ended();
    }
  }

  private pause(id: number): null | undefined {
    const run = this.requireRun('pause');
    if (run.phase === 'paused') return null;
    run.resumeRequested = false;
    run.pauseWaiters.push(id);
    run.controller.abort();
    return undefined;
  }

  private resume(): null {
    const run = this.requireRun('resume');
    if (run.stopRequested) return null;
    if (run.phase === 'paused') run.wake?.();
    // pause(); resume(); sent together: the trainer has not reached its step boundary yet, and without
    // this the resume would be dropped and the run would stay paused.
    else if (run.controller.signal.aborted) run.resumeRequested = true;
    return null;
  }

  private stop(): null {
    if (!this.run) return null;
    this.run.stopRequested = true;
    this.run.controller.abort();
    this.run.wake?.();
    return null;
  }

  /**
   * Stops a run and disposes every model, so that no kernel thread outlives the worker: a model on
   * several threads runs workers of its own, which Deno does not end with this one.
   */
  private async close(): Promise<null> {
    const run = this.run;
    this.stop();
    // The run disposes the model it replaces when it ends (or the one it built, when it fails).
    await run?.ended;
    this.model?.dispose();
    this.model = null;
    this.tokenizer = null;
    return null;
  }

  private requireRun(what: string): Run {
    if (!this.run) throw new Error(`worker: nothing to ${what}; no training run is in progress`);
    return this.run;
  }

  private async generate(id: number, seed: string, spec: GenerationSpec): Promise<GenerationSummary> {
    // While preparing too: the model being built would replace this one under the generation.
    if (this.run && this.run.phase !== 'paused') throw new Error('worker: cannot generate while training runs; pause or stop it first');
    const { model, tokenizer } = this.requireModel('generate');
    const result = await generateText(model, tokenizer, seed, {
      ...spec,
      onText: (piece) => this.emit({ type: 'text', id, piece }),
    });
    return { text: result.text, finishReason: result.finishReason, warnings: result.warnings, tokensPerSecond: result.tokensPerSecond };
  }

  private save(): Uint8Array {
    const { model, tokenizer } = this.requireModel('save');
    return encodeCheckpoint(modelContent(model, model.config, { tokenizer: tokenizer.toJSON() }));
  }

  private async load(bytes: Uint8Array): Promise<ModelSummary> {
    if (this.run) throw new Error('worker: cannot load a model while training runs; stop it first');
    if (!(bytes instanceof Uint8Array)) throw new TypeError('worker: load expects the bytes of a .safetensors file (a Uint8Array)');
    // Training in the worker always starts a new model, so a loaded one only generates and is saved as
    // weights: a resumable file's optimizer moments are left in the bytes.
    const checkpoint = decodeCheckpoint(bytes, 'the chosen file', { training: false });
    if (checkpoint.tokenizer === null) {
      throw new Error(
        'the chosen file has weights but no tokenizer (a bare PyTorch state_dict?); ' +
          'text cannot be generated without its vocabulary: save it with textloom (CLI or page), which stores both',
      );
    }
    const tokenizer = tokenizerFromJSON(checkpoint.tokenizer);
    if (tokenizer.vocabSize !== checkpoint.config.vocabSize) {
      throw new Error(`the chosen file's tokenizer has ${tokenizer.vocabSize} tokens but its model expects ${checkpoint.config.vocabSize}`);
    }
    const model = await RNNModel.create(checkpoint.config);
    model.loadStateDict(checkpoint.weights);
    this.model?.dispose();
    this.model = model;
    this.tokenizer = tokenizer;
    return this.summary();
  }

  private requireModel(what: string): { model: RNNModel; tokenizer: Tokenizer } {
    if (!this.model || !this.tokenizer) throw new Error(`worker: nothing to ${what} yet; train a model or load one first`);
    return { model: this.model, tokenizer: this.tokenizer };
  }

  private summary(): ModelSummary {
    const { model, tokenizer } = this.requireModel('describe');
    const { cell, vocabSize, embedSize, hiddenSize, numLayers } = model.config;
    return { cell, tokenizer: tokenizer.kind, vocabSize, embedSize, hiddenSize, numLayers, kernels: model.kernelVariant, threads: model.threads };
  }
}

function fail(message: string): never {
  throw new RangeError(`worker: ${message}`);
}
