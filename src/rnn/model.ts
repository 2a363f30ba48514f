/**
 * The tutorial's language model, Embedding -> N-layer RNN | LSTM | GRU -> Linear, trained with
 * truncated BPTT and Adam on the WASM kernels. Parameters and Adam moments are three flat blocks in
 * one arena with identical layouts, so the optimizer and (de)serialization are each one loop over a
 * table of named tensors. The gradient block has the same layout without the embedding, whose
 * gradient a step keeps as the rows its batch touched (at most T·B rows instead of the vocabulary).
 * Gradients and moments come into being when training starts (model-memory.ts): a model that only
 * generates holds its weights alone.
 */
import { Arena, type Region, type RegionKind } from '../wasm/arena.js';
import { instantiateKernels, instantiateSharedKernels, resolveVariant, threadedBuildSupported, type KernelExports } from '../wasm/kernels.js';
import { checkThreadCount } from '../wasm/thread-count.js';
import { DEFAULT_SPLIT_THRESHOLD, DEFAULT_WORKER_TIMEOUT_MS, startThreadPool, threadSupportProblem, type ThreadPool } from '../wasm/threads.js';
import { checkOptionKeys, optionKeys } from '../util/options.js';
import { isSeed, Random, SEED_RANGE } from '../util/random.js';
import { layoutActivations, type Activations } from './activations.js';
import { gateCount, parameterSpecs, validateConfig, type ModelConfig, type ParamSpec } from './layout.js';
import { allocateTraining, describeSizes, fittingVocabulary, type LayerGradients, type TrainingRegions } from './model-memory.js';
import { RecurrentState } from './state.js';
import { checkBatch, checkTensorDict } from './validate.js';

export type { CellType, ModelConfig } from './layout.js';
export { RecurrentState } from './state.js';

/**
 * Hyperparameters of one trainStep's Adam update; the optional ones default as in torch.optim.Adam.
 * Invalid values make trainStep throw a RangeError naming each of them.
 */
export interface AdamOptions {
  /** Learning rate; a positive number, required. */
  lr: number;
  /** Decay rate of the running mean of gradients, in [0, 1) (default 0.9). */
  beta1?: number | undefined;
  /** Decay rate of the running mean of squared gradients, in [0, 1) (default 0.999). */
  beta2?: number | undefined;
  /** Added to the denominator for numerical stability, >= 0 (default 1e-8). */
  eps?: number | undefined;
  /** Decoupled (AdamW, torch.optim.AdamW) unless `decoupledWeightDecay` is false (torch.optim.Adam's L2). */
  weightDecay?: number | undefined;
  /** True (default): scale the weights by 1 - lr·weightDecay, as AdamW. False: add weightDecay·w to the gradient (Adam's L2). */
  decoupledWeightDecay?: boolean | undefined;
  /** clip_grad_norm_ max norm over all gradients; no clipping when absent. */
  clipNorm?: number | undefined;
}

/** One tensor of stateDict() or optimizerState(): float32 values in row-major order, and their shape. */
export interface TensorData {
  /** Dimensions, outermost first (PyTorch's order); their product is data.length. */
  shape: number[];
  data: Float32Array;
}

/** Options of RNNModel.create: the initial weights' seed, the kernel build, memory and threads. */
export interface RNNCreateOptions {
  /** Seed of the Random that draws the initial weights (default 0). */
  seed?: number | undefined;
  /** Kernel build: 'auto' picks relaxed SIMD where the runtime accepts it. */
  kernels?: 'auto' | 'simd' | 'relaxed' | undefined;
  /** Share one set of gate buffers between layers and recompute lower layers' gates in the backward
   *  pass (less memory, one more forward of the lower layers). Default: only when per-layer gates
   *  would take the model past 512 MiB of WASM memory. Results are bit-identical either way. */
  recompute?: boolean | undefined;
  /** Threads the kernels split large matrix products over (default 1). Above 1 this needs
   *  SharedArrayBuffer and workers, and in browsers a worker thread (the TrainingWorker). Results are
   *  bit-identical for every thread count. dispose() ends the extra threads. */
  threads?: number | undefined;
  /** Smallest matrix product, in multiply-adds, that the threads share (default 2^20); smaller ones
   *  run on the calling thread alone. It changes speed only, never results. */
  splitThreshold?: number | undefined;
  /** How long the calling thread waits for a worker that finishes no part of a product before it
   *  takes the worker for dead (default 30000 ms). The call then fails with an error, nothing of
   *  that step is applied, and the model goes on with one thread. */
  workerTimeoutMs?: number | undefined;
}

const CONFIG_KEYS = optionKeys<ModelConfig>({ cell: true, vocabSize: true, embedSize: true, hiddenSize: true, numLayers: true });
const CREATE_OPTION_KEYS = optionKeys<RNNCreateOptions>({
  seed: true, kernels: true, recompute: true, threads: true, splitThreshold: true, workerTimeoutMs: true,
});

const ADAM_OPTION_KEYS = optionKeys<AdamOptions>({
  lr: true, beta1: true, beta2: true, eps: true, weightDecay: true, decoupledWeightDecay: true, clipNorm: true,
});

interface LayerPointers {
  I: number;
  W_ih: number; W_hh: number; b_ih: number; b_hh: number;
}

const EXP_AVG = 'optim.exp_avg.';
const EXP_AVG_SQ = 'optim.exp_avg_sq.';

/**
 * The tutorial's language model, Embedding -> numLayers RNN | LSTM | GRU layers -> Linear, with
 * PyTorch's parameter names, shapes and initialization; forward, backward and Adam run on WASM SIMD
 * kernels. Create one with `await RNNModel.create(config, options)`, train it with `train()`,
 * generate with `generateText()`, and call `dispose()` when done to free its WASM memory and threads.
 */
export class RNNModel {
  /** The configuration the model was built with, as create() validated it. */
  readonly config: ModelConfig;
  /** The kernel build in use: 'relaxed' (relaxed SIMD) or 'simd' (see RNNCreateOptions.kernels). */
  readonly kernelVariant: 'simd' | 'relaxed';
  private pool: ThreadPool | null = null;
  private k: KernelExports;
  private arena: Arena;
  private readonly specs: ParamSpec[];
  private readonly params: Region;
  /** Floats of the embedding table, where the gradient block starts in the parameter layout. */
  private readonly embedFloats: number;
  /** Gradients and Adam moments: null until the first call that trains or restores the optimizer. */
  private training: TrainingRegions | null = null;
  private readonly scratch: Region;
  /** Per layer, W_hh packed for the step products (forward layout, or backward during training). */
  private readonly packedHh: Region;
  private readonly packedHhFloats: number;
  /** Key of the inference layout for which packedHh and its packedIh hold the current weights. */
  private packedKey: string | null = null;
  /** Key of the step layout whose packed output weights match the current weights, if any. */
  private outPackedKey: string | null = null;
  private readonly layers: LayerPointers[];
  /** Threaded builds: the control block (threads_control_bytes) and the workers' GEMM scratch. */
  private threadControl: Region | null = null;
  private workerScratch: Region | null = null;
  private act: Activations | null = null;
  private adamStep = 0;
  private disposed = false;
  private threadsInUse: number;

  private constructor(config: ModelConfig, variant: 'simd' | 'relaxed', kernels: KernelExports,
                      private readonly recompute: boolean | undefined, threads: number) {
    if (kernels === undefined) {
      // Private to TypeScript, but plain JavaScript can still call it, with the config alone.
      throw new TypeError('RNNModel: models are made with `await RNNModel.create(config, options)`, not `new RNNModel(...)`');
    }
    this.threadsInUse = threads;
    this.config = config;
    this.kernelVariant = variant;
    this.k = kernels;
    this.specs = parameterSpecs(config);
    const P = this.specs.reduce((n, s) => n + s.length, 0);
    const shape = describeSizes(config);
    this.arena = new Arena(kernels,
      `Shrink the model (${shape}: ${P} parameters take 4 bytes each, and 16 (the embedding 12) once ` +
      `training adds gradients and Adam moments) or the batch (sequence length x batch size sets the activations).`);
    this.embedFloats = this.spec('embed.weight').length;
    this.packedHhFloats = kernels.recurrent_packed_floats(gateCount(config.cell), config.hiddenSize);
    const fixed: [string, RegionKind, number][] = [
      ['params', 'params', P],
      ['gemm.scratch', 'scratch', kernels.gemm_scratch_floats()],
      ['packed.w_hh', 'scratch', config.numLayers * this.packedHhFloats],
      ...(threads > 1 ? [
        ['threads.control', 'scratch', kernels.threads_control_bytes() / 4],
        ['threads.scratch', 'scratch', (threads - 1) * kernels.gemm_scratch_floats()],
      ] as [string, RegionKind, number][] : []),
    ];
    const lengths = fixed.map(([, , length]) => length);
    this.arena.requireRoom(lengths, `RNNModel.create: the weights of ${P} parameters (${shape}), with a packed copy of ` +
      'the recurrent weights,',
      fittingVocabulary(config, this.arena.endAfter(lengths), 'generate'));
    const [params, scratch, packedHh, threadControl, workerScratch] =
      fixed.map(([name, kind, length]) => this.arena.alloc(name, kind, length));
    this.params = params!;
    this.scratch = scratch!;
    this.packedHh = packedHh!;
    if (threadControl) {
      this.threadControl = threadControl;
      this.arena.f32(threadControl).fill(0);
      this.workerScratch = workerScratch!;
    }
    this.layers = Array.from({ length: config.numLayers }, (_, l) => ({
      I: l === 0 ? config.embedSize : config.hiddenSize,
      W_ih: this.param(`rnn.weight_ih_l${l}`), W_hh: this.param(`rnn.weight_hh_l${l}`),
      b_ih: this.param(`rnn.bias_ih_l${l}`), b_hh: this.param(`rnn.bias_hh_l${l}`),
    }));
  }

  /** Validates config (positive integers, clear errors), allocates the arena, PyTorch's default init
   *  distributions (embedding N(0,1); rnn and linear U(-1/sqrt(H), 1/sqrt(H)) as torch) drawn from Random(seed). */
  static async create(config: ModelConfig, options: RNNCreateOptions = {}): Promise<RNNModel> {
    const checked = validateConfig(config);
    // A key such as dropout or bidirectional would otherwise be dropped, and the model built without it.
    checkOptionKeys('RNNModel.create (config)', config, CONFIG_KEYS);
    checkOptionKeys('RNNModel.create', options, CREATE_OPTION_KEYS);
    const variant = resolveVariant(options.kernels ?? 'auto');
    if (options.recompute !== undefined && typeof options.recompute !== 'boolean') {
      throw new TypeError(`RNNModel.create: recompute must be true, false or absent, got ${JSON.stringify(options.recompute)}`);
    }
    const threads = checkThreadCount(options.threads, 'RNNModel.create');
    const splitThreshold = options.splitThreshold ?? DEFAULT_SPLIT_THRESHOLD;
    if (typeof splitThreshold !== 'number' || !(splitThreshold >= 0)) {
      throw new RangeError(`RNNModel.create: splitThreshold must be a number >= 0 (multiply-adds), got ${JSON.stringify(options.splitThreshold)}`);
    }
    if (options.seed !== undefined && !isSeed(options.seed)) {
      throw new RangeError(`RNNModel.create: seed must be ${SEED_RANGE}, got ${JSON.stringify(options.seed)}`);
    }
    const timeoutMs = options.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(`RNNModel.create: workerTimeoutMs must be a positive number of milliseconds, got ${JSON.stringify(options.workerTimeoutMs)}`);
    }
    if (threads === 1) {
      const model = new RNNModel(checked, variant, await instantiateKernels(variant), options.recompute, 1);
      model.initialize(new Random(options.seed ?? 0));
      return model;
    }
    const problem = threadSupportProblem() ??
      (threadedBuildSupported(variant) ? null : 'this runtime does not accept WASM threads (atomics on shared memory)');
    if (problem) throw new Error(`RNNModel.create: threads: ${threads} cannot run here: ${problem}. Use threads: 1.`);
    const shared = await instantiateSharedKernels(variant);
    const model = new RNNModel(checked, variant, shared.kernels, options.recompute, threads);
    model.pool = await startThreadPool({
      module: shared.module, memory: shared.memory, threads, splitThreshold, timeoutMs,
      control: model.threadControl!.ptr, scratch: model.workerScratch!.ptr,
    }, shared.kernels);
    model.initialize(new Random(options.seed ?? 0));
    return model;
  }

  /** Threads the kernels run on (the calling thread included); 1 again after a worker failed. */
  get threads(): number {
    return this.threadsInUse;
  }

  /**
   * Peak bytes of WASM memory this model's arena has used: the weights and kernel scratch from
   * create(), the activations of the largest batch laid out so far, and, from the first call that
   * trains (trainStep, reserveTraining, loadOptimizerState), the gradients and Adam moments, 12 bytes
   * a parameter more (8 for the embedding). A model that only generates or evaluates never holds them.
   */
  get memoryBytes(): number {
    // dispose() drops the arena: without this check the getter fails with a TypeError about peakBytes.
    this.alive();
    return this.arena.peakBytes;
  }

  /** Zero hidden state for `batch` rows ((L,B,H) h, plus c for LSTM). */
  createState(batch: number): RecurrentState {
    return new RecurrentState(this.config.numLayers, this.config.hiddenSize, batch, this.config.cell === 'lstm');
  }

  /** Forward over time-major (T,B) inputs, mean cross-entropy vs targets (T,B), backward through the T steps
   *  (state carried in, detached), global grad norm (before clipping), clip if clipNorm, Adam/AdamW update
   *  (Adam step counter +1). `state` is advanced in place to the last hidden state. A step whose loss or
   *  gradient norm is not finite (NaN or Infinity: the training diverged) applies no update: the weights,
   *  Adam moments and step counter stay as they were (`state` has been advanced all the same, and may
   *  hold NaN: reset it before going on), and the returned values say what happened. */
  trainStep(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState, adam: AdamOptions): { loss: number; gradNorm: number } {
    this.alive();
    const hyper = checkAdam(adam);
    checkBatch(this.config, 'trainStep', inputs, targets, T, B, state);
    const training = this.trainingRegions('trainStep');
    const act = this.prepare(T, B, true, inputs, targets, state);
    this.weightsChanging();
    const k = this.k;
    const { hiddenSize: H, vocabSize: V, numLayers: L, embedSize: E } = this.config;
    const N = T * B;
    this.forwardLayers(act, state, true);
    this.arena.f32(training.grads).fill(0);
    const top = this.layers.length - 1;
    const dTop = act.dA!;
    this.arena.f32(dTop).fill(0, 0, N * H);
    const lossSum = k.head_backward(dTop.ptr, training.head.dW, training.head.db, act.logits.ptr,
      act.h[top].ptr, this.param('linear.weight'), this.param('linear.bias'), act.targets.ptr,
      1 / N, N, H, V, act.logitsRows, this.scratch.ptr);
    let dh = dTop;
    let dx = act.dB!;
    for (let l = L - 1; l >= 0; l--) {
      if (act.recompute && l < L - 1) this.forwardLayer(act, l, false);
      const p = this.layers[l];
      this.arena.f32(dx).fill(0, 0, N * p.I);
      this.backwardLayer(act, l, training.layers[l]!, dh.ptr, dx.ptr);
      [dh, dx] = [dx, dh];
    }
    const touched = k.embedding_backward(act.dEmbed!.ptr, training.embedSlot.ptr, dh.ptr, act.ids.ptr, N, V, E);
    this.checkWorkers('trainStep');
    const gradBlocks: [number, number][] = [[training.grads.ptr, training.grads.length], [act.dEmbed!.ptr, touched * E]];
    const gradNorm = Math.sqrt(gradBlocks.reduce((sum, [ptr, n]) => sum + k.sum_squares(ptr, n), 0));
    const loss = lossSum / N;
    // Adam would spread a NaN or Infinity into every weight (clipping scales by clipNorm / Infinity = 0,
    // and 0 x Infinity is NaN), and no later step could undo it.
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm };
    if (hyper.clipNorm !== undefined) {
      // clip_grad_norm_ computes its coefficient in float32 tensors.
      const coef = Math.fround(hyper.clipNorm / Math.fround(Math.fround(gradNorm) + 1e-6));
      if (coef < 1) for (const [ptr, n] of gradBlocks) k.scale(ptr, n, coef);
    }
    this.adamUpdate(training, hyper, act.dEmbed!);
    return { loss, gradNorm };
  }

  /** Lays out (and grows memory for) the gradients, the Adam moments and a training step of shape
   *  (T, B) now, so an oversized run fails before any data is prepared; returns memoryBytes afterwards. */
  reserveTraining(T: number, B: number): number {
    this.alive();
    if (!Number.isInteger(T) || T <= 0 || !Number.isInteger(B) || B <= 0) {
      throw new RangeError(`reserveTraining: T and B must be positive integers, got T=${T}, B=${B}`);
    }
    this.trainingRegions('reserveTraining');
    this.layout(T, B, true);
    return this.memoryBytes;
  }

  /** Forward only: mean cross-entropy; advances state. */
  evaluate(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState): number {
    this.alive();
    checkBatch(this.config, 'evaluate', inputs, targets, T, B, state);
    const act = this.prepare(T, B, false, inputs, targets, state);
    this.forwardLayers(act, state, false);
    const { hiddenSize: H, vocabSize: V, numLayers: L } = this.config;
    const N = T * B;
    const sum = this.k.head_forward(act.logits.ptr, act.h[L - 1].ptr, this.param('linear.weight'), this.param('linear.bias'),
      act.targets.ptr, N, H, V, act.logitsRows, this.scratch.ptr);
    this.checkWorkers('evaluate');
    return sum / N;
  }

  /** One token per row (B) -> logits (B,V) (a fresh copy); advances state. */
  step(tokens: Int32Array, state: RecurrentState): Float32Array {
    this.alive();
    const B = tokens.length;
    checkBatch(this.config, 'step', tokens, null, 1, B, state);
    const act = this.prepare(1, B, false, tokens, null, state);
    this.forwardLayers(act, state, false);
    const { hiddenSize: H, vocabSize: V, numLayers: L } = this.config;
    const k = this.k;
    // Generation calls this once per token: the output weights are packed once and reused, where
    // the layout had room for them (the unpacked product gives the same bits).
    const packedOut = act.packedOut;
    if (packedOut === null) {
      k.gemm_nt(act.logits.ptr, act.h[L - 1].ptr, this.param('linear.weight'), B, H, V, H, H, V, 0, this.scratch.ptr);
    } else {
      if (this.outPackedKey !== act.key) {
        k.gemm_pack_nt(packedOut.ptr, this.param('linear.weight'), H, V, H);
        this.outPackedKey = act.key;
      }
      k.gemm_packed(act.logits.ptr, act.h[L - 1].ptr, packedOut.ptr, B, H, V, H, V, 0);
    }
    k.bias_forward(act.logits.ptr, this.param('linear.bias'), B, V, V);
    this.checkWorkers('step');
    return this.arena.f32(act.logits).slice(0, B * V);
  }

  /** PyTorch state_dict names and shapes: embed.weight [V,E], rnn.weight_ih_l{k} [G*H,in], rnn.weight_hh_l{k} [G*H,H], rnn.bias_ih_l{k}, rnn.bias_hh_l{k} [G*H], linear.weight [V,H], linear.bias [V]. */
  stateDict(): Map<string, TensorData> {
    this.alive();
    return this.readTensors(this.params, '');
  }

  /** Exact names and shapes required; error lists missing, extra and mis-shaped tensors, before touching memory. */
  loadStateDict(dict: Map<string, TensorData>): void {
    this.alive();
    checkTensorDict('loadStateDict', this.expected(['']), dict);
    this.weightsChanging();
    this.writeTensors(this.params, '', dict);
  }

  /** Adam moments (names prefixed `optim.exp_avg.` / `optim.exp_avg_sq.` + param name) and step, for
   *  exact resume. A model that never trained (nor loaded a state) has zero moments and step 0. */
  optimizerState(): { step: number; tensors: Map<string, TensorData> } {
    this.alive();
    const t = this.training;
    const tensors = new Map([...this.readTensors(t?.m ?? null, EXP_AVG), ...this.readTensors(t?.v ?? null, EXP_AVG_SQ)]);
    return { step: this.adamStep, tensors };
  }

  /** Restores what optimizerState() returned, for an exact resume. Throws, before changing anything,
   *  unless step is a non-negative integer and the tensors match this model's names and shapes exactly. */
  loadOptimizerState(state: { step: number; tensors: Map<string, TensorData> }): void {
    this.alive();
    if (state === null || typeof state !== 'object') {
      throw new TypeError(`loadOptimizerState: expected { step, tensors } as optimizerState() gives it, got ${String(state)}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`loadOptimizerState: step must be a non-negative integer, got ${state.step}`);
    }
    checkTensorDict('loadOptimizerState', this.expected([EXP_AVG, EXP_AVG_SQ]), state.tensors);
    const training = this.trainingRegions('loadOptimizerState');
    this.writeTensors(training.m, EXP_AVG, state.tensors);
    this.writeTensors(training.v, EXP_AVG_SQ, state.tensors);
    this.adamStep = state.step;
  }

  /** Releases the WASM instance, its memory and its worker threads; the model cannot be used afterwards. */
  dispose(): void {
    this.pool?.terminate();
    this.pool = null;
    this.disposed = true;
    this.act = null;
    this.k = undefined as unknown as KernelExports;
    this.arena = undefined as unknown as Arena;
  }

  /** Packed copies of the weights go stale (or, after a new layout, were never made). */
  private weightsChanging(): void {
    this.packedKey = null;
    this.outPackedKey = null;
  }

  private alive(): void {
    if (this.disposed) throw new Error('RNNModel: this model has been disposed (dispose() freed its memory); make a new one with RNNModel.create, and restoreModel a checkpoint into it to keep the weights');
  }

  // A failed worker left some product of this call incomplete: the kernels already keep every
  // product on this thread, the workers are ended, and the call fails before anything is applied.
  private checkWorkers(where: string): void {
    const failure = this.pool?.failure();
    if (!failure) return;
    this.pool!.terminate();
    this.pool = null;
    this.threadsInUse = 1;
    throw new Error(`RNNModel.${where}: ${failure}. Nothing of this call was applied (the weights and Adam ` +
      'state are as before it; the recurrent state passed in is not); the model now runs on 1 thread, so ' +
      'the same call can be repeated');
  }

  private spec(name: string): ParamSpec {
    const s = this.specs.find((p) => p.name === name);
    if (!s) throw new Error(`RNNModel: no parameter named '${name}'`);
    return s;
  }

  private param(name: string): number {
    return this.params.ptr + this.spec(name).offset * 4;
  }

  /** The training regions, laid out by the first call that needs them (`where` names it in errors).
   *  They go where the activations of earlier calls were, which the next call lays out again. */
  private trainingRegions(where: string): TrainingRegions {
    if (this.training === null) {
      this.act = null;
      this.weightsChanging();
      this.arena.resetActivations();
      this.training = allocateTraining(this.arena, this.config, `RNNModel.${where}`);
    }
    return this.training;
  }

  private initialize(rng: Random): void {
    const data = this.arena.f32(this.params);
    for (const s of this.specs) {
      const init = s.init;
      for (let i = s.offset; i < s.offset + s.length; i++) {
        data[i] = init.kind === 'normal' ? rng.normal() : rng.uniformRange(-init.bound, init.bound);
      }
    }
  }

  private layout(T: number, B: number, training: boolean): Activations {
    const key = `${training ? 'train' : 'infer'}:${T}x${B}`;
    if (this.act?.key !== key) {
      this.act = null;
      this.weightsChanging(); // new regions: nothing packed in them yet
      const { hiddenSize: H, vocabSize: V, cell } = this.config;
      const GH = gateCount(cell) * H;
      this.act = layoutActivations(this.arena, this.config, T, B, training, this.recompute, {
        out: this.k.gemm_packed_floats(H, V),
        ih: this.layers.map((p) => this.k.gemm_packed_floats(p.I, GH)),
      });
    }
    return this.act;
  }

  /** Lays out activations for (T, B) if needed and copies ids, targets and the carried state in. */
  private prepare(T: number, B: number, training: boolean, ids: Int32Array, targets: Int32Array | null, state: RecurrentState): Activations {
    const act = this.layout(T, B, training);
    this.arena.i32(act.ids).set(ids);
    if (targets) this.arena.i32(act.targets).set(targets);
    for (let l = 0; l < this.config.numLayers; l++) {
      this.arena.f32(act.h0[l]).set(state.hiddenOf(l));
      const c = state.cellOf(l);
      if (c) this.arena.f32(act.c0[l]).set(c);
    }
    return act;
  }

  /** Embedding and every layer; the state object receives each layer's last h (and c). Outside
   *  training, W_hh stays packed between calls. */
  private forwardLayers(act: Activations, state: RecurrentState, training: boolean): void {
    const { embedSize: E, hiddenSize: H } = this.config;
    const { T, B } = act;
    this.k.embedding_forward(act.x0.ptr, this.param('embed.weight'), act.ids.ptr, T * B, E);
    const last = (T - 1) * B * H;
    const reuse = !training && this.packedKey === act.key;
    for (let l = 0; l < this.layers.length; l++) {
      this.forwardLayer(act, l, reuse);
      state.hiddenOf(l).set(this.arena.f32(act.h[l]).subarray(last, last + B * H));
      const c = state.cellOf(l);
      if (c) c.set(this.arena.f32(act.c[l]).subarray(last, last + B * H));
    }
    this.packedKey = training ? null : act.key;
  }

  /** What every layer kernel call needs: the kernels, layer l's pointers, sizes and its input. */
  private layerContext(act: Activations, l: number) {
    return {
      k: this.k, p: this.layers[l], T: act.T, B: act.B, H: this.config.hiddenSize,
      x: l === 0 ? act.x0.ptr : act.h[l - 1].ptr, s: this.scratch.ptr,
      packed: this.packedHh.ptr + l * this.packedHhFloats * 4,
      packedIh: act.packedIh.length ? act.packedIh[l].ptr : 0,
    };
  }

  private forwardLayer(act: Activations, l: number, prepacked: boolean): void {
    const { k, p, T, B, H, x, s, packed, packedIh } = this.layerContext(act, l);
    const pre = prepacked ? 1 : 0;
    switch (this.config.cell) {
      case 'rnn':
        k.rnn_forward(act.h[l].ptr, x, act.h0[l].ptr, p.W_ih, p.W_hh, p.b_ih, p.b_hh, T, B, p.I, H, packed, packedIh, pre, s);
        break;
      case 'lstm':
        k.lstm_forward(act.h[l].ptr, act.c[l].ptr, act.gates[l].ptr, x, act.h0[l].ptr, act.c0[l].ptr,
          p.W_ih, p.W_hh, p.b_ih, p.b_hh, T, B, p.I, H, packed, packedIh, pre, s);
        break;
      case 'gru':
        k.gru_forward(act.h[l].ptr, act.gates[l].ptr, x, act.h0[l].ptr, p.W_ih, p.W_hh, p.b_ih, p.b_hh,
          T, B, p.I, H, act.gh!.ptr, packed, packedIh, pre, s);
        break;
    }
  }

  private backwardLayer(act: Activations, l: number, g: LayerGradients, dh: number, dx: number): void {
    const { k, p, T, B, H, x, s, packed } = this.layerContext(act, l);
    switch (this.config.cell) {
      case 'rnn':
        k.rnn_backward(g.dW_ih, g.dW_hh, g.db_ih, g.db_hh, dx, dh, act.h[l].ptr, x, act.h0[l].ptr,
          p.W_ih, p.W_hh, T, B, p.I, H, packed, s);
        break;
      case 'lstm':
        k.lstm_backward(g.dW_ih, g.dW_hh, g.db_ih, g.db_hh, dx, dh, act.dc!.ptr, act.gates[l].ptr,
          act.h[l].ptr, act.c[l].ptr, x, act.h0[l].ptr, act.c0[l].ptr, p.W_ih, p.W_hh, T, B, p.I, H, packed, s);
        break;
      case 'gru':
        k.gru_backward(g.dW_ih, g.dW_hh, g.db_ih, g.db_hh, dx, dh, act.gates[l].ptr, act.h[l].ptr, x,
          act.h0[l].ptr, p.W_ih, p.W_hh, T, B, p.I, H, packed, s);
        break;
    }
  }

  /** Adam over the embedding (its touched rows in `embedRows`, zero elsewhere) and every other tensor. */
  private adamUpdate(t: TrainingRegions, h: Required<Omit<AdamOptions, 'clipNorm'>>, embedRows: Region): void {
    this.adamStep += 1;
    const bc1 = 1 - h.beta1 ** this.adamStep;
    const bc2 = 1 - h.beta2 ** this.adamStep;
    const decoupled = h.decoupledWeightDecay;
    const hyper = [h.beta1, h.beta2, h.lr / bc1, Math.sqrt(bc2), h.eps,
      decoupled ? 0 : h.weightDecay, decoupled ? 1 - h.lr * h.weightDecay : 1] as const;
    const { vocabSize: V, embedSize: E } = this.config;
    this.k.adam_rows(this.params.ptr, t.m.ptr, t.v.ptr, embedRows.ptr, t.embedSlot.ptr, t.zeroRow.ptr, V, E, ...hyper);
    const rest = this.embedFloats * 4;
    this.k.adam_step(this.params.ptr + rest, t.m.ptr + rest, t.v.ptr + rest, t.grads.ptr, t.grads.length, ...hyper);
  }

  private expected(prefixes: string[]): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const prefix of prefixes) for (const s of this.specs) out.set(prefix + s.name, s.shape);
    return out;
  }

  /** The tensors of a block in the parameter layout; zeros for a block not laid out (null). */
  private readTensors(block: Region | null, prefix: string): Map<string, TensorData> {
    const data = block === null ? null : this.arena.f32(block);
    return new Map(this.specs.map((s) => [prefix + s.name, {
      shape: [...s.shape], data: data === null ? new Float32Array(s.length) : data.slice(s.offset, s.offset + s.length),
    }]));
  }

  private writeTensors(block: Region, prefix: string, dict: Map<string, TensorData>): void {
    const data = this.arena.f32(block);
    for (const s of this.specs) data.set(dict.get(prefix + s.name)!.data, s.offset);
  }
}

function checkAdam(adam: AdamOptions): Required<Omit<AdamOptions, 'clipNorm'>> & { clipNorm?: number } {
  checkOptionKeys('trainStep', adam, ADAM_OPTION_KEYS);
  const out = {
    lr: adam.lr,
    beta1: adam.beta1 ?? 0.9,
    beta2: adam.beta2 ?? 0.999,
    eps: adam.eps ?? 1e-8,
    weightDecay: adam.weightDecay ?? 0,
    decoupledWeightDecay: adam.decoupledWeightDecay ?? true,
    clipNorm: adam.clipNorm,
  };
  const problems: string[] = [];
  if (!(Number.isFinite(out.lr) && out.lr > 0)) problems.push(`lr must be a positive number, got ${out.lr}`);
  for (const key of ['beta1', 'beta2'] as const) {
    if (!(out[key] >= 0 && out[key] < 1)) problems.push(`${key} must be in [0, 1), got ${out[key]}`);
  }
  if (!(out.eps >= 0)) problems.push(`eps must be >= 0, got ${out.eps}`);
  if (!(out.weightDecay >= 0)) problems.push(`weightDecay must be >= 0, got ${out.weightDecay}`);
  if (out.clipNorm !== undefined && !(out.clipNorm > 0)) problems.push(`clipNorm must be > 0 when given, got ${out.clipNorm}`);
  if (problems.length) throw new RangeError(`trainStep: invalid AdamOptions: ${problems.join('; ')}`);
  return out;
}

