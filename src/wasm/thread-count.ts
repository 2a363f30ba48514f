/**
 * How many kernel threads a model may ask for. Apart from threads.ts so that the public MAX_THREADS
 * declares no WebAssembly types: a Node project type-checks textloom's declarations without the DOM library.
 */

/** At most this many threads: each one past the first holds a worker and a GEMM scratch area. */
export const MAX_THREADS = 64;

/** Checks a `threads` option: an integer from 1 to MAX_THREADS (absent means 1). */
export function checkThreadCount(value: unknown, where: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_THREADS) {
    throw new RangeError(`${where}: threads must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(value)}; ` +
      'pass 1 (or leave it out) for single-threaded kernels');
  }
  return value;
}
