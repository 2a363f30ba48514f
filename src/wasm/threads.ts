/**
 * Worker threads for the threaded kernel builds. Each worker instantiates the same compiled module
 * on the same shared memory and waits for its share of every large matrix product, which the calling thread publishes in a control block (assembly/threads.ts). Node uses
 * worker_threads; Deno and browsers use Worker on a module built from an inline string, so no extra
 * file has to be bundled or served.
 */
import { detectRuntime } from '../platform/index.js';
import type { KernelExports } from './kernels.js';

/** Matrix products under this many multiply-adds stay on the calling thread by default: below it
 *  the round trip to the workers (tens of microseconds) costs more than it saves. */
export const DEFAULT_SPLIT_THRESHOLD = 1_048_576; // 2^20
/** A worker that finishes no block of a product for this long is taken for dead by default. A block
 *  is at most a few hundred million multiply-adds, well under a second on any machine that trains. */
export const DEFAULT_WORKER_TIMEOUT_MS = 30_000;

/** Where the workers find their part of the shared state. */
export interface ThreadSetup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: number;
  control: number;
  scratch: number;
  splitThreshold: number;
  timeoutMs: number;
}

export interface ThreadPool {
  /** Why the last products were not computed by every thread (then the kernels keep every product
   *  on the calling thread), or null while all workers answer. */
  failure(): string | null;
  terminate(): void;
}

interface HostWorker {
  terminate(): unknown;
  /** Node: lets the process exit while the worker waits for work. */
  unref?(): unknown;
}

// The worker configures its own instance (globals are per instance, memory is shared), reports
// that it is ready, then waits for the task counter (int 0 of the control block) to move, computes
// its share and counts itself done (int 16), until the quit flag (int 1) is set with the counter.
// A share that traps sets the failure word (int 2) and still counts as done, so the calling thread
// never waits for it; the worker reports the error and keeps serving.
const QUIT = 1;
const FAILED = 2;
const TRAPPED = 1;
/** The worker's source: its loop (above) wrapped for Node's worker_threads or for a Web Worker. A
 *  function rather than module-level strings, so that a bundle that never starts threads leaves it out. */
function workerSource(host: 'node' | 'web'): string {
  const body = `
  const QUIT = ${QUIT}, FAILED = ${FAILED}, TRAPPED = ${TRAPPED};
  const k = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  k.threads_configure(d.control, d.threads, d.scratch, d.splitThreshold, d.timeoutMs);
  const ctl = new Int32Array(d.memory.buffer, d.control, 32);
  post('ready');
  for (let seen = 0; ; ) {
    while (Atomics.load(ctl, 0) === seen) Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, QUIT) !== 0) break;
    try {
      k.thread_run(d.index);
    } catch (err) {
      Atomics.store(ctl, FAILED, TRAPPED);
      post({ failed: String(err && err.message || err) });
    }
    Atomics.add(ctl, 16, 1);
    Atomics.notify(ctl, 16);
  }
  done();`;
  // A dynamic import, so that the code runs whether Node evaluates it as CommonJS or (under
  // --input-type=module, which workers inherit) as a module.
  if (host === 'node') {
    return `import('node:worker_threads').then(({ workerData: d, parentPort }) => {
  const post = (m) => parentPort.postMessage(m);
  const done = () => parentPort.close();${body}
});`;
  }
  return `self.onmessage = (e) => {
  const d = e.data;
  const post = (m) => self.postMessage(m);
  const done = () => self.close();${body}
};`;
}

/** Why this thread cannot run threaded kernels, or null when it can. */
export function threadSupportProblem(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    return 'SharedArrayBuffer is not available here (browsers give it only to cross-origin isolated pages: ' +
      'serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  const runtime = detectRuntime();
  if (runtime === 'node' || runtime === 'deno') return null;
  const g = globalThis as { Worker?: unknown; WorkerGlobalScope?: new () => unknown; crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) {
    return 'this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
      'Cross-Origin-Embedder-Policy: require-corp)';
  }
  const inWorker = typeof g.WorkerGlobalScope === 'function' && globalThis instanceof g.WorkerGlobalScope;
  if (!inWorker) {
    return "a browser's main thread may not block in Atomics.wait, which the threaded kernels need; " +
      'train in the TrainingWorker (src/worker) instead, which runs the model off the main thread';
  }
  if (typeof g.Worker !== 'function') return 'this runtime has no Worker to run the other threads on';
  return null;
}

/** Starts threads - 1 workers on the shared memory and resolves once every one waits for work. */
export async function startThreadPool(setup: ThreadSetup, kernels: KernelExports): Promise<ThreadPool> {
  const workers: HostWorker[] = [];
  const ctl = new Int32Array(setup.memory.buffer, setup.control, 32);
  const errors: string[] = [];
  const report = (index: number, message: unknown) => {
    const failed = (message as { failed?: unknown } | null)?.failed;
    if (typeof failed === 'string') errors.push(`kernel worker ${index} failed: ${failed}`);
  };
  // Waking the workers with the quit flag lets each one leave its wait loop and close by itself;
  // terminate() then only cleans up (some runtimes do not interrupt a thread blocked in a wait).
  const terminate = () => {
    Atomics.store(ctl, QUIT, 1);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    for (const w of workers.splice(0)) w.terminate();
  };
  try {
    const ready: Promise<void>[] = [];
    const node = detectRuntime() === 'node';
    for (let index = 1; index < setup.threads; index++) {
      const data = { ...setup, index };
      if (node) {
        const { Worker } = await import('node:worker_threads');
        const w = new Worker(workerSource('node'), { eval: true, workerData: data });
        w.on('message', (m) => report(index, m));
        workers.push(w);
        ready.push(new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`kernel worker ${index} exited (code ${code}) before it was ready`)));
        }));
      } else {
        const url = URL.createObjectURL(new Blob([workerSource('web')], { type: 'text/javascript' }));
        const w = new Worker(url, { type: 'module' });
        w.onmessage = (e) => report(index, e.data);
        workers.push(w);
        ready.push(new Promise((resolve, reject) => {
          w.addEventListener('message', () => {
            URL.revokeObjectURL(url);
            resolve();
          }, { once: true });
          w.onerror = (e) => reject(new Error(`kernel worker ${index} failed: ${e.message}`));
        }));
        w.postMessage(data);
      }
    }
    await Promise.all(ready);
    // Only now: the 'message' listener keeps a Node worker referenced, which the start needs (the
    // ready message must arrive) and the rest of the process must not (it would never exit).
    for (const w of workers) w.unref?.();
  } catch (err) {
    terminate();
    throw new Error(`threads: starting ${setup.threads - 1} kernel worker(s) failed: ${(err as Error).message}`);
  }
  kernels.threads_configure(setup.control, setup.threads, setup.scratch, setup.splitThreshold, setup.timeoutMs);
  const failure = (): string | null => {
    const code = Atomics.load(ctl, FAILED);
    if (code === 0) return null;
    if (errors.length > 0) return errors.join('; ');
    return code === TRAPPED ? 'a kernel worker failed while computing its share of a matrix product'
      : `a kernel worker finished no part of a matrix product for ${setup.timeoutMs} ms (it stopped, or the ` +
        'machine is too busy: raise workerTimeoutMs)';
  };
  return { failure, terminate };
}
