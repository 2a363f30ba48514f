/**
 * The typed face of the compiled kernels (assembly/): one method per export, and the loader
 * that picks the relaxed-SIMD build where the runtime validates it, plain SIMD otherwise.
 * Pointers are byte offsets into the instance's memory; every shape is in floats.
 */
import { buildName, bytesOf, relaxedSimdSupported, type KernelVariant } from './builds.js';

export type { KernelVariant };

export type KernelChoice = 'auto' | KernelVariant;

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** First byte the host may use; below it lies the module's own static data. */
  heap_base(): number;
  /** Floats of scratch each gemm_* call needs for its packed panels. */
  gemm_scratch_floats(): number;
  /** C (M, N) = A (M, K) · B (K, N); `accumulate` 1 adds to C instead. */
  gemm_nn(C: number, A: number, B: number, M: number, K: number, N: number, lda: number, ldb: number, ldc: number, accumulate: number, scratch: number): void;
  /** C (M, N) = A (M, K) · Bᵀ with B stored (N, K); `accumulate` 1 adds to C instead. */
  gemm_nt(C: number, A: number, B: number, M: number, K: number, N: number, lda: number, ldb: number, ldc: number, accumulate: number, scratch: number): void;
  /** C (M, N) = Aᵀ · B with A stored (K, M), B (K, N); `accumulate` 1 adds to C instead. */
  gemm_tn(C: number, A: number, B: number, M: number, K: number, N: number, lda: number, ldb: number, ldc: number, accumulate: number, scratch: number): void;
  /** Floats a whole packed (K, N) right-hand side takes. */
  gemm_packed_floats(K: number, N: number): number;
  /** Packs B (K, N) into P for repeated gemm_packed calls. */
  gemm_pack_nn(P: number, B: number, K: number, N: number, ldb: number): void;
  /** Packs Bᵀ for B stored (N, K) into P for repeated gemm_packed calls. */
  gemm_pack_nt(P: number, B: number, K: number, N: number, ldb: number): void;
  /** C (M, N) = A (M, K) · packed B, or += with `accumulate` 1; bit-identical to the unpacked call. */
  gemm_packed(C: number, A: number, P: number, M: number, K: number, N: number, lda: number, ldc: number, accumulate: number): void;
  /** Floats of the `packed` work buffer a layer kernel with G gates of H units needs. */
  recurrent_packed_floats(G: number, H: number): number;
  /** Scalar reference for all layouts (transA/transB 1 for a transposed operand). */
  gemm_reference(C: number, A: number, B: number, M: number, K: number, N: number, lda: number, ldb: number, ldc: number, transA: number, transB: number, accumulate: number): void;
  /** out (N, E) = table (V, E) rows at ids (N, int32). */
  embedding_forward(out: number, table: number, ids: number, N: number, E: number): void;
  /** Gradient of the table as touched rows: slot (V, int32) gets each id's row in `rows`
   *  (min(N, V), E) or -1; rows get the sums of dout (N, E) per id. Returns the touched count. */
  embedding_backward(rows: number, slot: number, dout: number, ids: number, N: number, V: number, E: number): number;
  /** C (M, ld) rows += b (N). */
  bias_forward(C: number, b: number, M: number, N: number, ld: number): void;
  /** db (N) += column sums of dC (M, ld). */
  bias_backward(db: number, dC: number, M: number, N: number, ld: number): void;
  /** Elman tanh layer: h (T, B, H) from x (T, B, I) and h0 (B, H); W_hh is packed into `packed` and
   *  W_ih into `packedIh` (when nonzero) unless `prepacked` is 1 (an earlier forward call with the
   *  same weights left them there). */
  rnn_forward(h: number, x: number, h0: number, W_ih: number, W_hh: number, b_ih: number, b_hh: number, T: number, B: number, I: number, H: number, packed: number, packedIh: number, prepacked: number, scratch: number): void;
  /** Elman backward; dh (T, B, H) in, overwritten; weight, bias and dx grads accumulate. */
  rnn_backward(dW_ih: number, dW_hh: number, db_ih: number, db_hh: number, dx: number, dh: number, h: number, x: number, h0: number, W_ih: number, W_hh: number, T: number, B: number, I: number, H: number, packed: number, scratch: number): void;
  /** LSTM layer: h, c (T, B, H) and activated gates (T, B, 4H) from x, h0, c0 (packing as rnn_forward). */
  lstm_forward(h: number, c: number, gates: number, x: number, h0: number, c0: number, W_ih: number, W_hh: number, b_ih: number, b_hh: number, T: number, B: number, I: number, H: number, packed: number, packedIh: number, prepacked: number, scratch: number): void;
  /** LSTM backward; dh (T, B, H) in and gates overwritten, dc (B, H) work; grads accumulate. */
  lstm_backward(dW_ih: number, dW_hh: number, db_ih: number, db_hh: number, dx: number, dh: number, dc: number, gates: number, h: number, c: number, x: number, h0: number, c0: number, W_ih: number, W_hh: number, T: number, B: number, I: number, H: number, packed: number, scratch: number): void;
  /** GRU layer: h (T, B, H) and gate rows (T, B, 4H: r, z, n, hn) from x, h0; gh (B, 3H) work (packing as rnn_forward). */
  gru_forward(h: number, gates: number, x: number, h0: number, W_ih: number, W_hh: number, b_ih: number, b_hh: number, T: number, B: number, I: number, H: number, gh: number, packed: number, packedIh: number, prepacked: number, scratch: number): void;
  /** GRU backward; dh (T, B, H) in and gates overwritten; grads accumulate. */
  gru_backward(dW_ih: number, dW_hh: number, db_ih: number, db_hh: number, dx: number, dh: number, gates: number, h: number, x: number, h0: number, W_ih: number, W_hh: number, T: number, B: number, I: number, H: number, packed: number, scratch: number): void;
  /** losses (N) = cross-entropy of each logits row (N, V) against targets (N, int32). */
  xent_forward(losses: number, logits: number, targets: number, N: number, V: number): void;
  /** logits (N, V) become scale · d(loss sum)/d logits in place; returns the loss sum. */
  xent_backward(logits: number, targets: number, scale: number, N: number, V: number): number;
  /** Loss sum of (h W^T + b) vs targets over N rows, R rows of logits (R, V work) at a time. */
  head_forward(logits: number, h: number, W: number, b: number, targets: number, N: number, H: number, V: number, R: number, scratch: number): number;
  /** head_forward plus gradients of scale · (loss sum) accumulated into dh (N, H), dW (V, H), db (V). */
  head_backward(dh: number, dW: number, db: number, logits: number, h: number, W: number, b: number, targets: number, scale: number, N: number, H: number, V: number, R: number, scratch: number): number;
  /** One Adam/AdamW step over n floats (see assembly/adam.ts for the exact formula). */
  adam_step(param: number, m: number, v: number, grad: number, n: number, beta1: number, beta2: number, stepSize: number, bc2sqrt: number, eps: number, l2: number, decay: number): void;
  /** adam_step over a (V, E) table with embedding_backward's rows and slot as its gradient;
   *  untouched rows step with `zero` (E floats of 0). */
  adam_rows(param: number, m: number, v: number, rows: number, slot: number, zero: number, V: number, E: number, beta1: number, beta2: number, stepSize: number, bc2sqrt: number, eps: number, l2: number, decay: number): void;
  /** Sum of squares of n floats, accumulated in float64. */
  sum_squares(x: number, n: number): number;
  /** x (n) *= s. */
  scale(x: number, n: number, s: number): void;
  /** 12 independent vector multiply-adds per iteration (96 flops); the GEMM's speed limit. */
  fma_peak(iterations: number): number;
  /** Bytes of the control block that threads_configure takes. */
  threads_control_bytes(): number;
  /** Threaded builds: split GEMMs over n threads (control block, n - 1 worker scratch areas, and the
   *  smallest product in multiply-adds worth splitting). A no-op in the single-threaded builds. */
  threads_configure(control: number, n: number, scratch: number, minMacs: number, timeoutMs: number): void;
  /** Threaded builds: worker thread t (1 .. n-1) computes its share of the task just published. */
  thread_run(t: number): void;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Pages the threaded builds' shared memory starts with and may grow to (asconfig.json). */
const SHARED_INITIAL_PAGES = 16;
const SHARED_MAXIMUM_PAGES = 65536;

function compiled(variant: KernelVariant, threaded: boolean): Promise<WebAssembly.Module> {
  const key = buildName(variant, threaded);
  let module = modules.get(key);
  if (!module) {
    module = WebAssembly.compile(bytesOf(variant, threaded));
    modules.set(key, module);
  }
  return module;
}

/** The build a choice resolves to here; asking for 'relaxed' where it cannot run is an error. */
export function resolveVariant(choice: KernelChoice = 'auto'): KernelVariant {
  if (choice === 'simd') return 'simd';
  if (choice === 'relaxed') {
    if (!relaxedSimdSupported()) {
      throw new Error("kernels: 'relaxed' was requested but this runtime does not accept relaxed SIMD " +
        "(Node 20 needs --experimental-wasm-relaxed-simd); use kernels: 'auto' or 'simd'");
    }
    return 'relaxed';
  }
  if (choice !== 'auto') {
    throw new Error(`kernels: expected 'auto', 'simd' or 'relaxed', got ${JSON.stringify(choice)}`);
  }
  return relaxedSimdSupported() ? 'relaxed' : 'simd';
}

/** A fresh instance (with its own memory) of the chosen build; modules are compiled once. */
export async function instantiateKernels(variant: KernelVariant): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(await compiled(variant, false), {});
  return instance.exports as unknown as KernelExports;
}

/** True when this runtime accepts the threaded build of `variant` (atomics and shared memory). */
export function threadedBuildSupported(variant: KernelVariant): boolean {
  return WebAssembly.validate(bytesOf(variant, true));
}

/** The threaded build of `variant` on fresh shared memory: its exports, plus the compiled module and
 *  the memory that worker threads instantiate again to compute on the same data. */
export async function instantiateSharedKernels(variant: KernelVariant):
    Promise<{ kernels: KernelExports; module: WebAssembly.Module; memory: WebAssembly.Memory }> {
  const module = await compiled(variant, true);
  const memory = new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { kernels: instance.exports as unknown as KernelExports, module, memory };
}
