/**
 * Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd; the relaxed kernels are the faster
 * build, and a user running `textloom` should not need to know the flag. V8 reads its WebAssembly feature
 * flags when a module is validated or compiled, so setting the flag before the first kernel compiles is
 * enough.
 */
import { setFlagsFromString } from 'node:v8';

// (func (param v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 0))): the smallest
// module that only validates where relaxed SIMD is on.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, // type section: (v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x80, 0x02, 0x0b, // code: relaxed_swizzle
]);

export function relaxedSimdValidates(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** Turns relaxed SIMD on where this Node knows it only as an experiment; true when it is on afterwards. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdValidates()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdValidates();
}
