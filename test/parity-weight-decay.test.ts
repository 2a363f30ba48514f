// Weight decay against PyTorch 1.13.1: lstm_deep's initial weights and first 8 batches, lr 0.01,
// weight_decay 0.1, clip_grad_norm_(0.5) before each step, once with torch.optim.AdamW (decoupled
// decay) and once with torch.optim.Adam (decay added to the gradient). The expected values were
// recorded from that PyTorch run (float32, CPU, one thread): per-step loss and gradient norm, and the
// sum and sum of squares of every final tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RNNModel } from '../src/rnn/model.js';
import { relaxedSimdSupported } from '../src/wasm/builds.js';
import { fixtureRuns, flatIds, readTensors } from './parity-fixtures.js';

interface Expected {
  loss: number[];
  gradNorm: number[];
  weightSum: Record<string, number>;
  weightSumSq: Record<string, number>;
}

const TORCH: Record<'adamw' | 'adam_l2', Expected> = {
  adamw: {
    loss: [5.691813945770264, 5.676299095153809, 5.63973331451416, 5.532313823699951, 5.455846786499023, 5.387136459350586, 5.2796406745910645, 5.1658453941345215],
    gradNorm: [0.3006616234779358, 0.28073015809059143, 0.3522920310497284, 0.366036981344223, 0.4343281388282776, 0.6479595303535461, 0.8870067000389099, 0.967396080493927],
    weightSum: {
      'embed.weight': -40.63712885241239,
      'rnn.weight_ih_l0': 1.0240764073678292,
      'rnn.weight_hh_l0': 23.968864784779726,
      'rnn.bias_ih_l0': 2.8016264316393062,
      'rnn.bias_hh_l0': 1.991124314488843,
      'rnn.weight_ih_l1': 23.871319834666792,
      'rnn.weight_hh_l1': 6.395281648699893,
      'rnn.bias_ih_l1': 2.588451639865525,
      'rnn.bias_hh_l1': 3.3164339340291917,
      'rnn.weight_ih_l2': 13.005045492725912,
      'rnn.weight_hh_l2': -6.4900192017666996,
      'rnn.bias_ih_l2': 0.93128123274073,
      'rnn.bias_hh_l2': -1.0779877862660214,
      'linear.weight': 47.284647452266654,
      'linear.bias': -18.650261134840548,
    },
    weightSumSq: {
      'embed.weight': 7240.8442684466845,
      'rnn.weight_ih_l0': 36.50082597316014,
      'rnn.weight_hh_l0': 60.226613267114956,
      'rnn.bias_ih_l0': 1.6893365884848734,
      'rnn.bias_hh_l0': 1.4841128544696631,
      'rnn.weight_ih_l1': 62.40158914023846,
      'rnn.weight_hh_l1': 62.46727959690259,
      'rnn.bias_ih_l1': 1.6269120782196176,
      'rnn.bias_hh_l1': 1.7232128922500796,
      'rnn.weight_ih_l2': 61.815262374666446,
      'rnn.weight_hh_l2': 63.29187025633877,
      'rnn.bias_ih_l2': 1.7386997890927463,
      'rnn.bias_hh_l2': 1.592893104027663,
      'linear.weight': 142.39137189447518,
      'linear.bias': 4.042443691925985,
    },
  },
  adam_l2: {
    loss: [5.691813945770264, 5.681423187255859, 5.679014205932617, 5.668696403503418, 5.657732009887695, 5.6838812828063965, 5.685728549957275, 5.6609697341918945],
    gradNorm: [0.3006616234779358, 0.27124863862991333, 0.3134768307209015, 0.26226016879081726, 0.26009395718574524, 0.27610328793525696, 0.2836887836456299, 0.2529696524143219],
    weightSum: {
      'embed.weight': -47.80879262264352,
      'rnn.weight_ih_l0': -4.032411817082902,
      'rnn.weight_hh_l0': 2.5462331380695105,
      'rnn.bias_ih_l0': 0.03968446282669902,
      'rnn.bias_hh_l0': 0.034495145780965686,
      'rnn.weight_ih_l1': -1.3009361615404487,
      'rnn.weight_hh_l1': 0.4079397936584428,
      'rnn.bias_ih_l1': 0.05609951063524932,
      'rnn.bias_hh_l1': 0.45259143435396254,
      'rnn.weight_ih_l2': 2.7002034770557657,
      'rnn.weight_hh_l2': 4.163764955708757,
      'rnn.bias_ih_l2': -0.17048558068927377,
      'rnn.bias_hh_l2': -0.45421091676689684,
      'linear.weight': 4.564476865984034,
      'linear.bias': -2.452021400909871,
    },
    weightSumSq: {
      'embed.weight': 6473.812572753259,
      'rnn.weight_ih_l0': 4.583490805414877,
      'rnn.weight_hh_l0': 7.430533178113166,
      'rnn.bias_ih_l0': 0.1777465607775337,
      'rnn.bias_hh_l0': 0.15127630452958224,
      'rnn.weight_ih_l1': 7.657100324025574,
      'rnn.weight_hh_l1': 7.325110149785079,
      'rnn.bias_ih_l1': 0.1699523891258759,
      'rnn.bias_hh_l1': 0.15839257080513106,
      'rnn.weight_ih_l2': 7.166308370275079,
      'rnn.weight_hh_l2': 7.412593173198689,
      'rnn.bias_ih_l2': 0.27671112342701193,
      'rnn.bias_hh_l2': 0.23386720842445355,
      'linear.weight': 14.170733750827987,
      'linear.bias': 0.7060749682186893,
    },
  },
};

const run = fixtureRuns().find((r) => r.label === 'lstm_deep/train.json')!;
const variants = relaxedSimdSupported() ? (['simd', 'relaxed'] as const) : (['simd'] as const);

for (const kernels of variants) {
  for (const [mode, want] of Object.entries(TORCH)) {
    test(`${mode} weight decay matches PyTorch on lstm_deep (${kernels})`, async (t) => {
      const model = await RNNModel.create(run.config, { kernels });
      model.loadStateDict(readTensors(new URL(run.record.init_weights, run.dir)));
      const { seq_len: T, batch: B } = run.batches;
      const state = model.createState(B);
      const adam = { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: mode === 'adamw', clipNorm: 0.5 };
      let worst = 0;
      want.loss.forEach((loss, step) => {
        const r = model.trainStep(flatIds(run.batches.inputs[step]), flatIds(run.batches.targets[step]), T, B, state, adam);
        const dl = Math.abs(r.loss - loss) / loss;
        const dn = Math.abs(r.gradNorm - want.gradNorm[step]) / want.gradNorm[step];
        assert.ok(dl < 1e-4 && dn < 1e-4, `step ${step}: loss ${r.loss} vs ${loss}, norm ${r.gradNorm} vs ${want.gradNorm[step]}`);
        worst = Math.max(worst, dl, dn);
      });
      for (const [name, tensor] of model.stateDict()) {
        let sum = 0, sumsq = 0;
        for (const v of tensor.data) { sum += v; sumsq += v * v; }
        // Sums over up to ~10^4 weights, each within 5e-4 of PyTorch's.
        assert.ok(Math.abs(sum - want.weightSum[name]) < 5e-4 * Math.sqrt(tensor.data.length) + 1e-4, `${name} sum ${sum} vs ${want.weightSum[name]}`);
        assert.ok(Math.abs(sumsq - want.weightSumSq[name]) < 1e-4 * want.weightSumSq[name] + 1e-4, `${name} sum of squares ${sumsq} vs ${want.weightSumSq[name]}`);
      }
      t.diagnostic(`max relative difference of loss and grad norm: ${worst.toExponential(2)}`);
      model.dispose();
    });
  }
}
