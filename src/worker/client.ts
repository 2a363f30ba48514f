/**
 * The page's side of the training Worker: each method sends one request and resolves with its answer;
 * training progress and generated text arrive through callbacks as they happen.
 */
import type { TrainProgress } from '../rnn/trainer.js';
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
import { checkOptionKeys, optionKeys } from '../util/options.js';

// The specs cross to the worker as plain data: a misspelt key would be dropped there without a word.
const MODEL_SPEC_KEYS = optionKeys<ModelSpec>({
  cell: true, tokenizer: true, embedSize: true, hiddenSize: true, numLayers: true, maxVocab: true, minCount: true, seed: true, threads: true,
});
const TRAINING_SPEC_KEYS = optionKeys<TrainingSpec>({
  epochs: true, lr: true, batchSize: true, seqLen: true, clip: true, weightDecay: true, lrSchedule: true, warmupSteps: true, seed: true,
  validationFraction: true,
});
const GENERATION_SPEC_KEYS = optionKeys<GenerationSpec>({
  maxNewTokens: true, doSample: true, temperature: true, topK: true, topP: true, repetitionPenalty: true, noRepeatNgramSize: true,
  seed: true, stop: true,
});

type RequestOf<K extends keyof WorkerResults> = Omit<Extract<WorkerRequest, { type: K }>, 'id'>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (event: TrainProgress) => void;
  onText?: (piece: string) => void;
  /** What a callback threw: the request rejects with it once the worker answers. */
  callbackError?: Error;
}

/**
 * Trains and runs an RNN model in a Web Worker (dist/worker.js), off the page's main thread. Each method
 * sends one request and resolves with its answer, or rejects with the worker's error message.
 *
 * `const worker = TrainingWorker.start(); const summary = await worker.train(text, modelSpec, trainingSpec, (p) => console.log(p));`
 */
export class TrainingWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set once the worker is gone (terminate(), or it failed): a message to it would never be answered. */
  private gone: Error | null = null;
  /** Whether a model on several threads was asked for: its kernel threads are workers of the worker. */
  private threaded = false;

  private constructor(private readonly worker: Worker, url: string | URL) {
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      // The session answers every request, errors included, so an error event means the script did not
      // load or the worker died: either way no answer will come, now or to later requests.
      const problem = event.message ||
        `${String(url)} could not be loaded (serve dist/worker.js next to dist/textloom.js, or pass its URL to TrainingWorker.start(url))`;
      this.close(new Error(`training worker failed: ${problem}; start a new one with TrainingWorker.start()`));
    });
  }

  /**
   * Starts a worker. By default it is dist/worker.js next to this bundle; pass another URL when the
   * files are served from elsewhere. Needs module Workers (browsers, Deno); in Node call train() directly.
   */
  static start(url: string | URL = new URL('./worker.js', import.meta.url)): TrainingWorker {
    if (typeof Worker !== 'function') {
      throw new Error('TrainingWorker needs Web Workers (browsers, Deno); in Node, call train() on the main thread');
    }
    return new TrainingWorker(new Worker(url, { type: 'module', name: 'textloom-training' }), url);
  }

  /**
   * Builds a tokenizer and model for `text` and trains it; resolves when the run ends (completed, early
   * stopping or stop()). An onProgress that throws stops the run, which then rejects with that error.
   */
  async train(text: string, model: ModelSpec, training: TrainingSpec, onProgress?: (event: TrainProgress) => void): Promise<TrainingSummary> {
    checkOptionKeys('TrainingWorker.train (model)', model, MODEL_SPEC_KEYS);
    checkOptionKeys('TrainingWorker.train (training)', training, TRAINING_SPEC_KEYS);
    if ((model.threads ?? 1) > 1) this.threaded = true;
    return this.request({ type: 'train', text, model, training }, { ...(onProgress && { onProgress }) });
  }

  /** Resolves once the trainer has stopped stepping; resume() continues exactly where it was. */
  pause(): Promise<null> {
    return this.request({ type: 'pause' });
  }

  /** Continues a paused run exactly where it stopped (nothing happens while it is running); rejects when no run is in progress. */
  resume(): Promise<null> {
    return this.request({ type: 'resume' });
  }

  /** Ends the run; its train() promise resolves with reason 'stopped' and the model stays usable. */
  stop(): Promise<null> {
    return this.request({ type: 'stop' });
  }

  /** Generates after `seed`, streaming pieces of text through onText; an onText that throws makes it reject with that error. */
  async generate(seed: string, options: GenerationSpec = {}, onText?: (piece: string) => void): Promise<GenerationSummary> {
    checkOptionKeys('TrainingWorker.generate', options, GENERATION_SPEC_KEYS);
    return this.request({ type: 'generate', seed, options }, { ...(onText && { onText }) });
  }

  /** The model as .safetensors bytes (weights and tokenizer), the format the CLI reads and writes. */
  save(): Promise<Uint8Array> {
    return this.request({ type: 'save' });
  }

  /** Loads a checkpoint saved by textloom (page or CLI). The bytes are transferred to the worker. */
  async load(bytes: Uint8Array): Promise<ModelSummary> {
    // Its buffer goes in the transfer list: anything else failed there with postMessage's own words.
    if (!(bytes instanceof Uint8Array)) {
      const got = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes;
      throw new TypeError(`TrainingWorker.load expects the file's bytes as a Uint8Array (new Uint8Array(await file.arrayBuffer())), got ${got}`);
    }
    return this.request({ type: 'load', bytes }, {}, [bytes.buffer as ArrayBuffer]);
  }

  /**
   * Stops the worker; pending requests reject at once, and so do later calls. A worker asked to train
   * on several threads first disposes its model, at the end of the step in progress, then ends itself.
   */
  terminate(): void {
    const error = new Error('training worker terminated; start a new one with TrainingWorker.start()');
    if (this.threaded && !this.gone) {
      // The kernel threads are workers started by the worker. Deno does not end them with it, and
      // they would hold their threads and memory until the process exits; disposing the model ends them.
      this.worker.postMessage({ type: 'close', id: this.nextId++ } satisfies WorkerRequest);
      this.close(error, false);
    } else {
      this.close(error, true);
    }
  }

  private request<K extends keyof WorkerResults>(
    message: RequestOf<K> & { type: K },
    callbacks: Pick<Pending, 'onProgress' | 'onText'> = {},
    transfer: Transferable[] = [],
  ): Promise<WorkerResults[K]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, ...callbacks });
      try {
        this.worker.postMessage({ ...message, id } as WorkerRequest, transfer);
      } catch (e) {
        // Not sent (a value that cannot be cloned): nothing will answer it.
        this.pending.delete(id);
        throw e;
      }
    });
  }

  private receive(message: WorkerMessage): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    switch (message.type) {
      case 'progress':
        this.callback(pending, () => pending.onProgress?.(message.event));
        break;
      case 'text':
        this.callback(pending, () => pending.onText?.(message.piece));
        break;
      case 'done':
        this.pending.delete(message.id);
        if (pending.callbackError) pending.reject(pending.callbackError);
        else pending.resolve(message.result);
        break;
      case 'failed':
        this.pending.delete(message.id);
        pending.reject(pending.callbackError ?? new Error(message.message));
        break;
    }
  }

  /**
   * Runs a progress or text callback. One that throws fails its request, as it fails train() and
   * generateText() on the main thread, instead of escaping as an uncaught error at every event while the
   * request goes on to resolve; a training run is stopped, and later events are not delivered.
   */
  private callback(pending: Pending, call: () => void): void {
    if (pending.callbackError) return;
    try {
      call();
    } catch (e) {
      pending.callbackError = e instanceof Error ? e : new Error(String(e));
      if (pending.onProgress) this.stop().catch(() => {});
    }
  }

  private close(error: Error, end = true): void {
    this.gone ??= error;
    if (end) this.worker.terminate();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
