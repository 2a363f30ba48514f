// The pure FMA-loop peak of WASM SIMD on one core, measured in the same run as the training cases
// with the kernels' own register-only loop (the `fma_peak` export that bench/kernels.ts times), on
// the kernel build textloom picks here, so that "percent of peak" compares numbers taken under the
// same load.
import { serve, workerOptions } from '../lib/serve.mjs';

// fma_peak's contract: each round is 12 four-lane multiply-adds, 96 flops.
const FLOPS_PER_ROUND = 96;

serve(async () => {
  const { iterations } = workerOptions();
  const { instantiateKernels, resolveVariant } = await import('../../build/src/wasm/kernels.js');
  const variant = resolveVariant('auto');
  const k = await instantiateKernels(variant);
  return {
    info: { variant },
    run: async () => {
      const t0 = performance.now();
      k.fma_peak(iterations);
      const seconds = (performance.now() - t0) / 1000;
      return { gflops: (FLOPS_PER_ROUND * iterations) / seconds / 1e9 };
    },
  };
});
