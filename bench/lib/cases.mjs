// How each kind of bench worker is started: the command line and environment of one case.
import { fileURLToPath } from 'node:url';
import { OPENBLAS_DIR, PYTHON } from './machine.mjs';

const WORKERS = fileURLToPath(new URL('../workers/', import.meta.url));

/** A Node worker; relaxed SIMD is on as in every textloom test run (Node 20 keeps it behind a flag). */
export function nodeCase(name, worker, opts) {
  return {
    name,
    command: process.execPath,
    args: ['--experimental-wasm-relaxed-simd', `${WORKERS}${worker}`, JSON.stringify(opts)],
  };
}

/**
 * A PyTorch worker on Debian's OpenBLAS, chosen with LD_LIBRARY_PATH (read once at process start).
 * `core` null lets OpenBLAS detect the CPU itself; otherwise OPENBLAS_CORETYPE forces that kernel
 * set. OPENBLAS_L2_SIZE is dropped with it, as this machine's defaults set both together.
 */
export function torchCase(name, opts, core) {
  const env = { ...process.env, LD_LIBRARY_PATH: OPENBLAS_DIR, OMP_NUM_THREADS: String(opts.threads), OPENBLAS_NUM_THREADS: String(opts.threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (core) env.OPENBLAS_CORETYPE = core;
  return { name, command: PYTHON, args: [`${WORKERS}torch_rnn.py`, JSON.stringify(opts)], env };
}
