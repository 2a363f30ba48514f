// textloom side of the RNN benchmarks: training by truncated BPTT on the shared token file, or
// greedy generation at batch 1 with the state carried, through the public RNNModel API.
import { readFileSync } from 'node:fs';
import { serve, workerOptions } from '../lib/serve.mjs';

function argmax(logits) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

serve(async () => {
  const opts = workerOptions();
  const { RNNModel } = await import('../../build/src/rnn/model.js');
  const { vocabSize, embedSize, hiddenSize, numLayers, seqLen: T, batch } = opts.config;
  const spec = { cell: opts.cell, vocabSize, embedSize, hiddenSize, numLayers };
  const createOptions = { seed: 1 };
  if (opts.threads > 1) createOptions.threads = opts.threads;
  const model = await RNNModel.create(spec, createOptions);
  if (opts.threads > 1 && !(model.threads >= opts.threads)) {
    throw new Error(`textloom: ${opts.threads} threads asked for, but RNNModel.create takes no threads option and reports ${model.threads ?? 'no thread count'}: training runs on one thread`);
  }
  const info = { memoryBytes: model.memoryBytes, threads: model.threads ?? 1 };

  if (opts.mode === 'train') {
    const ids = new Int32Array(readFileSync(opts.dataFile).buffer.slice(0)); // (rows, B)
    const batches = Math.floor((ids.length / batch - 1) / T);
    const state = model.createState(batch);
    let k = 0;
    return {
      info,
      run: async () => {
        const t0 = performance.now();
        let loss = NaN;
        for (let s = 0; s < opts.stepsPerSample; s++) {
          const row = (k++ % batches) * T;
          const inputs = ids.subarray(row * batch, (row + T) * batch); // (T, B)
          const targets = ids.subarray((row + 1) * batch, (row + 1 + T) * batch); // (T, B)
          ({ loss } = await model.trainStep(inputs, targets, T, batch, state, { lr: 1e-3 }));
        }
        const seconds = (performance.now() - t0) / 1000;
        return { seconds, tokens: opts.stepsPerSample * T * batch, loss, memoryBytes: model.memoryBytes };
      },
    };
  }
  return {
    info,
    run: async () => {
      const state = model.createState(1);
      const token = new Int32Array([1]); // (B=1)
      const t0 = performance.now();
      for (let i = 0; i < opts.tokensPerSample; i++) {
        token[0] = argmax(await model.step(token, state)); // logits (1, V)
      }
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, tokens: opts.tokensPerSample, memoryBytes: model.memoryBytes };
    },
  };
});
