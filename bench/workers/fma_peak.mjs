// The pure FMA-loop peak of WASM SIMD on one core, measured in the same run as the training cases
// with the kernels benchmark's own loop (bench/kernels.ts), so that "percent of peak" compares
// numbers taken under the same load.
import { serve, workerOptions } from '../lib/serve.mjs';

serve(async () => {
  workerOptions();
  const kernels = await import('../../build/bench/kernels.js');
  if (typeof kernels.fmaPeakGflops !== 'function') {
    throw new Error(`build/bench/kernels.js exports no fmaPeakGflops() (exports: ${Object.keys(kernels).join(', ') || 'none'})`);
  }
  return {
    info: {},
    run: async () => ({ gflops: await kernels.fmaPeakGflops() }),
  };
});
