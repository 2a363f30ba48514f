/**
 * Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd; the relaxed kernels are the faster
 * build, and a user running `textloom` should not need to know the flag. V8 reads its WebAssembly feature
 * flags when a module is validated or compiled, so setting the flag before the first kernel compiles is
 * enough.
 */
import { setFlagsFromString } from 'node:v8';
// Through the package entry: the CLI bundle imports that from textloom.js instead of inlining the kernels.
import { relaxedSimdSupported } from '../index.js';

/** Turns relaxed SIMD on where this Node knows it only as an experiment; true when it is on afterwards. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
