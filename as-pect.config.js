// as-pect runs the kernel tests in wasm-tests/ against the sources in assembly/, compiled with
// relaxed SIMD enabled (as-pect.asconfig.json). asp relaunches node and drops command-line flags,
// so the V8 flag that accepts relaxed SIMD is set here, before any module is compiled.
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

export default {
  entries: ['wasm-tests/**/*.spec.ts'],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
