// TensorFlow.js (WASM backend, SIMD) side of the RNN training benchmark: the same model as the
// PyTorch and textloom cases (Embedding -> stateful SimpleRNN/LSTM/GRU layers -> Dense), Adam,
// softmax cross-entropy on logits, state carried between steps by the stateful layers.
// Parity note: tfjs's GRU applies the reset gate before the recurrent matmul (Keras v1 form),
// PyTorch after it; the matmul work per token is the same.
import { readFileSync } from 'node:fs';
import { requirePeer } from '../lib/peer-import.mjs';
import { serve, workerOptions } from '../lib/serve.mjs';

const LAYER = { rnn: 'simpleRNN', lstm: 'lstm', gru: 'gru' };

// The embedding's gradient needs UnsortedSegmentSum, which the WASM backend of tfjs 4.22 lacks;
// this plain loop supplies it (rows of x summed into the segment each id names).
function registerSegmentSum(tf) {
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs;
      const { numSegments } = attrs;
      const xv = backend.readSync(x.dataId);
      const ids = backend.readSync(segmentIds.dataId);
      const rowLen = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const out = new Float32Array(numSegments * rowLen); // (numSegments, ...x.shape[1:])
      for (let r = 0; r < ids.length; r++) {
        const id = ids[r];
        if (id < 0 || id >= numSegments) continue;
        for (let j = 0; j < rowLen; j++) out[id * rowLen + j] += xv[r * rowLen + j];
      }
      return backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype, undefined, out);
    },
  });
}

serve(async () => {
  const opts = workerOptions();
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers, seqLen: T, batch: B } = opts.config;
  const tf = requirePeer('@tensorflow/tfjs');
  const wasm = requirePeer('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(opts.threads);
  await tf.setBackend('wasm');
  await tf.ready();
  if (wasm.getThreadsCount() < opts.threads) {
    throw new Error(`tfjs-backend-wasm runs ${wasm.getThreadsCount()} thread(s) here after setThreadsCount(${opts.threads}): its threaded build is not used under Node`);
  }
  registerSegmentSum(tf);

  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: V, outputDim: E, batchInputShape: [B, T] }));
  for (let l = 0; l < numLayers; l++) {
    model.add(tf.layers[LAYER[opts.cell]]({ units: H, returnSequences: true, stateful: true }));
  }
  model.add(tf.layers.dense({ units: V }));
  // A hand-written step: Keras-style fit() insists on one-hot targets of shape (B, T, V).
  const optimizer = tf.train.adam(1e-3);
  const trainStep = (x, y) =>
    optimizer.minimize(() => {
      const logits = model.apply(x, { training: true }).reshape([-1, V]); // (B*T, V)
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, V), logits);
    }, true);

  const ids = new Int32Array(readFileSync(opts.dataFile).buffer.slice(0)); // (rows, B)
  const rows = ids.length / B;
  const batches = [];
  for (let i = 0; i + T < rows; i += T) {
    const x = new Float32Array(B * T); // (B, T): tfjs layers are batch-major
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        x[b * T + t] = ids[(i + t) * B + b];
        y[b * T + t] = ids[(i + t + 1) * B + b];
      }
    }
    batches.push([tf.tensor2d(x, [B, T]), tf.tensor1d(y, 'int32')]);
  }
  let k = 0;
  return {
    info: {
      tfjs: tf.version.tfjs,
      backend: tf.getBackend(),
      threads: wasm.getThreadsCount(),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    },
    run: async () => {
      const t0 = performance.now();
      let lossValue = NaN;
      for (let s = 0; s < opts.stepsPerSample; s++) {
        const [x, y] = batches[k++ % batches.length];
        const lossTensor = trainStep(x, y);
        lossValue = (await lossTensor.data())[0];
        lossTensor.dispose();
      }
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, tokens: opts.stepsPerSample * T * B, loss: Number(lossValue) };
    },
  };
});
