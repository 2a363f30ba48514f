// A bare onnxruntime loop over a GPT-2 ONNX file: onnxruntime-web (WASM, the runtime textloom uses)
// or onnxruntime-node (native), each at an explicit thread count.
import { readFileSync } from 'node:fs';
import { cacheLayout, decodeGreedy } from '../lib/gpt2-loop.mjs';
import { requirePeer } from '../lib/peer-import.mjs';
import { serve, workerOptions } from '../lib/serve.mjs';

serve(async () => {
  const opts = workerOptions();
  let ort;
  const sessionOptions = { graphOptimizationLevel: 'all' };
  if (opts.runtime === 'web') {
    ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = opts.threads;
    sessionOptions.executionProviders = ['wasm'];
  } else if (opts.runtime === 'node') {
    ort = requirePeer('onnxruntime-node');
    sessionOptions.executionProviders = ['cpu'];
    sessionOptions.intraOpNumThreads = opts.threads;
    sessionOptions.interOpNumThreads = 1;
  } else {
    throw new Error(`unknown runtime '${opts.runtime}': expected 'web' or 'node'`);
  }
  const config = JSON.parse(readFileSync(`${opts.modelDir}/config.json`, 'utf8'));
  const session = await ort.InferenceSession.create(readFileSync(`${opts.modelDir}/${opts.onnxFile}`), sessionOptions);
  const layout = cacheLayout(session, config);
  return {
    info: { runtime: opts.runtime, ort: ort.env.versions?.common ?? null, threads: opts.threads, onnxFile: opts.onnxFile },
    run: async () => {
      const r = await decodeGreedy(ort, session, layout, opts.prompt, opts.newTokens);
      return {
        ttftSeconds: r.ttftSeconds,
        tokPerSec: r.tokPerSec,
        firstTokens: r.tokens.slice(0, 4).join(' '),
      };
    },
  };
});
