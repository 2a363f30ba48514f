// textloom's GPT-2 as a user runs it: loadGpt2() on the model folder (WASM backend), then greedy
// generateIds() with streaming, so that the whole path (engine, KV cache, logits processors,
// selection) is timed against the bare onnxruntime loop.
import { serve, workerOptions } from '../lib/serve.mjs';

serve(async () => {
  const opts = workerOptions();
  const { loadGpt2 } = await import('../../build/src/gpt2/index.js');
  const pipeline = await loadGpt2(opts.modelDir, { dtype: opts.dtype, layout: 'single', device: 'wasm', threads: opts.threads });
  return {
    info: { onnxFiles: pipeline.onnxFiles, backend: pipeline.backend, threads: opts.threads, dtype: opts.dtype },
    run: async () => {
      const stamps = [];
      const t0 = performance.now();
      const result = await pipeline.generateIds([opts.prompt], {
        doSample: false,
        maxNewTokens: opts.newTokens,
        onToken: () => stamps.push(performance.now()),
      });
      pipeline.model.dispose();
      if (stamps.length < 2) throw new Error(`generation stopped after ${stamps.length} token(s); expected ${opts.newTokens}`);
      const last = stamps[stamps.length - 1];
      return {
        ttftSeconds: (stamps[0] - t0) / 1000,
        tokPerSec: (stamps.length - 1) / ((last - stamps[0]) / 1000),
        firstTokens: result.newTokens[0].slice(0, 4).join(' '),
      };
    },
  };
});
