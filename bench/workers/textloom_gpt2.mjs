// textloom's GPT-2 as a user runs it: loadGpt2() on the model folder, then greedy generateIds()
// with streaming, so that the whole path (engine, KV cache, logits processors, selection) is timed
// against the bare onnxruntime loop on the same runtime. `device` 'wasm' runs on onnxruntime-web;
// 'native' hands textloom the onnxruntime-node from bench/peers, the package the bare 'ort-node'
// case uses, so that the pair differs only by textloom's own work.
//
// Two measures of that work come from this process, free of what differs between two processes
// (where a 500 MB model's weights land in memory moves decoding by up to 10% for a process's whole
// life): the time outside session.run, and the bare loop run on textloom's own session in every
// sample, before or after textloom's generation by turns.
import { cacheLayout, decodeGreedy } from '../lib/gpt2-loop.mjs';
import { requirePeer } from '../lib/peer-import.mjs';
import { serve, workerOptions } from '../lib/serve.mjs';

const DEVICES = ['wasm', 'native'];

serve(async () => {
  const opts = workerOptions();
  if (!DEVICES.includes(opts.device)) throw new Error(`device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(opts.device)}`);
  const { loadGpt2 } = await import('../../build/src/gpt2/index.js');
  const runtime = opts.device === 'native' ? { onnxruntimeNode: requirePeer('onnxruntime-node') } : {};
  const ort = runtime.onnxruntimeNode ?? await import('onnxruntime-web');
  let inRunMs = 0;
  const run = ort.InferenceSession.prototype.run;
  ort.InferenceSession.prototype.run = async function timedRun(...args) {
    const t0 = performance.now();
    try {
      return await run.apply(this, args);
    } finally {
      inRunMs += performance.now() - t0;
    }
  };
  const pipeline = await loadGpt2(opts.modelDir, { dtype: opts.dtype, layout: 'single', device: opts.device, threads: opts.threads, ...runtime });
  if (pipeline.backend !== opts.device) {
    throw new Error(`loadGpt2 with device '${opts.device}' ran on backend '${pipeline.backend}'; the case would time another runtime`);
  }
  const session = pipeline.model.sessions[0];
  const layout = cacheLayout(session, { n_head: pipeline.config.nHead, n_embd: pipeline.config.nEmbd });

  async function textloom() {
    const stamps = [];
    inRunMs = 0;
    const t0 = performance.now();
    const result = await pipeline.generateIds([opts.prompt], {
      doSample: false,
      maxNewTokens: opts.newTokens,
      onToken: () => stamps.push(performance.now()),
    });
    const totalMs = performance.now() - t0;
    pipeline.model.dispose();
    if (stamps.length < 2) throw new Error(`generation stopped after ${stamps.length} token(s); expected ${opts.newTokens}`);
    const last = stamps[stamps.length - 1];
    return {
      ttftSeconds: (stamps[0] - t0) / 1000,
      tokPerSec: (stamps.length - 1) / ((last - stamps[0]) / 1000),
      tokens: result.newTokens[0],
      ownMsPerToken: (totalMs - inRunMs) / stamps.length,
      ownShare: (totalMs - inRunMs) / totalMs,
    };
  }

  let samples = 0;
  return {
    info: { onnxFiles: pipeline.onnxFiles, backend: pipeline.backend, threads: opts.threads, dtype: opts.dtype },
    run: async () => {
      const bareFirst = samples++ % 2 === 1;
      const bare = bareFirst ? await decodeGreedy(ort, session, layout, opts.prompt, opts.newTokens) : null;
      const { tokens, ...own } = await textloom();
      const after = bare ?? await decodeGreedy(ort, session, layout, opts.prompt, opts.newTokens);
      if (after.tokens.join() !== tokens.join()) {
        throw new Error(`textloom and the bare loop on its session decoded different tokens: ${tokens.slice(0, 8).join(' ')} vs ${after.tokens.slice(0, 8).join(' ')}`);
      }
      return {
        ...own,
        firstTokens: tokens.slice(0, 4).join(' '),
        sameSessionBareTokPerSec: after.tokPerSec,
        sameSessionRatio: own.tokPerSec / after.tokPerSec,
      };
    },
  };
});
