/**
 * TrainingWorker under Deno with a model on several threads: its kernel threads are workers started
 * by the training worker, which Deno does not end with it, so terminate() must leave none running.
 * Counts the process's threads (Linux) before and after a few runs; prints the counts as one JSON line.
 *   deno run --allow-all build/test/runtimes/deno-training-worker-threads.js (Deno opens /proc/self to no less)
 */
import { bundleUrl } from './paths.js';

type Bundle = typeof import('../../src/index.js');
const { TrainingWorker } = (await import(bundleUrl.href)) as Bundle;

const text = 'the cat sat on the mat and the dog sat on the log . '.repeat(40);
const model = { cell: 'gru' as const, tokenizer: 'word' as const, embedSize: 8, hiddenSize: 16, numLayers: 1 };
const training = { epochs: 1, lr: 0.01, batchSize: 4, seqLen: 8, seed: 1 };
declare const Deno: { readDirSync(path: string): Iterable<unknown> };
const osThreads = (): number => [...Deno.readDirSync('/proc/self/task')].length;

async function cycle(threads: number): Promise<void> {
  const worker = TrainingWorker.start();
  try {
    await worker.train(text, { ...model, threads }, training);
  } finally {
    worker.terminate();
  }
}

// A first run starts what the runtime keeps for any worker; the count after it is the baseline.
await cycle(1);
const before = osThreads();
const runs = 4;
const threads = 4;
for (let i = 0; i < runs; i++) await cycle(threads);
// Threads end some time after their worker does: wait for the count to come down, up to 20 s.
for (let waited = 0; osThreads() > before + 2 && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
console.log(JSON.stringify({ before, after: osThreads(), runs, kernelThreadsPerRun: threads - 1 }));
