// Splitting GEMMs across threads that share this module's memory (threaded builds only), by rows of
// C, or by columns when C has fewer rows than columns and B is not packed yet: each thread then packs
// only its own columns of B (the output layer's weights, read from memory once instead of once per
// thread). The calling thread publishes the task in a control block that the host owns, computes the
// first range itself and waits for the others; each worker thread waits for the task counter to
// move and computes the range of its index (thread_run). The driver sums every element of C in the
// same order whatever rows or columns it is given (gemm.ts), so the result does not depend on the
// thread count.

import { driverRows, gemm_scratch_floats } from './gemm';

// Control block layout in bytes: the task counter (with the host's quit flag and the failure word
// after it) and the done counter sit on their own cache lines, then the task's arguments and the
// progress counter. Workers wait on the task counter in JS (src/wasm/threads.ts).
const SEQ: usize = 0;
const FAILED: usize = 8; // 1: a worker trapped (its JS loop sets it), STALLED: a worker stopped answering
const STALLED: i32 = 2;
const DONE: usize = 64;
const ARGS: usize = 128;
const PROGRESS: usize = 192;
// The waiting thread looks at the progress counter this often (nanoseconds).
const SLICE_NS: i64 = 100_000_000;
/** Bytes of the control block the host reserves. */
const CONTROL_BYTES: i32 = 256;

let control: usize = 0;
let threadCount: i32 = 1;
let workerScratch: usize = 0; // (threadCount - 1, gemm_scratch_floats())
let minMacs: i64 = 0;
let silentSlicesAllowed: i32 = 1;

/** Bytes the host must reserve for the control block (zeroed, 64-byte aligned). */
export function threads_control_bytes(): i32 {
  return CONTROL_BYTES;
}

/** Turns splitting on for `n` threads: `ctrl` is the zeroed control block, `scratch` holds n - 1
 *  GEMM scratch areas for the workers, products under `minWork` multiply-adds stay on one thread,
 *  and a worker that shows no progress for `timeoutMs` is taken for dead. */
export function threads_configure(ctrl: usize, n: i32, scratch: usize, minWork: f64, timeoutMs: f64): void {
  control = ctrl;
  threadCount = n;
  workerScratch = scratch;
  minMacs = <i64>minWork;
  silentSlicesAllowed = max(1, <i32>Math.ceil(timeoutMs * 1e6 / <f64>SLICE_NS));
}

/** True when a product of this size is worth sending to the other threads. Once a worker has
 *  failed, every product stays on the calling thread, so the results are right again. */
// @ts-ignore: decorator
@inline export function shouldSplit(M: i32, K: i32, N: i32): bool {
  return threadCount > 1 && M > 4 && <i64>M * <i64>K * <i64>N >= minMacs &&
    atomic.load<i32>(control + FAILED) == 0;
}

/** Counts one finished block of a product, so the waiting thread can tell a slow worker from a
 *  dead one. */
// @ts-ignore: decorator
@inline export function progressed(): void {
  if (ASC_FEATURE_THREADS && control != 0) atomic.add<i32>(control + PROGRESS, 1);
}

// Thread t's range: whole 4-row blocks of C, or whole 8-column panels when splitting by columns;
// the last range is shorter.
function runRange(t: i32, scratch: usize): void {
  const a = control + ARGS;
  const M = load<i32>(a, 32), N = load<i32>(a, 40);
  const byCols = load<i32>(a, 52) != 0;
  const total = byCols ? N : M;
  const unit = byCols ? 8 : 4;
  const step = ((total + threadCount - 1) / threadCount + unit - 1) & ~(unit - 1);
  const lo = min(total, t * step);
  const hi = min(total, lo + step);
  if (lo >= hi) return;
  const C = load<usize>(a, 0), ldc = load<i32>(a, 4), A = load<usize>(a, 8);
  const ars = load<usize>(a, 12), aks = load<usize>(a, 16);
  const B = load<usize>(a, 20), bks = load<usize>(a, 24), bjs = load<usize>(a, 28);
  const K = load<i32>(a, 36), accumulate = load<i32>(a, 44) != 0;
  if (byCols) {
    driverRows(C + <usize>lo * 4, ldc, A, ars, aks, B + <usize>lo * bjs, bks, bjs,
               M, K, hi - lo, accumulate, scratch, 0);
  } else {
    driverRows(C + <usize>lo * <usize>ldc * 4, ldc, A + <usize>lo * ars, ars, aks, B, bks, bjs,
               hi - lo, K, N, accumulate, scratch, load<usize>(a, 48));
  }
}

/** Runs C (+)= A B on all threads (arguments as driverRows) and returns when every range is done,
 *  or when the workers have shown no progress for the configured time: the failure word then says
 *  so (the product is incomplete) and the host reports it after the kernel returns. */
export function splitProduct(C: usize, ldc: i32, A: usize, ars: usize, aks: usize,
                          B: usize, bks: usize, bjs: usize, M: i32, K: i32, N: i32, accumulate: bool,
                          scratch: usize, packed: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  const a = control + ARGS;
  store<usize>(a, C, 0); store<i32>(a, ldc, 4); store<usize>(a, A, 8);
  store<usize>(a, ars, 12); store<usize>(a, aks, 16);
  store<usize>(a, B, 20); store<usize>(a, bks, 24); store<usize>(a, bjs, 28);
  store<i32>(a, M, 32); store<i32>(a, K, 36); store<i32>(a, N, 40); store<i32>(a, accumulate ? 1 : 0, 44);
  store<usize>(a, packed, 48);
  store<i32>(a, packed == 0 && M < N ? 1 : 0, 52);
  atomic.store<i32>(control + DONE, 0);
  atomic.add<i32>(control + SEQ, 1);
  atomic.notify(control + SEQ, threadCount - 1);
  runRange(0, scratch);
  const others = threadCount - 1;
  let seen = atomic.load<i32>(control + PROGRESS);
  let silent = 0;
  for (let done = atomic.load<i32>(control + DONE); done != others; done = atomic.load<i32>(control + DONE)) {
    if (atomic.wait<i32>(control + DONE, done, SLICE_NS) != 2) continue;
    const now = atomic.load<i32>(control + PROGRESS);
    if (now != seen) {
      seen = now;
      silent = 0;
    } else if (++silent >= silentSlicesAllowed) {
      atomic.store<i32>(control + FAILED, STALLED);
      return;
    }
  }
}

/** Worker thread `t` (1 .. n-1): its range of the task just published, with its own GEMM scratch.
 *  The host's worker loop calls it each time the task counter moves. */
export function thread_run(t: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  runRange(t, workerScratch + <usize>(t - 1) * <usize>gemm_scratch_floats() * 4);
}
