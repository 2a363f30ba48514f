// textloom's GPT-2 engine driven exactly as the bare onnxruntime loop drives its session: prefill
// the prompt, then greedy single-token steps with the KV cache kept by the engine.
import { serve, workerOptions } from '../lib/serve.mjs';

function argmax(logits) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

serve(async () => {
  const opts = workerOptions();
  const { loadGpt2Model } = await import('../../build/src/gpt2/load.js');
  const loaded = await loadGpt2Model(opts.modelDir, { dtype: opts.dtype, layout: 'single', device: 'wasm', threads: opts.threads });
  const { model } = loaded;
  const prompt = Int32Array.from(opts.prompt); // (T)
  const mask = new Uint8Array(prompt.length).fill(1); // (T)
  return {
    info: { onnxFiles: loaded.onnxFiles, backend: loaded.runtime.backend, threads: opts.threads, dtype: opts.dtype },
    run: async () => {
      const out = [];
      const next = new Int32Array(1); // (B=1)
      const t0 = performance.now();
      next[0] = argmax(await model.prefill([prompt], [mask])); // logits (1, V)
      out.push(next[0]);
      const tFirst = performance.now();
      for (let i = 1; i < opts.newTokens; i++) {
        next[0] = argmax(await model.next(next));
        out.push(next[0]);
      }
      const tEnd = performance.now();
      model.dispose();
      return {
        ttftSeconds: (tFirst - t0) / 1000,
        tokPerSec: (opts.newTokens - 1) / ((tEnd - tFirst) / 1000),
        firstTokens: out.slice(0, 4).join(' '),
      };
    },
  };
});
