/**
 * A GPT-2 ONNX decoder driven step by step with a KV cache, as a `LogitsSource` for src/generate/.
 * Rows are left-padded; the attention mask is always passed and position ids follow it (HF's
 * `cumsum(mask) - 1`, padding at position 1), so a padded row computes exactly what it would alone.
 * With WebGPU the cache stays on the GPU between steps ('gpu-buffer' outputs); only logits come back.
 */
import type * as Ort from 'onnxruntime-web';
import type { LogitsSource } from '../generate/engine.js';
import { halfToFloat } from '../io/safetensors.js';
import type { Gpt2Config } from './config.js';
import { checkOutputShapes, type DecoderSignature } from './layout.js';
import type { OrtRuntime } from './runtime.js';

type Tensor = Ort.Tensor;
type Session = Ort.InferenceSession;

/**
 * Input a Gpt2Model cannot run, such as ids outside the vocabulary, rows of different lengths, a
 * sequence longer than n_positions, or next()/select() before prefill().
 */
export class Gpt2InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Gpt2InputError';
  }
}

let halfTable: Float32Array | null = null;

/** binary16 bits -> float32, by table (logits of fp16 models are converted every step). */
function halfLookup(): Float32Array {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

function int64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  return out;
}

export interface Gpt2ModelParts {
  runtime: OrtRuntime;
  /** One session (single/merged), or [no past, with past] for the pair layout. */
  sessions: Session[];
  signature: DecoderSignature;
  config: Gpt2Config;
  /** Names config.json in errors. */
  configName: string;
}

/**
 * A GPT-2 ONNX decoder driven step by step with a KV cache: the LogitsSource that generate() runs.
 * Rows are left-padded with an attention mask (exports without position_ids take unpadded rows only);
 * with WebGPU the cache stays on the GPU between steps. loadGpt2Model() makes one.
 */
export class Gpt2Model implements LogitsSource {
  readonly vocabSize: number;
  readonly config: Gpt2Config;
  readonly signature: DecoderSignature;
  readonly backend: OrtRuntime['backend'];
  /**
   * The ONNX Runtime sessions this model runs (one, or [no past, with past] for the pair layout),
   * for reading their metadata or driving them directly; runs made on them leave this model's
   * cache as it was.
   */
  readonly sessions: readonly Session[];
  private readonly ort: OrtRuntime['ort'];
  private readonly configName: string;
  private readonly headDim: number;
  // Batch state.
  private batch = 0;
  private length = 0;
  private mask = new Uint8Array(0); // (B, T)
  private nextPosition = new Int32Array(0); // (B)
  private past: Tensor[] = []; // 2 * nLayer tensors (B, H, T, D)
  private pending: Int32Array | null = null;
  /** The ids held in the cache when the batch is one unpadded row, else null. */
  private fed: number[] | null = null;
  private shapesChecked = false;
  private released = false;

  constructor(parts: Gpt2ModelParts) {
    this.ort = parts.runtime.ort;
    this.backend = parts.runtime.backend;
    this.sessions = parts.sessions;
    this.signature = parts.signature;
    this.config = parts.config;
    this.configName = parts.configName;
    this.vocabSize = parts.config.vocabSize;
    this.headDim = parts.config.nEmbd / parts.config.nHead;
  }

  /** False for exports without position_ids: their positions ignore padding, so rows must run unpadded. */
  get supportsPadding(): boolean {
    return this.signature.hasPositionIds;
  }

  /** Tokens in the current batch's rows, padding included. */
  get sequenceLength(): number {
    return this.length;
  }

  async prefill(ids: readonly Int32Array[], mask: readonly Uint8Array[]): Promise<Float32Array> {
    this.alive('prefill');
    const b = ids.length;
    if (b === 0 || mask.length !== b) {
      throw new Gpt2InputError(`prefill needs one mask per row and at least one row, got ${b} rows and ${mask.length} masks`);
    }
    const t = ids[0]!.length;
    if (t === 0) throw new Gpt2InputError('prefill needs at least one token per row, got empty rows');
    this.checkContext(t);
    const flatIds = new Int32Array(b * t); // (B, T)
    const flatMask = new Uint8Array(b * t); // (B, T)
    const positions = new Int32Array(b * t); // (B, T)
    const nextPosition = new Int32Array(b); // (B) real tokens per row
    let padded = false;
    for (let r = 0; r < b; r++) {
      const row = ids[r]!;
      const m = mask[r]!;
      if (row.length !== t || m.length !== t) {
        throw new Gpt2InputError(`prefill rows must all have length ${t} (left-pad them), row ${r} has ${row.length} ids and ${m.length} mask entries`);
      }
      let seen = 0;
      for (let i = 0; i < t; i++) {
        const id = row[i]!;
        if (!(id >= 0 && id < this.vocabSize)) {
          throw new Gpt2InputError(`token id ${id} at row ${r}, position ${i} is outside the vocabulary [0, ${this.vocabSize - 1}]`);
        }
        if (m[i] !== 0 && m[i] !== 1) throw new Gpt2InputError(`mask entries must be 0 or 1, row ${r} has ${m[i]} at ${i}`);
        flatIds[r * t + i] = id;
        flatMask[r * t + i] = m[i]!;
        if (m[i]) seen++;
        else padded = true;
        positions[r * t + i] = m[i] ? seen - 1 : 1;
      }
      if (seen === 0) throw new Gpt2InputError(`row ${r} is all padding; every row needs at least one real token`);
      nextPosition[r] = seen;
    }
    if (padded && !this.signature.hasPositionIds) {
      throw new Gpt2InputError(
        'this ONNX export has no position_ids input, so a left-padded row would be given the wrong positions; ' +
        'run prompts of different lengths one at a time (the pipeline does this for such models)',
      );
    }
    const row = ids[0]!;
    const cached = this.fed;
    if (b === 1 && cached !== null && this.pending === null && cached.length < t && cached.every((id, i) => row[i] === id)) {
      return this.extend(row, cached.length);
    }
    this.dispose();
    this.fed = b === 1 && !padded ? Array.from(row) : null;
    this.batch = b;
    this.length = t;
    this.mask = flatMask;
    this.nextPosition = nextPosition;
    const feeds: Record<string, Tensor> = this.baseFeeds(flatIds, t, positions);
    const session = this.sessions[0]!;
    if (this.signature.kind !== 'pair') {
      const empty = this.signature.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      for (const name of this.signature.pastNames) {
        feeds[name] = new this.ort.Tensor(this.signature.kvType, empty, [b, this.config.nHead, 0, this.headDim]);
      }
      if (this.signature.kind === 'merged') feeds.use_cache_branch = new this.ort.Tensor('bool', [false], [1]);
    }
    return this.run(session, feeds, t);
  }

  async next(tokens: Int32Array): Promise<Float32Array> {
    this.alive('next');
    if (this.batch === 0) throw new Gpt2InputError('next() called before prefill()');
    if (this.pending) await this.applySelection(this.pending);
    const b = this.batch;
    if (tokens.length !== b) throw new Gpt2InputError(`next() needs one token per row (${b}), got ${tokens.length}`);
    for (let r = 0; r < b; r++) {
      if (!(tokens[r]! >= 0 && tokens[r]! < this.vocabSize)) {
        throw new Gpt2InputError(`token id ${tokens[r]} for row ${r} is outside the vocabulary [0, ${this.vocabSize - 1}]`);
      }
    }
    const t = this.length + 1;
    this.checkContext(t);
    const mask = new Uint8Array(b * t); // (B, T + 1)
    for (let r = 0; r < b; r++) {
      mask.set(this.mask.subarray(r * (t - 1), (r + 1) * (t - 1)), r * t);
      mask[r * t + t - 1] = 1;
    }
    this.mask = mask;
    this.length = t;
    const positions = this.nextPosition.slice();
    for (let r = 0; r < b; r++) this.nextPosition[r]!++;
    this.fed?.push(tokens[0]!);
    return this.runWithPast(this.baseFeeds(tokens, 1, positions), 1);
  }

  /**
   * Feeds row[start:] on top of a cache that holds row[:start] (one unpadded row): a chat turn only
   * computes its new tokens. Parity note: the logits equal a full prefill to float rounding (~1e-6),
   * not bit for bit.
   */
  private async extend(row: Int32Array, start: number): Promise<Float32Array> {
    const t = row.length;
    this.length = t;
    this.mask = new Uint8Array(t).fill(1);
    this.nextPosition = Int32Array.of(t);
    this.fed = Array.from(row);
    const positions = Int32Array.from({ length: t - start }, (_, i) => start + i);
    return this.runWithPast(this.baseFeeds(row.subarray(start), t - start, positions), t - start);
  }

  /** Runs the with-past graph on `feeds` plus the cache. */
  private runWithPast(feeds: Record<string, Tensor>, t: number): Promise<Float32Array> {
    this.signature.pastNames.forEach((name, i) => {
      feeds[name] = this.past[i]!;
    });
    if (this.signature.kind === 'merged') feeds.use_cache_branch = new this.ort.Tensor('bool', [true], [1]);
    return this.run(this.sessions[this.sessions.length - 1]!, feeds, t);
  }

  select(index: Int32Array): void {
    if (this.batch === 0) throw new Gpt2InputError('select() called before prefill()');
    for (const i of index) {
      if (!(i >= 0 && i < this.batch)) throw new Gpt2InputError(`select: row ${i} does not exist in a batch of ${this.batch}`);
    }
    const t = this.length;
    const mask = new Uint8Array(index.length * t);
    const positions = new Int32Array(index.length);
    index.forEach((from, to) => {
      mask.set(this.mask.subarray(from * t, (from + 1) * t), to * t);
      positions[to] = this.nextPosition[from]!;
    });
    this.mask = mask;
    this.nextPosition = positions;
    // The cache may live on the GPU; it is reordered when the next step needs it (next() is async).
    this.pending = this.pending ? index.map((i) => this.pending![i]!) : index.slice();
    this.batch = index.length;
    if (!(index.length === 1 && index[0] === 0)) this.fed = null;
  }

  dispose(): void {
    for (const tensor of this.past) disposeTensor(tensor);
    this.past = [];
    this.fed = null;
    this.batch = 0;
    this.length = 0;
    this.pending = null;
  }

  /** Releases the ONNX sessions; the model cannot run afterwards. Releasing again does nothing. */
  async release(): Promise<void> {
    this.dispose();
    if (this.released) return;
    this.released = true;
    for (const session of this.sessions) await session.release();
  }

  /** onnxruntime only says "invalid session id" for a released session: name the cause instead. */
  private alive(method: string): void {
    if (this.released) {
      throw new Error(`Gpt2Model.${method}: this model has been released (release() frees its ONNX sessions); load it again to generate`);
    }
  }

  private checkContext(t: number): void {
    if (t > this.config.nPositions) {
      throw new Gpt2InputError(
        `sequence of ${t} tokens (padding included) exceeds the model's context of ${this.config.nPositions} positions (n_positions); ` +
        'shorten the prompt or lower maxLength / maxNewTokens',
      );
    }
  }

  private baseFeeds(ids: ArrayLike<number>, t: number, positions: ArrayLike<number>): Record<string, Tensor> {
    const b = this.batch;
    const feeds: Record<string, Tensor> = {
      input_ids: new this.ort.Tensor('int64', int64(ids), [b, t]),
      attention_mask: new this.ort.Tensor('int64', int64(this.mask), [b, this.length]),
    };
    if (this.signature.hasPositionIds) feeds.position_ids = new this.ort.Tensor('int64', int64(positions), [b, t]);
    return feeds;
  }

  /** Runs one step, keeps the presents as the new cache, returns last-position logits (B, V). */
  private async run(session: Session, feeds: Record<string, Tensor>, t: number): Promise<Float32Array> {
    const outputs = await session.run(feeds);
    const logits = outputs.logits!;
    if (!this.shapesChecked) {
      checkOutputShapes(logits.dims, outputs[this.signature.presentNames[0]!]!.dims, this.config, this.configName);
      this.shapesChecked = true;
    }
    for (const tensor of this.past) disposeTensor(tensor);
    this.past = this.signature.presentNames.map((name) => outputs[name]!);
    const result = lastPositions(logits, this.batch, t, this.vocabSize);
    logits.dispose();
    return result;
  }

  /** Rebuilds the cache rows from `index` (row i continues old row index[i]). */
  private async applySelection(index: Int32Array): Promise<void> {
    this.pending = null;
    const identity = index.length === (this.past[0]?.dims[0] ?? 0) && index.every((v, i) => v === i);
    if (identity) return;
    const next: Tensor[] = [];
    for (const tensor of this.past) {
      const [, h, s, d] = tensor.dims as [number, number, number, number];
      const row = h * s * d;
      const data = (tensor.location === 'cpu' ? tensor.data : await tensor.getData(true)) as Float32Array | Uint16Array;
      const out = new (data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(index.length * row);
      index.forEach((from, to) => out.set(data.subarray(from * row, (from + 1) * row), to * row));
      next.push(new this.ort.Tensor(tensor.type as 'float32', out as Float32Array, [index.length, h, s, d]));
      disposeTensor(tensor);
    }
    this.past = next;
  }
}

function disposeTensor(tensor: Tensor): void {
  if (tensor.location !== 'cpu') tensor.dispose();
}

/**
 * Picks position T-1 of every row of logits (B, T, V) into (B, V) float32. A decode step's float32
 * logits (B, 1, V) already are that, and the runtime hands over a fresh array each run, so they are
 * returned as they are instead of copied (about 200 kB per row per token for GPT-2).
 */
function lastPositions(logits: Tensor, b: number, t: number, v: number): Float32Array {
  const data = logits.data as Float32Array | Uint16Array | ArrayLike<number>;
  if (t === 1 && data instanceof Float32Array && data.length === b * v) return data;
  const out = new Float32Array(b * v); // (B, V)
  if (data instanceof Float32Array) {
    for (let r = 0; r < b; r++) out.set(data.subarray((r * t + t - 1) * v, (r * t + t) * v), r * v);
  } else if (data instanceof Uint16Array) {
    const table = halfLookup();
    for (let r = 0; r < b; r++) {
      const base = (r * t + t - 1) * v;
      for (let i = 0; i < v; i++) out[r * v + i] = table[data[base + i]!]!;
    }
  } else {
    // Float16Array where the runtime has it.
    for (let r = 0; r < b; r++) {
      const base = (r * t + t - 1) * v;
      for (let i = 0; i < v; i++) out[r * v + i] = Number(data[base + i]);
    }
  }
  return out;
}
