// RNNModel behaviour beyond PyTorch parity: configuration and input checks, checkpoints, optimizer
// state and exact resume, recurrent state handling, recomputation, and memory bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RNNModel, RecurrentState, type ModelConfig, type TensorData } from '../src/rnn/model.js';
import { layoutActivations } from '../src/rnn/activations.js';
import { parameterSpecs } from '../src/rnn/layout.js';
import { allocateTraining } from '../src/rnn/model-memory.js';
import { Arena } from '../src/wasm/arena.js';
import { instantiateKernels } from '../src/wasm/kernels.js';
import { Random } from '../src/util/random.js';
import { FIXTURES, fixtureRuns, flatIds, readTensors } from './parity-fixtures.js';

const small: ModelConfig = { cell: 'lstm', vocabSize: 23, embedSize: 6, hiddenSize: 10, numLayers: 2 };

function batch(seed: number, T: number, B: number, V: number): [Int32Array, Int32Array] {
  const rng = new Random(seed);
  const ids = Int32Array.from({ length: T * B + B }, () => rng.int(V));
  return [ids.slice(0, T * B), ids.slice(B)];
}

function snapshot(model: RNNModel): number[] {
  return [...model.stateDict().values()].flatMap((t) => [...t.data]);
}

test('create rejects bad configurations naming each problem', async () => {
  await assert.rejects(RNNModel.create({ ...small, cell: 'transformer' as never }), /cell must be 'rnn', 'lstm' or 'gru', got "transformer"/);
  await assert.rejects(RNNModel.create({ ...small, hiddenSize: 0, numLayers: 1.5 }),
    /hiddenSize must be a positive integer, got 0; numLayers must be a positive integer, got 1.5/);
  await assert.rejects(RNNModel.create(small, { kernels: 'gpu' as never }), /expected 'auto', 'simd' or 'relaxed', got "gpu"/);
  await assert.rejects(RNNModel.create(small, { sed: 1 } as never), /RNNModel.create: unknown option "sed"; did you mean seed\?/);
  await assert.rejects(RNNModel.create({ ...small, dropout: 0.2 } as never), /RNNModel.create \(config\): unknown option "dropout"; known options: cell, vocabSize/);
  await assert.rejects(RNNModel.create(small, { seed: 2 ** 32 }), /RNNModel.create: seed must be an integer from -2147483648 to 4294967295, got 4294967296/);
});

test('state_dict has PyTorch names and shapes; init follows torch defaults and the seed', async () => {
  for (const [cell, G] of [['rnn', 1], ['lstm', 4], ['gru', 3]] as const) {
    const model = await RNNModel.create({ ...small, cell, vocabSize: 200, hiddenSize: 16 }, { seed: 5 });
    const dict = model.stateDict();
    assert.deepEqual([...dict.keys()], ['embed.weight',
      'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
      'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1', 'linear.weight', 'linear.bias']);
    assert.deepEqual(dict.get('rnn.weight_ih_l0')!.shape, [G * 16, 6]);
    assert.deepEqual(dict.get('rnn.weight_ih_l1')!.shape, [G * 16, 16]);
    assert.deepEqual(dict.get('rnn.weight_hh_l1')!.shape, [G * 16, 16]);
    assert.deepEqual(dict.get('linear.weight')!.shape, [200, 16]);
    const emb = dict.get('embed.weight')!.data;
    const mean = emb.reduce((a, b) => a + b, 0) / emb.length;
    const std = Math.sqrt(emb.reduce((a, b) => a + (b - mean) ** 2, 0) / emb.length);
    assert.ok(Math.abs(mean) < 0.1 && Math.abs(std - 1) < 0.1, `embedding N(0,1): mean ${mean}, std ${std}`);
    for (const [name, t] of dict) {
      if (name === 'embed.weight') continue;
      const bound = 1 / 4;
      assert.ok(t.data.every((v) => Math.abs(v) <= bound), `${name} within U(-1/sqrt(H), 1/sqrt(H))`);
      if (t.data.length >= 100) assert.ok(Math.max(...t.data) > 0.9 * bound && Math.min(...t.data) < -0.9 * bound, `${name} spans its range`);
    }
    const again = await RNNModel.create({ ...small, cell, vocabSize: 200, hiddenSize: 16 }, { seed: 5 });
    const other = await RNNModel.create({ ...small, cell, vocabSize: 200, hiddenSize: 16 }, { seed: 6 });
    assert.deepEqual(snapshot(again), snapshot(model));
    assert.notDeepEqual(snapshot(other), snapshot(model));
  }
});

test('loadStateDict lists missing, extra and mis-shaped tensors and changes nothing', async () => {
  const model = await RNNModel.create(small);
  const before = snapshot(model);
  const dict = model.stateDict();
  dict.delete('linear.bias');
  dict.set('rnn.weight_ih_l2', { shape: [40, 10], data: new Float32Array(400) });
  dict.set('embed.weight', { shape: [23, 7], data: new Float32Array(23 * 7) });
  dict.set('rnn.bias_hh_l0', { shape: [40], data: new Float32Array(39) });
  assert.throws(() => model.loadStateDict(dict), (err: Error) => {
    assert.match(err.message, /missing: linear\.bias/);
    assert.match(err.message, /unexpected: rnn\.weight_ih_l2/);
    assert.match(err.message, /embed\.weight has shape \[23,7\] but \[23,6\] is expected/);
    assert.match(err.message, /rnn\.bias_hh_l0 has 39 values but shape \[40\] needs 40/);
    return true;
  });
  assert.deepEqual(snapshot(model), before);
  const gru = readTensors(new URL('gru_tiny/init.safetensors', FIXTURES));
  const lstm = await RNNModel.create({ cell: 'lstm', vocabSize: 50, embedSize: 8, hiddenSize: 16, numLayers: 1 });
  assert.throws(() => lstm.loadStateDict(gru), /rnn\.weight_ih_l0 has shape \[48,8\] but \[64,8\] is expected/);
  const holed = lstm.stateDict();
  holed.set('rnn.weight_ih_l0', null as never);
  assert.throws(() => lstm.loadStateDict(holed), /wrong shape: rnn\.weight_ih_l0 is null, not \{ shape, data \}/);
});

test('trainStep, evaluate and step check their inputs before running anything', async () => {
  const model = await RNNModel.create(small);
  const before = snapshot(model);
  const state = model.createState(3);
  const [x, y] = batch(1, 4, 3, 23);
  const adam = { lr: 0.01 };
  assert.throws(() => model.trainStep(x, y, 5, 3, state, adam), /inputs has 12 ids but T\*B = 5\*3 = 15/);
  assert.throws(() => model.trainStep(x, y.subarray(1), 4, 3, state, adam), /targets has 11 ids but T\*B = 4\*3 = 12/);
  const bad = x.slice();
  bad[7] = 23;
  assert.throws(() => model.trainStep(bad, y, 4, 3, state, adam), /inputs\[7\] \(t=2, b=1\) is 23, outside the vocabulary \[0, 23\)/);
  bad[7] = -1;
  assert.throws(() => model.evaluate(bad, y, 4, 3, state), /inputs\[7\] \(t=2, b=1\) is -1/);
  assert.throws(() => model.trainStep(x, y, 0, 3, state, adam), /T and B must be positive integers, got T=0, B=3/);
  assert.throws(() => model.trainStep(Array.from(x) as never, y, 4, 3, state, adam), /inputs must be an Int32Array/);
  assert.throws(() => model.trainStep(x, y, 4, 3, state, { ...adam, betas: [0.9, 0.99] } as never), /trainStep: unknown option "betas"; did you mean beta1\?/);
  assert.throws(() => model.trainStep(x, y, 6, 2, state, adam), /state holds 3 row\(s\) but the batch has B=2/);
  assert.throws(() => model.trainStep(x, y, 4, 3, new RecurrentState(2, 10, 3, false), adam), /needs 2 of 10 with cells/);
  assert.throws(() => model.trainStep(x, y, 4, 3, state, { lr: -1, beta1: 1 }), /lr must be a positive number, got -1; beta1 must be in \[0, 1\), got 1/);
  assert.throws(() => model.trainStep(x, y, 4, 3, state, { lr: 0.1, clipNorm: 0 }), /clipNorm must be > 0/);
  assert.throws(() => model.step(Int32Array.of(3, 99, 1), state), /inputs\[1\] \(t=0, b=1\) is 99/);
  assert.deepEqual(snapshot(model), before);
  assert.equal(model.optimizerState().step, 0);
  assert.deepEqual(state.toArrays()[0], new Float32Array(2 * 3 * 10));
});

test('a model or batch past 4 GiB fails up front with the bytes in all, the limit and what to shrink', async () => {
  // 1235697600 parameters: their weights alone, 4 bytes each, pass 4 GiB.
  await assert.rejects(RNNModel.create({ cell: 'gru', vocabSize: 600000, embedSize: 1024, hiddenSize: 1024, numLayers: 1 }),
    (err: Error) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /^RNNModel\.create: the weights of 1235697600 parameters \(vocabSize 600000, hiddenSize 1024, numLayers 1, embedSize 1024\), with a packed copy of the recurrent weights, need 4726\.3 MiB of WASM memory, but wasm32 memory is limited to 4 GiB/);
      assert.match(err.message, /at most about 519358 tokens of vocabulary fit to generate \(before any batch\): shrink vocabSize/);
      return true;
    });
  await assert.rejects(RNNModel.create({ cell: 'lstm', vocabSize: 100, embedSize: 256, hiddenSize: 20000, numLayers: 1 }),
    /need 12294\.0 MiB .*Shrink hiddenSize, embedSize or numLayers: the recurrent layers alone pass the limit/);
  const model = await RNNModel.create(small);
  model.reserveTraining(1, 1);
  const held = model.memoryBytes;
  assert.throws(() => model.reserveTraining(4096, 4096), (err: Error) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /the activations of a training batch of seqLen 4096 x batchSize 4096 need 6288\.8 MiB of WASM memory on top of the 0\.5 MiB already in use, 6289\.3 MiB in all, but wasm32 memory is limited to 4 GiB/);
    assert.match(err.message, /Lower seqLen or batchSize \(the activations grow with seqLen x batchSize = 16777216 tokens\)/);
    return true;
  });
  assert.equal(model.memoryBytes, held, 'nothing was laid out for the refused batch');
  const unshared = await RNNModel.create(small, { recompute: false });
  assert.throws(() => unshared.reserveTraining(4096, 4096), /need 9488\.8 MiB.*or leave recompute unset/s);
  // The model stays usable after the refused layout.
  const [x, y] = batch(2, 3, 2, 23);
  assert.ok(Number.isFinite(model.trainStep(x, y, 3, 2, model.createState(2), { lr: 0.01 }).loss));
});

test('weights that fit but leave no room for training: the first training call fails, allocating nothing', async () => {
  // The weights of this GRU (620997600 parameters, 2369 MiB) fit, so it can generate; gradients and
  // Adam moments would take 5936 MiB more. The arena holds a region of the weights' size, never
  // written, so the test takes address space but next to no memory.
  const config: ModelConfig = { cell: 'gru', vocabSize: 300000, embedSize: 1024, hiddenSize: 1024, numLayers: 1 };
  const k = await instantiateKernels('simd');
  const arena = new Arena(k, 'Shrink the model.');
  arena.alloc('params', 'params', 620997600);
  const have = k.memory.buffer.byteLength;
  assert.throws(() => allocateTraining(arena, config, 'RNNModel.trainStep'), (err: Error) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /^RNNModel\.trainStep: the gradients and Adam moments that training adds to the weights of 620997600 parameters \(vocabSize 300000, hiddenSize 1024, numLayers 1, embedSize 1024\) need 5936\.0 MiB of WASM memory on top of the 2368\.9 MiB already in use, 8304\.9 MiB in all, but wasm32 memory is limited to 4 GiB/);
    assert.match(err.message, /at most about 146180 tokens of vocabulary fit to train \(before any batch\): shrink vocabSize .* The model can still generate: that takes the weights alone\.$/);
    return true;
  });
  assert.equal(k.memory.buffer.byteLength, have);
  assert.deepEqual(arena.regionsOf('grads'), []);
  assert.deepEqual(arena.regionsOf('adam'), []);
});

test('a model that generates or evaluates holds no gradients or Adam moments; training adds them', async () => {
  const config: ModelConfig = { cell: 'lstm', vocabSize: 20000, embedSize: 64, hiddenSize: 64, numLayers: 1 };
  const specs = parameterSpecs(config);
  const P = specs.reduce((n, s) => n + s.length, 0);
  // Gradients (without the embedding's), the embedding's row slots and zero row, two moments.
  const trainingBytes = 4 * (P - specs[0]!.length + config.vocabSize + config.embedSize + 2 * P);
  const tokens = Int32Array.of(5, 17);
  const generateSome = (model: RNNModel) => {
    const state = model.createState(2);
    return Array.from({ length: 3 }, () => model.step(tokens, state));
  };
  const fresh = await RNNModel.create(config, { seed: 4 });
  const generated = generateSome(fresh);
  fresh.evaluate(...batch(1, 4, 2, config.vocabSize), 4, 2, fresh.createState(2));
  const zeros = fresh.optimizerState();
  assert.equal(zeros.step, 0);
  assert.deepEqual([...zeros.tensors.keys()], [...specs.map((s) => `optim.exp_avg.${s.name}`), ...specs.map((s) => `optim.exp_avg_sq.${s.name}`)]);
  assert.ok([...zeros.tensors.values()].every((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1) && t.data.every((v) => v === 0)));
  const generating = fresh.memoryBytes;
  // The weights (4 bytes a parameter), the packed output weights and kernel scratch; the gradients
  // and moments alone would take 12 bytes a parameter more.
  assert.ok(generating < 4 * P + trainingBytes, `${generating} bytes for ${P} parameters`);

  // Training a model that generated first equals training one that never did, bit for bit.
  const trained = await RNNModel.create(config, { seed: 4 });
  const run = (model: RNNModel) => {
    const state = model.createState(2);
    return Array.from({ length: 3 }, (_, s) => model.trainStep(...batch(20 + s, 5, 2, config.vocabSize), 5, 2, state, { lr: 0.01, clipNorm: 1 }));
  };
  assert.deepEqual(run(fresh), run(trained));
  assert.ok(fresh.memoryBytes >= 4 * P + trainingBytes, `${fresh.memoryBytes} bytes after training`);
  assert.deepEqual(fresh.stateDict(), trained.stateDict());
  assert.deepEqual(fresh.optimizerState(), trained.optimizerState());
  assert.deepEqual(generateSome(fresh), generateSome(trained));
  assert.notDeepEqual(generateSome(fresh), generated);

  // Restoring the optimizer state lays the regions out too, and resumes exactly.
  const resumed = await RNNModel.create(config, { seed: 9 });
  generateSome(resumed);
  resumed.loadStateDict(trained.stateDict());
  resumed.loadOptimizerState(trained.optimizerState());
  assert.ok(resumed.memoryBytes >= 4 * P + trainingBytes, `${resumed.memoryBytes} bytes after loadOptimizerState`);
  assert.deepEqual(resumed.optimizerState(), trained.optimizerState());
  assert.deepEqual(run(resumed), run(trained));
  assert.deepEqual(resumed.stateDict(), trained.stateDict());
  for (const m of [fresh, trained, resumed]) m.dispose();
});

test('optimizer state and weights give an exact resume', async () => {
  const config: ModelConfig = { ...small, cell: 'gru' };
  const a = await RNNModel.create(config, { seed: 3 });
  const adam = { lr: 0.02, weightDecay: 0.01, clipNorm: 0.5 };
  const T = 5, B = 2;
  const stateA = a.createState(B);
  for (let s = 0; s < 3; s++) a.trainStep(...batch(10 + s, T, B, 23), T, B, stateA, adam);
  const b = await RNNModel.create(config, { seed: 99 });
  const opt = a.optimizerState();
  assert.equal(opt.step, 3);
  assert.deepEqual([...opt.tensors.keys()].slice(0, 2), ['optim.exp_avg.embed.weight', 'optim.exp_avg.rnn.weight_ih_l0']);
  assert.ok(opt.tensors.has('optim.exp_avg_sq.linear.bias'));
  b.loadStateDict(a.stateDict());
  b.loadOptimizerState(opt);
  const stateB = stateA.clone();
  for (let s = 3; s < 6; s++) {
    const ra = a.trainStep(...batch(10 + s, T, B, 23), T, B, stateA, adam);
    const rb = b.trainStep(...batch(10 + s, T, B, 23), T, B, stateB, adam);
    assert.deepEqual(rb, ra);
  }
  assert.deepEqual(snapshot(b), snapshot(a));
  const bad = new Map<string, TensorData>(opt.tensors);
  bad.delete('optim.exp_avg.linear.bias');
  assert.throws(() => b.loadOptimizerState({ step: 1, tensors: bad }), /missing: optim\.exp_avg\.linear\.bias/);
  assert.throws(() => b.loadOptimizerState({ step: -1, tensors: opt.tensors }), /step must be a non-negative integer/);
  assert.throws(() => b.loadOptimizerState(null as never), /loadOptimizerState: expected \{ step, tensors \} as optimizerState\(\) gives it, got null/);
});

test('evaluate agrees with the training loss; step logits do not depend on the batch they are in', async () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const model = await RNNModel.create({ ...small, cell });
    const [x, y] = batch(4, 6, 3, 23);
    const s1 = model.createState(3);
    const s2 = model.createState(3);
    const evalLoss = model.evaluate(x, y, 6, 3, s1);
    const { loss } = model.trainStep(x, y, 6, 3, s2, { lr: 0.01 });
    assert.ok(Math.abs(evalLoss - loss) < 1e-6, `${cell}: evaluate ${evalLoss} vs trainStep ${loss}`);
    assert.deepEqual(s1.toArrays(), s2.toArrays());
    const tokens = Int32Array.of(1, 7, 22);
    const together = model.step(tokens, s1.clone());
    for (let r = 0; r < 3; r++) {
      const alone = s1.clone();
      alone.select(Int32Array.of(r));
      assert.deepEqual(model.step(tokens.subarray(r, r + 1), alone), together.subarray(r * 23, (r + 1) * 23));
    }
  }
});

test('recomputing lower layers in the backward pass is bit-identical to storing them', async () => {
  for (const run of fixtureRuns().filter((r) => r.config.numLayers > 1 && r.config.cell !== 'rnn' && r.label.endsWith('/train.json'))) {
    const results: number[][] = [];
    for (const recompute of [false, true]) {
      const model = await RNNModel.create(run.config, { recompute });
      model.loadStateDict(readTensors(new URL(run.record.init_weights, run.dir)));
      const { seq_len: T, batch: B } = run.batches;
      const state = model.createState(B);
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        const r = model.trainStep(flatIds(run.batches.inputs[s]), flatIds(run.batches.targets[s]), T, B, state, { lr: 0.01 });
        losses.push(r.loss, r.gradNorm);
      }
      results.push([...losses, ...snapshot(model)]);
    }
    assert.deepEqual(results[1], results[0], run.label);
  }
  await assert.rejects(RNNModel.create(small, { recompute: 'yes' as never }), /recompute must be true, false or absent/);
});

test('RecurrentState: select, clone, arrays and their errors', () => {
  const s = new RecurrentState(2, 3, 4, true);
  const [h, c] = s.toArrays();
  h.forEach((_, i) => { h[i] = i; });
  c.forEach((_, i) => { c[i] = -i; });
  s.loadArrays([h, c]);
  const copy = s.clone();
  s.select(Int32Array.of(3, 0, 3));
  assert.equal(s.batch, 3);
  const [h2, c2] = s.toArrays();
  // Layer 0 rows 3, 0, 3 then layer 1 rows 3, 0, 3 (rows of 3 floats; layer 1 starts at 12).
  assert.deepEqual([...h2], [9, 10, 11, 0, 1, 2, 9, 10, 11, 21, 22, 23, 12, 13, 14, 21, 22, 23]);
  assert.deepEqual([...c2], [...h2].map((v) => -v));
  assert.equal(copy.batch, 4);
  assert.deepEqual(copy.toArrays()[0], h);
  copy.reset();
  assert.ok(copy.toArrays().every((a) => a.every((v) => v === 0)));
  assert.throws(() => s.select(Int32Array.of(3)), /row index 3 is outside \[0, 3\)/);
  assert.throws(() => s.loadArrays([h2]), /expected 2 Float32Array\(s\) of 18/);
  assert.throws(() => new RecurrentState(1, 3, 0, false), /batch must be a positive integer, got 0/);
});

test('a disposed model refuses work', async () => {
  const model = await RNNModel.create(small);
  model.dispose();
  assert.throws(() => model.stateDict(), /has been disposed/);
  assert.throws(() => model.step(Int32Array.of(1), model.createState(1)), /has been disposed/);
  assert.throws(() => model.memoryBytes, /has been disposed/);
});

test('config L (vocab 30000, embed 256, hidden 512, 2 layers) trains (T 64, B 64) within 512 MiB, keeping every layer\'s gates', async (t) => {
  const reserve = async (cell: 'lstm' | 'gru', B: number, recompute?: boolean) => {
    const model = await RNNModel.create({ cell, vocabSize: 30000, embedSize: 256, hiddenSize: 512, numLayers: 2 },
      recompute === undefined ? {} : { recompute });
    try {
      return model.reserveTraining(64, B);
    } finally {
      model.dispose();
    }
  };
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  // The gated cells come closest (gate buffers, LSTM cell state); bench:kernels reports all three.
  for (const cell of ['lstm', 'gru'] as const) {
    const bytes = await reserve(cell, 64);
    assert.ok(bytes < 512 * 2 ** 20, `${cell}: ${mib(bytes)}`);
    assert.equal(bytes, await reserve(cell, 64, false), `${cell}: per-layer gates fit, so they are kept`);
    t.diagnostic(`${cell}: ${mib(bytes)}`);
  }
  // With twice the batch, per-layer gates would pass 512 MiB: the lower layer is recomputed instead.
  const stored = await reserve('lstm', 128, false);
  const chosen = await reserve('lstm', 128);
  assert.ok(stored > 512 * 2 ** 20, mib(stored));
  assert.equal(chosen, await reserve('lstm', 128, true));
  assert.ok(chosen < stored, `${mib(chosen)} vs ${mib(stored)}`);
});

test('weights packed for generation follow every weight change', async () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const a = await RNNModel.create({ ...small, cell }, { seed: 1 });
    const b = await RNNModel.create({ ...small, cell }, { seed: 2 });
    const tokens = Int32Array.of(4, 9);
    const fresh = () => a.createState(2);
    a.step(tokens, fresh());
    a.trainStep(...batch(8, 3, 2, 23), 3, 2, a.createState(2), { lr: 0.05 });
    b.loadStateDict(a.stateDict());
    assert.deepEqual(a.step(tokens, fresh()), b.step(tokens, fresh()), `${cell}: after trainStep`);
    const c = await RNNModel.create({ ...small, cell }, { seed: 3 });
    a.loadStateDict(c.stateDict());
    assert.deepEqual(a.step(tokens, fresh()), c.step(tokens, fresh()), `${cell}: after loadStateDict`);
    // Evaluate between generation steps must not disturb the packed weights either.
    a.evaluate(...batch(9, 4, 2, 23), 4, 2, fresh());
    assert.deepEqual(a.step(tokens, fresh()), c.step(tokens, fresh()), `${cell}: after evaluate`);
    // A new layout of the same shape starts without packed weights.
    a.reserveTraining(3, 2);
    assert.deepEqual(a.step(tokens, fresh()), c.step(tokens, fresh()), `${cell}: after another layout`);
  }
});

test('a step layout without room for packed output weights multiplies by the weights as they lie', async () => {
  const k = await instantiateKernels('simd');
  const arena = new Arena(k, 'Shrink the model.');
  const have = k.memory.buffer.byteLength;
  // Packed copies of 2^30 floats stand in for the output layer of a model near 4 GiB.
  const crowded = layoutActivations(arena, small, 1, 2, false, undefined, { out: 2 ** 30, ih: [2 ** 20, 2 ** 20] });
  assert.equal(crowded.packedOut, null);
  assert.deepEqual(crowded.packedIh, []);
  assert.ok(k.memory.buffer.byteLength - have < 2 ** 20, 'no room was taken for the copies');
  const roomy = layoutActivations(arena, small, 1, 2, false, undefined, { out: 4096, ih: [256, 256] });
  assert.equal(roomy.packedOut?.length, 4096);
  assert.deepEqual(roomy.packedIh.map((r) => r.length), [256, 256]);
  // Training and evaluation layouts never hold packed copies.
  assert.equal(layoutActivations(arena, small, 3, 2, true, undefined, { out: 4096, ih: [256, 256] }).packedOut, null);
});
