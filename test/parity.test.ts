// Parity with PyTorch 1.13: 20 steps of Adam with truncated BPTT from the fixtures' initial weights,
// for both kernel builds, compared step by step with the recorded run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RNNModel } from '../src/rnn/model.js';
import { relaxedSimdSupported } from '../src/wasm/builds.js';
import { fixtureRuns, flatIds, readTensors } from './parity-fixtures.js';

const LOSS_REL = 1e-4;
const NORM_REL = 1e-4;
const WEIGHT_ABS = 5e-4;

const variants = relaxedSimdSupported() ? (['simd', 'relaxed'] as const) : (['simd'] as const);
const worst = { loss: 0, norm: 0, weight: 0, logits: 0 };

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

for (const run of fixtureRuns()) {
  for (const kernels of variants) {
    test(`${run.label} matches PyTorch (${kernels})`, async (t) => {
      const { record, batches, config } = run;
      const model = await RNNModel.create(config, { kernels });
      assert.equal(model.kernelVariant, kernels);
      model.loadStateDict(readTensors(new URL(record.init_weights, run.dir)));
      const { seq_len: T, batch: B } = batches;
      const state = model.createState(B);
      const adam = {
        lr: record.optimizer.lr, beta1: record.optimizer.betas[0], beta2: record.optimizer.betas[1],
        eps: record.optimizer.eps, clipNorm: record.clip_grad_norm_max_norm ?? undefined,
      };

      // Step-0 logits through the stateful single-step path, from a zero state.
      const probe = state.clone();
      const logits: number[] = [];
      for (let s = 0; s < T; s++) logits.push(...model.step(flatIds([batches.inputs[0][s]]), probe));
      assert.equal(logits.length, record.step0_logits_shape.reduce((a, b) => a * b, 1));
      let sum = 0, sumsq = 0;
      for (const v of logits) { sum += v; sumsq += v * v; }
      const dLogits = Math.max(...record.step0_logits_first20.map((v, i) => Math.abs(v - logits[i])));
      assert.ok(dLogits < 1e-5, `step-0 logits differ by ${dLogits}`);
      assert.ok(Math.abs(sum - record.step0_logits_sum) < 1e-3, `logits sum ${sum} vs ${record.step0_logits_sum}`);
      assert.ok(rel(sumsq, record.step0_logits_sumsq) < 1e-5, `logits sumsq ${sumsq} vs ${record.step0_logits_sumsq}`);
      worst.logits = Math.max(worst.logits, dLogits);

      let maxLoss = 0, maxNorm = 0;
      for (let step = 0; step < batches.steps; step++) {
        const { loss, gradNorm } = model.trainStep(flatIds(batches.inputs[step]), flatIds(batches.targets[step]), T, B, state, adam);
        const dl = rel(loss, record.loss_per_step[step]);
        const dn = rel(gradNorm, record.grad_total_norm_per_step[step]);
        assert.ok(dl < LOSS_REL, `step ${step}: loss ${loss} vs ${record.loss_per_step[step]} (rel ${dl})`);
        assert.ok(dn < NORM_REL, `step ${step}: grad norm ${gradNorm} vs ${record.grad_total_norm_per_step[step]} (rel ${dn})`);
        maxLoss = Math.max(maxLoss, dl);
        maxNorm = Math.max(maxNorm, dn);
      }

      const hidden = state.toArrays();
      record.final_hidden_first8.forEach((want, i) => {
        want.forEach((v, j) => assert.ok(Math.abs(hidden[i][j] - v) < 1e-3, `final state ${i}[${j}]: ${hidden[i][j]} vs ${v}`));
      });

      const expected = readTensors(new URL(record.final_weights, run.dir));
      let maxWeight = 0;
      for (const [name, tensor] of model.stateDict()) {
        const want = expected.get(name)!;
        assert.deepEqual(tensor.shape, want.shape, name);
        for (let i = 0; i < want.data.length; i++) maxWeight = Math.max(maxWeight, Math.abs(tensor.data[i] - want.data[i]));
      }
      assert.ok(maxWeight < WEIGHT_ABS, `final weights differ by up to ${maxWeight}`);

      // Greedy generation from the recorded final weights: zero state, feed the prefix, then argmax.
      model.loadStateDict(expected);
      const gen = model.createState(1);
      let out: Float32Array = new Float32Array(0);
      for (const id of record.generation.prefix) out = model.step(Int32Array.of(id), gen);
      const ids: number[] = [];
      for (let i = 0; i < record.generation.ids.length; i++) {
        let best = 0;
        for (let v = 1; v < out.length; v++) if (out[v] > out[best]) best = v;
        ids.push(best);
        out = model.step(Int32Array.of(best), gen);
      }
      assert.deepEqual(ids, record.generation.ids);

      worst.loss = Math.max(worst.loss, maxLoss);
      worst.norm = Math.max(worst.norm, maxNorm);
      worst.weight = Math.max(worst.weight, maxWeight);
      t.diagnostic(`max rel loss ${maxLoss.toExponential(2)}, max rel grad norm ${maxNorm.toExponential(2)}, max abs weight ${maxWeight.toExponential(2)}, step-0 logits ${dLogits.toExponential(2)}`);
      model.dispose();
    });
  }
}

test('parity summary', (t) => {
  t.diagnostic(`worst over all runs: rel loss ${worst.loss.toExponential(2)}, rel grad norm ${worst.norm.toExponential(2)}, ` +
    `abs weight ${worst.weight.toExponential(2)}, step-0 logits ${worst.logits.toExponential(2)}`);
});
