/**
 * The compiled kernel builds as bytes, decoded once each, and which of them this runtime accepts. Apart
 * from kernels.ts so that the public relaxedSimdSupported() declares no WebAssembly types: a Node
 * project type-checks textloom's declarations without the DOM library.
 */
import { RELAXED_THREADS_WASM_BASE64, RELAXED_WASM_BASE64, SIMD_THREADS_WASM_BASE64, SIMD_WASM_BASE64 } from './binaries.generated.js';
import { decodeBase64 } from './base64.js';

export type KernelVariant = 'simd' | 'relaxed';

const decoded = new Map<string, Uint8Array<ArrayBuffer>>();
const SOURCES: Record<string, string> = {
  simd: SIMD_WASM_BASE64,
  relaxed: RELAXED_WASM_BASE64,
  'simd-threads': SIMD_THREADS_WASM_BASE64,
  'relaxed-threads': RELAXED_THREADS_WASM_BASE64,
};

/** The build's name in SOURCES and asconfig.json. */
export function buildName(variant: KernelVariant, threaded: boolean): string {
  return threaded ? `${variant}-threads` : variant;
}

export function bytesOf(variant: KernelVariant, threaded = false): Uint8Array<ArrayBuffer> {
  const key = buildName(variant, threaded);
  let bytes = decoded.get(key);
  if (!bytes) {
    bytes = decodeBase64(SOURCES[key]);
    decoded.set(key, bytes);
  }
  return bytes;
}

/** True when this runtime accepts the relaxed-SIMD build (Node 20 needs --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(bytesOf('relaxed'));
}
