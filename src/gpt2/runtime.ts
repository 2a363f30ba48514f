/**
 * Choosing and starting an ONNX Runtime. This is the only file that imports onnxruntime, and only
 * when a model is loaded, so code that never runs GPT-2 never loads it.
 *
 * - WebGPU: the `onnxruntime-web/webgpu` build, when `navigator.gpu` gives a hardware adapter (browsers,
 *   Deno), or on any adapter when device 'webgpu' is asked for.
 * - Native: `onnxruntime-node` in Node when it is installed (an optional peer; faster there).
 * - WASM: `onnxruntime-web` everywhere else (in Node and Deno it resolves to its WASM-only Node build).
 */
import type * as Ort from 'onnxruntime-web';
import { detectRuntime } from '../platform/index.js';

/**
 * The backend to ask for. 'auto' takes WebGPU on a hardware adapter, else onnxruntime-node in Node
 * when installed, else WASM; 'webgpu' and 'native' throw a RuntimeError where they are not available.
 */
export type Device = 'auto' | 'wasm' | 'webgpu' | 'native';
/** The backend a model runs on: onnxruntime-web on WASM or WebGPU, or onnxruntime-node ('native'). */
export type Backend = 'wasm' | 'webgpu' | 'native';

/** The subset of the onnxruntime API used here; onnxruntime-web and onnxruntime-node both provide it. */
export interface OrtApi {
  InferenceSession: typeof Ort.InferenceSession;
  Tensor: typeof Ort.Tensor;
  env: typeof Ort.env;
}

export interface OrtRuntime {
  ort: OrtApi;
  backend: Backend;
  threads: number;
  sessionOptions: Ort.InferenceSession.SessionOptions;
}

/**
 * onnxruntime cannot start as asked: an unknown device or bad thread count, no WebGPU adapter for
 * 'webgpu', no onnxruntime-node for 'native', or a thread count other than the one onnxruntime-web
 * already runs with in this process.
 */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

interface AdapterInfo {
  isFallbackAdapter?: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null> };
  hardwareConcurrency?: number;
}

/**
 * What WebGPU offers here: null without an adapter (a silent fallback would make gpu-buffer runs
 * throw), 'software' for CPU rasterizers (llvmpipe, lavapipe, SwiftShader: about 100 times slower
 * than WASM for GPT-2), else 'hardware'.
 */
export async function webGpuAdapterKind(): Promise<'hardware' | 'software' | null> {
  const nav = (globalThis as { navigator?: GpuNavigator }).navigator;
  if (!nav?.gpu) return null;
  let adapter;
  try {
    adapter = await nav.gpu.requestAdapter();
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(text);
  return software ? 'software' : 'hardware';
}

/** True when WebGPU exists here and gives an adapter (hardware or software). */
export async function hasWebGpuAdapter(): Promise<boolean> {
  return (await webGpuAdapterKind()) !== null;
}

/**
 * The default thread count: up to 4 cores where WASM threads are possible (Node, Deno, and
 * cross-origin-isolated pages), else 1.
 */
function defaultThreads(): number {
  const cores = (globalThis as { navigator?: GpuNavigator }).navigator?.hardwareConcurrency ?? 1;
  const runtime = detectRuntime();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (runtime === 'node' || runtime === 'deno' || isolated) return Math.max(1, Math.min(4, cores));
  return 1;
}

// A module name in a variable keeps bundlers and the type checker from requiring the optional peer.
const NATIVE_MODULE = 'onnxruntime-node';

async function importNative(given: OrtApi | undefined): Promise<OrtApi | null> {
  if (given) return given;
  if (detectRuntime() !== 'node') return null;
  try {
    return (await import(NATIVE_MODULE)) as OrtApi;
  } catch {
    return null;
  }
}

/**
 * The error for an onnxruntime-web that did not import. It is an optional peer dependency, so a program
 * that loads GPT-2 may not have it, and the runtime's own "cannot find package" names neither the fix nor
 * who wants it. Each import() of it is a literal followed by `.catch` with this: bundlers see the literal
 * and bundle onnxruntime-web where it is installed, and the catch has esbuild leave the import to run
 * time where it is not, instead of failing the build of a program that only trains RNNs.
 */
function webImportFailed(name: string, e: unknown): never {
  const message = (e as Error).message ?? String(e);
  // Node and Deno mark a module that does not resolve; browsers only say so in the message.
  const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || /specifier|resolve/i.test(message);
  if (!missing) throw e;
  const runtime = detectRuntime();
  const fix = runtime === 'node'
    ? 'install it beside textloom: npm install onnxruntime-web'
    : runtime === 'deno'
      ? 'run from a folder whose package.json lists it (npm install onnxruntime-web), or map it in deno.json: ' +
        '"imports": { "onnxruntime-web": "npm:onnxruntime-web@^1.30.0" }'
      : 'map it in the page\'s import map (see web/README.md), or install it where your bundler finds it';
  const who = runtime === 'node' ? 'Node' : runtime === 'deno' ? 'Deno' : 'this page';
  // Deno appends the importing line to its message; the first line says what failed.
  throw new RuntimeError(`GPT-2 runs on onnxruntime-web, an optional peer dependency, and ${who} cannot import it here: ${fix} (${name}: ${message.split('\n')[0]})`);
}

/** Thread counts each WASM build was started with: ORT fixes it when its first session is created. */
const startedThreads = new Map<string, number>();

function configureWasm(ort: OrtApi, build: string, threads: number): void {
  const started = startedThreads.get(build);
  if (started !== undefined && started !== threads) {
    throw new RuntimeError(
      `onnxruntime-web (${build}) already runs with ${started} thread(s) in this process and cannot change to ${threads}; ` +
      `load every model with threads: ${started}, or use a new process (or worker) for a different count`,
    );
  }
  ort.env.wasm.numThreads = threads;
  startedThreads.set(build, threads);
}

export interface RuntimeOptions {
  device?: Device | undefined;
  /** WASM / native intra-op threads; default `defaultThreads()`. */
  threads?: number | undefined;
  /**
   * An already imported onnxruntime-node, for setups where this package cannot import it by name
   * (bundles, a copy installed elsewhere). Used for devices 'native' and 'auto'.
   */
  onnxruntimeNode?: OrtApi | undefined;
}

/** Picks the backend for `device` and imports its runtime. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<OrtRuntime> {
  const device = options.device ?? 'auto';
  if (!['auto', 'wasm', 'webgpu', 'native'].includes(device)) {
    throw new RuntimeError(`device must be 'auto', 'wasm', 'webgpu' or 'native', got ${JSON.stringify(device)}`);
  }
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RuntimeError(`threads must be an integer >= 1, got ${JSON.stringify(threads)}`);
  }
  const base: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  // 'auto' takes WebGPU only on a hardware adapter; a software one is far slower than WASM.
  if (device === 'webgpu' || (device === 'auto' && (await webGpuAdapterKind()) === 'hardware')) {
    if (!(await hasWebGpuAdapter())) {
      throw new RuntimeError(
        `device 'webgpu' was asked for but ${detectRuntime()} gives no WebGPU adapter here ` +
        "(Chromium needs WebGPU enabled, Deno a Vulkan driver); use device 'wasm' or 'auto'",
      );
    }
    const ort = (await import('onnxruntime-web/webgpu').catch((e: unknown) => webImportFailed('onnxruntime-web/webgpu', e))) as OrtApi;
    configureWasm(ort, 'webgpu', threads);
    return { ort, backend: 'webgpu', threads, sessionOptions: { ...base, executionProviders: ['webgpu'] } };
  }
  if (device === 'native' || device === 'auto') {
    const native = await importNative(options.onnxruntimeNode);
    if (native) {
      return {
        ort: native,
        backend: 'native',
        threads,
        sessionOptions: { ...base, executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 },
      };
    }
    if (device === 'native') {
      throw new RuntimeError(
        `device 'native' needs onnxruntime-node, which ${detectRuntime() === 'node' ? 'is not installed (npm install onnxruntime-node)' : 'only runs in Node'}; use device 'wasm' or 'auto'`,
      );
    }
  }
  const ort = (await import('onnxruntime-web').catch((e: unknown) => webImportFailed('onnxruntime-web', e))) as OrtApi;
  configureWasm(ort, 'wasm', threads);
  return { ort, backend: 'wasm', threads, sessionOptions: { ...base, executionProviders: ['wasm'] } };
}
