/**
 * Loading a GPT-2 ONNX model from a folder, URL prefix or Hub id: config files, the ONNX file(s) for
 * the requested dtype and layout, sessions on the chosen backend, and the checks that it really is a
 * GPT-2 decoder matching its config.
 */
import type * as Ort from 'onnxruntime-web';
import { parseGenerationConfig, parseGpt2Config, type Gpt2Config, type GenerationConfigJson } from './config.js';
import { checkAgainstConfig, recognize, type LayoutKind, type SessionInfo } from './layout.js';
import { Gpt2Model } from './model.js';
import { startRuntime, type Device, type OrtApi, type OrtRuntime } from './runtime.js';
import { ModelSourceError, openModelSource, type ModelFiles, type SourceOptions } from './source.js';
import { openFileSet, type ModelFileSet } from './file-set.js';
import { checkOptionKeys, optionKeys } from '../util/options.js';

/** File-name suffixes of the Hub's ONNX variants. */
const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

/**
 * Which ONNX variant of a Hub model to load, by file-name suffix: none for 'fp32', `_quantized` for
 * 'q8', `_<dtype>` for the others (e.g. `onnx/model_fp16.onnx`).
 */
export type Dtype = keyof typeof DTYPE_SUFFIX;

/** Options of loadGpt2Model and loadGpt2: the source options, which ONNX file to load, and the runtime. */
export interface LoadModelOptions extends SourceOptions {
  /** Which ONNX variant: 'fp32' (default), 'fp16', 'q8' (`_quantized`), 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'. */
  dtype?: Dtype | undefined;
  /** Which export to use when a model has several; default: single file, then merged, then the pair. */
  layout?: LayoutKind | 'auto' | undefined;
  /** Backend to run on; default 'auto' (see Device). */
  device?: Device | undefined;
  /** WASM or native intra-op threads; default: up to 4 cores in Node, Deno and cross-origin-isolated pages, else 1. */
  threads?: number | undefined;
  /**
   * An already imported onnxruntime-node (`await import('onnxruntime-node')`), for setups where this
   * package cannot import it by name (bundles, a copy installed elsewhere). Used for devices 'native' and 'auto'.
   */
  onnxruntimeNode?: OrtApi | undefined;
}

/** What loadGpt2Model resolves with: the model's files, its parsed configs, the model and its runtime. */
export interface LoadedModel {
  files: ModelFiles;
  config: Gpt2Config;
  generationConfig: GenerationConfigJson;
  model: Gpt2Model;
  /** The ONNX file(s) in use, relative to the model root. */
  onnxFiles: string[];
  runtime: OrtRuntime;
}

const LAYOUT_ORDER: LayoutKind[] = ['single', 'merged', 'pair'];

function layoutFiles(kind: LayoutKind, suffix: string): string[] {
  switch (kind) {
    case 'single': return [`onnx/model${suffix}.onnx`];
    case 'merged': return [`onnx/decoder_model_merged${suffix}.onnx`];
    case 'pair': return [`onnx/decoder_model${suffix}.onnx`, `onnx/decoder_with_past_model${suffix}.onnx`];
  }
}

/** Reads a file the model must have, with an error naming where it was looked for. */
export async function requireFile(files: ModelFiles, name: string, why: string): Promise<Uint8Array> {
  const bytes = await files.read(name);
  if (bytes === null) throw new ModelSourceError(`${files.location} has no ${name} (${why})`);
  return bytes;
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** The ONNX files for `dtype` and `layout`, with their bytes. */
async function findOnnx(files: ModelFiles, dtype: Dtype, layout: LayoutKind | 'auto'): Promise<{ names: string[]; bytes: Uint8Array[] }> {
  const suffix = DTYPE_SUFFIX[dtype];
  const kinds = layout === 'auto' ? LAYOUT_ORDER : [layout];
  const listed = await files.listOnnx();
  const tried: string[] = [];
  for (const kind of kinds) {
    const names = layoutFiles(kind, suffix);
    tried.push(...names);
    if (listed && !names.every((n) => listed.includes(n))) continue;
    const bytes: Uint8Array[] = [];
    for (const name of names) {
      const b = await files.read(name);
      if (b === null) break;
      bytes.push(b);
    }
    if (bytes.length === names.length) return { names, bytes };
  }
  const found = listed === null ? '' : listed.length === 0 ? '; it has no onnx/*.onnx files at all' : `; it has ${listed.join(', ')}`;
  const hint = listed !== null && listed.length > 0
    ? ` (pick another dtype${layout === 'auto' ? '' : ' or layout'}; dtypes map to suffixes ${Object.entries(DTYPE_SUFFIX).map(([k, v]) => `${k}: "${v}"`).join(', ')})`
    : ' (a GPT-2 model for this loader is exported to ONNX with Optimum, in the Hub layout)';
  throw new ModelSourceError(`${files.location}: no ONNX model for dtype ${dtype}: looked for ${tried.join(', ')}${found}${hint}`);
}

function sessionInfo(session: Ort.InferenceSession, file: string): SessionInfo {
  const inputs = new Map<string, { type: string; shape: readonly (number | string)[] }>();
  // inputMetadata exists in onnxruntime-web >= 1.22; older runtimes are checked after the first run.
  const metadata = (session as { inputMetadata?: readonly Ort.InferenceSession.ValueMetadata[] }).inputMetadata ?? [];
  for (const m of metadata) {
    if (m.isTensor) inputs.set(m.name, { type: m.type, shape: m.shape });
  }
  return { file, inputNames: session.inputNames, outputNames: session.outputNames, inputs };
}

function checkDtype(dtype: unknown): Dtype {
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SUFFIX)) {
    throw new ModelSourceError(`dtype must be one of ${Object.keys(DTYPE_SUFFIX).join(', ')}, got ${JSON.stringify(dtype)}`);
  }
  return dtype as Dtype;
}

/** The download options: a wrong one would show only once a download fails or stalls, as odd behaviour. */
function checkDownloadOptions(options: LoadModelOptions): void {
  const number = (key: 'downloadAttempts' | 'retryDelayMs' | 'stallTimeoutMs', ok: (v: number) => boolean, what: string): void => {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || !ok(v))) throw new RangeError(`loadGpt2: ${key} must be ${what}, got ${JSON.stringify(v)}`);
  };
  number('downloadAttempts', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1 (default 3)');
  number('retryDelayMs', (v) => Number.isFinite(v) && v >= 0, 'a number of milliseconds >= 0 (default 200)');
  number('stallTimeoutMs', (v) => Number.isFinite(v) && v > 0, 'a number of milliseconds > 0 (default 30000)');
  for (const key of ['onProgress', 'onWarning'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new TypeError(`loadGpt2: ${key} must be a function`);
  }
}

function checkLayout(layout: unknown): LayoutKind | 'auto' {
  if (layout !== 'auto' && !LAYOUT_ORDER.includes(layout as LayoutKind)) {
    throw new ModelSourceError(`layout must be 'auto', 'single', 'merged' or 'pair', got ${JSON.stringify(layout)}`);
  }
  return layout as LayoutKind | 'auto';
}

const LOAD_OPTION_KEYS = optionKeys<LoadModelOptions>({
  dtype: true, layout: true, device: true, threads: true, onnxruntimeNode: true, hubUrl: true, revision: true, cache: true,
  onProgress: true, downloadAttempts: true, retryDelayMs: true, stallTimeoutMs: true, signal: true, onWarning: true,
});

/**
 * Loads config, generation config and the ONNX decoder from a folder (a path or file: URL), URL prefix or Hub id, or from files
 * in hand (a picked folder's Files, a Map of names to bytes); the tokenizer is loaded by the pipeline.
 */
export async function loadGpt2Model(source: string | URL | ModelFileSet, options: LoadModelOptions = {}): Promise<LoadedModel> {
  checkOptionKeys('loadGpt2', options, LOAD_OPTION_KEYS);
  const dtype = checkDtype(options.dtype ?? 'fp32');
  const layout = checkLayout(options.layout ?? 'auto');
  checkDownloadOptions(options);
  // A URL object is a place like its string (`new URL('./gpt2/', import.meta.url)`), not files in hand.
  const files = typeof source === 'object' && source !== null && !(source instanceof URL)
    ? openFileSet(source)
    : await openModelSource(source, options);
  const configName = `${files.location}/config.json`;
  const config = parseGpt2Config(decode(await requireFile(files, 'config.json', 'every Hub model has one')), configName);
  const generationBytes = await files.read('generation_config.json');
  const generationConfig = generationBytes ? parseGenerationConfig(decode(generationBytes), `${files.location}/generation_config.json`) : {};
  const onnx = await findOnnx(files, dtype, layout);
  const runtime = await startRuntime({ device: options.device, threads: options.threads, onnxruntimeNode: options.onnxruntimeNode });
  const sessionOptions: Ort.InferenceSession.SessionOptions = { ...runtime.sessionOptions };
  if (runtime.backend === 'webgpu') {
    // The cache stays on the GPU between steps; logits come back to pick the next token.
    const location: Record<string, Ort.Tensor.DataLocation> = { logits: 'cpu' };
    for (let i = 0; i < config.nLayer; i++) location[`present.${i}.key`] = location[`present.${i}.value`] = 'gpu-buffer';
    sessionOptions.preferredOutputLocation = location;
  }
  const sessions: Ort.InferenceSession[] = [];
  for (let i = 0; i < onnx.names.length; i++) {
    try {
      sessions.push(await runtime.ort.InferenceSession.create(onnx.bytes[i]!, sessionOptions));
    } catch (e) {
      for (const s of sessions) await s.release();
      throw new ModelSourceError(`cannot open ${files.location}/${onnx.names[i]} with onnxruntime (${runtime.backend}): ${(e as Error).message}`);
    }
  }
  try {
    const infos = sessions.map((s, i) => sessionInfo(s, `${files.location}/${onnx.names[i]}`));
    const signature = recognize(infos);
    checkAgainstConfig(signature, infos, config, configName);
    const model = new Gpt2Model({ runtime, sessions, signature, config, configName });
    return { files, config, generationConfig, model, onnxFiles: onnx.names, runtime };
  } catch (e) {
    for (const s of sessions) await s.release();
    throw e;
  }
}
