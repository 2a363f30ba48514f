// Threaded kernels: training on 2 threads equals training on 1 bit for bit (losses, grad norms,
// final weights) on every parity fixture, a script that trains on threads exits on its own after
// dispose(), and bad `threads` values are refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { RNNModel, type TensorData } from '../src/rnn/model.js';
import type { ThreadPool } from '../src/wasm/threads.js';
import { fixtureRuns, flatIds, readTensors } from './parity-fixtures.js';

const CONFIG = { cell: 'lstm', vocabSize: 50, embedSize: 8, hiddenSize: 12, numLayers: 1 } as const;

interface Trace {
  steps: Array<{ loss: number; gradNorm: number }>;
  weights: Map<string, TensorData>;
}

// Every product is split (splitThreshold 0) so that the small fixture shapes exercise the workers.
async function train(run: ReturnType<typeof fixtureRuns>[number], threads: number): Promise<Trace> {
  const { record, batches, config } = run;
  const model = await RNNModel.create(config, { threads, splitThreshold: 0 });
  try {
    assert.equal(model.threads, threads);
    model.loadStateDict(readTensors(new URL(record.init_weights, run.dir)));
    const state = model.createState(batches.batch);
    const adam = { lr: record.optimizer.lr, clipNorm: record.clip_grad_norm_max_norm ?? undefined };
    const steps = [];
    for (let step = 0; step < batches.steps; step++) {
      steps.push(model.trainStep(flatIds(batches.inputs[step]), flatIds(batches.targets[step]),
        batches.seq_len, batches.batch, state, adam));
    }
    return { steps, weights: model.stateDict() };
  } finally {
    model.dispose();
  }
}

for (const run of fixtureRuns().filter((r) => r.label.endsWith('/train.json'))) {
  test(`${run.label}: 2 threads train bit-identically to 1`, async () => {
    const one = await train(run, 1);
    const two = await train(run, 2);
    assert.deepEqual(two.steps, one.steps);
    for (const [name, t] of one.weights) {
      const other = two.weights.get(name)!;
      assert.ok(Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength)
        .equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${name} differs`);
    }
  });
}

test('2 threads see the training regions that a model that generated first lays out later', async () => {
  // Gradients and moments of 2.6 M parameters (31 MiB, partly where the step's activations were):
  // the memory grows after the workers started.
  const config = { cell: 'gru', vocabSize: 20000, embedSize: 64, hiddenSize: 64, numLayers: 1 } as const;
  const threaded = await RNNModel.create(config, { seed: 2, threads: 2, splitThreshold: 0 });
  const alone = await RNNModel.create(config, { seed: 2 });
  try {
    const tokens = Int32Array.of(3, 1999);
    threaded.step(tokens, threaded.createState(2));
    const generating = threaded.memoryBytes;
    const ids = Int32Array.from({ length: 18 }, (_, i) => (i * 1237) % 20000);
    const train = (model: RNNModel) => {
      const state = model.createState(3);
      return [0, 1].map(() => model.trainStep(ids.subarray(0, 15), ids.subarray(3), 5, 3, state, { lr: 0.01 }));
    };
    assert.deepEqual(train(threaded), train(alone));
    assert.ok(threaded.memoryBytes > generating + 16 * 2 ** 20, `${threaded.memoryBytes} bytes, ${generating} before training`);
    assert.equal(threaded.threads, 2);
    assert.deepEqual(threaded.stateDict(), alone.stateDict());
    assert.deepEqual(threaded.optimizerState(), alone.optimizerState());
  } finally {
    threaded.dispose();
    alone.dispose();
  }
});

test('a worker that stops answering fails that call with a clear error; the model goes on with one thread', async () => {
  const model = await RNNModel.create(CONFIG, { threads: 2, splitThreshold: 0, workerTimeoutMs: 200 });
  const alone = await RNNModel.create(CONFIG);
  try {
    const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 50);
    const before = model.stateDict();
    // End the worker behind the model's back, as a crash of its thread would.
    (model as unknown as { pool: ThreadPool }).pool.terminate();
    const started = performance.now();
    assert.throws(() => model.trainStep(ids, ids, 4, 3, model.createState(3), { lr: 0.01 }),
      /RNNModel\.trainStep: a kernel worker finished no part of a matrix product for 200 ms .*Nothing of this call was applied/);
    assert.ok(performance.now() - started < 5000, 'the failure is reported after the timeout, not after every product');
    assert.equal(model.threads, 1);
    assert.deepEqual(model.stateDict(), before);
    const again = model.trainStep(ids, ids, 4, 3, model.createState(3), { lr: 0.01 });
    assert.deepEqual(again, alone.trainStep(ids, ids, 4, 3, alone.createState(3), { lr: 0.01 }));
    assert.deepEqual(model.stateDict(), alone.stateDict());
  } finally {
    model.dispose();
    alone.dispose();
  }
});

test('a script that trains on 2 threads exits by itself after dispose()', () => {
  const model = new URL('../src/rnn/model.js', import.meta.url).href;
  const script = `
    import { RNNModel } from ${JSON.stringify(model)};
    const m = await RNNModel.create(${JSON.stringify(CONFIG)}, { threads: 2, splitThreshold: 0 });
    const ids = Int32Array.from({ length: 12 }, (_, i) => i % 50);
    const r = m.trainStep(ids, ids, 4, 3, m.createState(3), { lr: 0.01 });
    m.dispose();
    console.log(m.threads, Number.isFinite(r.loss));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' });
  assert.equal(out.trim(), '2 true');
});

test('bad threads values are refused with what was expected', async () => {
  for (const workerTimeoutMs of [0, -5, Number.POSITIVE_INFINITY, '100']) {
    await assert.rejects(RNNModel.create(CONFIG, { threads: 2, workerTimeoutMs: workerTimeoutMs as number }),
      /workerTimeoutMs must be a positive number of milliseconds/);
  }
  for (const threads of [0, -1, 1.5, 65, Number.NaN, '2']) {
    await assert.rejects(RNNModel.create(CONFIG, { threads: threads as number }),
      /threads must be an integer from 1 to 64, got .*pass 1/);
  }
  await assert.rejects(RNNModel.create(CONFIG, { threads: 2, splitThreshold: -1 }), /splitThreshold must be a number >= 0/);
  const single = await RNNModel.create(CONFIG);
  assert.equal(single.threads, 1);
  single.dispose();
});
