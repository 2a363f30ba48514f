/**
 * TrainingWorker under Deno, whose Worker runs dist/worker.js as a module next to the bundle: a
 * misspelt spec key is refused before it reaches the worker, then a small run trains and generates.
 * Prints the outcome as one JSON line.
 *   deno run --allow-read build/test/runtimes/deno-training-worker.js
 */
import { bundleUrl } from './paths.js';

type Bundle = typeof import('../../src/index.js');
const { TrainingWorker } = (await import(bundleUrl.href)) as Bundle;

const text = 'the cat sat on the mat and the dog sat on the log . '.repeat(40);
const model = { cell: 'gru' as const, tokenizer: 'word' as const, embedSize: 8, hiddenSize: 16, numLayers: 1 };
const training = { epochs: 2, lr: 0.01, batchSize: 4, seqLen: 8, warmupSteps: 4, seed: 1 };
const worker = TrainingWorker.start();
try {
  const refused = await worker.train(text, model, { ...training, epoch: 3 } as never).then(() => null, (e: Error) => e.message);
  const summary = await worker.train(text, model, training);
  const refusedGeneration = await worker.generate('the cat', { maxNewToken: 5 } as never).then(() => null, (e: Error) => e.message);
  const generated = await worker.generate('the cat', { maxNewTokens: 5 });
  console.log(JSON.stringify({ refused, refusedGeneration, reason: summary.reason, steps: summary.steps, words: generated.text.split(' ').length }));
} finally {
  worker.terminate();
}
