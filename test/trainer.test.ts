import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RNNModel } from '../src/rnn/model.js';
import { WordTokenizer } from '../src/text/index.js';
import { splitValidation, StreamBatches, type TokenSplit } from '../src/rnn/dataset.js';
import { train, evaluateLoss, type TrainOptions, type TrainProgress } from '../src/rnn/trainer.js';
import { learningRate } from '../src/rnn/lr-schedule.js';
import { saveCheckpoint, loadCheckpoint, decodeCheckpoint, encodeCheckpoint, modelContent, restoreModel, type RNNConfig } from '../src/rnn/checkpoint.js';
import { generateText } from '../src/rnn/generate.js';
import { unigramPerplexity } from '../src/cli/demo.js';

const corpus = readFileSync(new URL('../../corpus/pride-and-prejudice-volume-1.txt', import.meta.url), 'utf8');
const tokenizer = WordTokenizer.fromCorpus(corpus, { maxSize: 1000 });
const data: TokenSplit = splitValidation(Int32Array.from(tokenizer.encode(corpus)), 0.1);
const config: RNNConfig = { cell: 'lstm', vocabSize: tokenizer.vocabSize, embedSize: 32, hiddenSize: 64, numLayers: 1 };
const base: TrainOptions = { epochs: 1, lr: 0.01, batchSize: 16, seqLen: 16, clip: 1, seed: 7 };

/** Train data cut to its first n tokens (same validation), for the tests that only need a few steps. */
function head(n: number): TokenSplit {
  return { train: data.train.subarray(0, n), validation: data.validation };
}

test('on the built-in corpus a short run brings validation perplexity well below unigram', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const unigram = unigramPerplexity(data.train, data.validation, tokenizer.vocabSize);
  const before = Math.exp(await evaluateLoss(model, data.validation, 16, 16));
  const events: TrainProgress[] = [];
  const result = await train(model, data, { ...base, onProgress: (e) => events.push(e) });
  assert.equal(result.reason, 'completed');
  assert.ok(before > 900, `an untrained model is near uniform over 1000 words, got ${before}`);
  assert.ok(unigram > 150 && unigram < 250, `unigram perplexity ${unigram}`);
  assert.ok(result.valPerplexity! < 0.7 * unigram, `validation perplexity ${result.valPerplexity} vs unigram ${unigram}`);
  const steps = events.filter((e) => e.type === 'step');
  const epoch = events.filter((e) => e.type === 'epoch');
  assert.equal(steps.length, result.losses.length);
  assert.ok(steps.length >= 140, `${steps.length} steps`);
  const last = steps[steps.length - 1]!;
  assert.equal(last.globalStep, last.totalSteps);
  assert.equal(last.etaMs, 0);
  assert.ok(last.tokensPerSecond > 0 && Math.abs(last.perplexity - Math.exp(last.loss)) < 1e-9);
  assert.equal(epoch.length, 1);
  assert.equal(epoch[0]!.type === 'epoch' && epoch[0]!.valPerplexity, result.valPerplexity);
  model.dispose();
});

test('the same seed gives the same losses and the same generated text', async () => {
  const run = async (): Promise<{ losses: number[]; text: string }> => {
    const model = await RNNModel.create(config, { seed: 3 });
    const result = await train(model, head(6000), { ...base, validation: false });
    const generated = await generateText(model, tokenizer, 'it is a truth', { maxNewTokens: 12, doSample: true, temperature: 0.8, seed: 11 });
    model.dispose();
    return { losses: result.losses, text: generated.text };
  };
  const a = await run();
  const b = await run();
  assert.ok(a.losses.length > 10);
  assert.deepEqual(a.losses, b.losses);
  assert.equal(a.text, b.text);
  assert.equal(a.text.split(' ').length, 12);
});

test('a run stopped, checkpointed and resumed continues exactly as an uninterrupted one', async () => {
  const options: TrainOptions = { ...base, epochs: 2, lrSchedule: 'cosine', warmupSteps: 3, weightDecay: 0.01 };
  const split = head(5000);
  const full = await RNNModel.create(config, { seed: 5 });
  const steps: TrainProgress[] = [];
  const uninterrupted = await train(full, split, { ...options, onProgress: (e) => steps.push(e) });
  // Each epoch starts at its own offset yet has the same number of steps, so the total is exact.
  for (const e of steps) if (e.type === 'step') assert.equal(e.stepsPerEpoch * e.epochs, e.totalSteps);
  assert.equal(uninterrupted.losses.length, (steps[0] as { totalSteps: number }).totalSteps);

  const first = await RNNModel.create(config, { seed: 5 });
  const controller = new AbortController();
  const stopped = await train(first, split, {
    ...options,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'step' && e.globalStep === 23) controller.abort();
    },
  });
  assert.equal(stopped.reason, 'aborted');
  assert.equal(stopped.losses.length, 23);
  assert.equal(stopped.state.epoch, 1, 'stopped in the second epoch');
  const path = join(mkdtempSync(join(tmpdir(), 'textloom-resume-')), 'run.safetensors');
  await saveCheckpoint(path, modelContent(first, config, { tokenizer: tokenizer.toJSON(), trainer: stopped.state }));
  first.dispose();

  const checkpoint = await loadCheckpoint(path);
  const second = await RNNModel.create(checkpoint.config, { seed: 999 });
  restoreModel(second, checkpoint);
  const resumed = await train(second, split, { ...options, resume: checkpoint.training!.trainer });
  assert.equal(resumed.reason, 'completed');
  assert.deepEqual([...stopped.losses, ...resumed.losses], uninterrupted.losses);
  assert.equal(resumed.valLoss, uninterrupted.valLoss);
  for (const [name, t] of full.stateDict()) assert.deepEqual(second.stateDict().get(name)!.data, t.data, name);
  full.dispose();
  second.dispose();
});

test('early stopping ends the run when validation stops improving', async () => {
  const model = await RNNModel.create(config, { seed: 2 });
  // A learning rate this high makes validation loss worse after the first epoch.
  const result = await train(model, head(3000), { ...base, lr: 0.3, clip: 0, epochs: 6, earlyStopping: { patience: 1 } });
  assert.equal(result.reason, 'early-stopping');
  assert.ok(result.epochs.length < 6);
  const vals = result.epochs.map((e) => e.valLoss!);
  assert.ok(vals[vals.length - 1]! >= Math.min(...vals.slice(0, -1)));
  model.dispose();
});

test('training yields to the event loop so timers keep firing', async () => {
  const model = await RNNModel.create(config, { seed: 4 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  await train(model, head(12000), { ...base, validation: false });
  clearInterval(timer);
  const elapsed = performance.now() - started;
  assert.ok(ticks >= Math.floor(elapsed / 50), `${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
  model.dispose();
});

test('learning-rate schedules: warmup, cosine and linear decay', () => {
  assert.equal(learningRate('constant', 0.1, 0, 100, 4), 0.025);
  assert.equal(learningRate('constant', 0.1, 3, 100, 4), 0.1);
  assert.equal(learningRate('constant', 0.1, 50, 100, 0), 0.1);
  assert.equal(learningRate('cosine', 0.1, 4, 104, 4), 0.1);
  assert.ok(Math.abs(learningRate('cosine', 0.1, 54, 104, 4) - 0.05) < 1e-12);
  assert.ok(Math.abs(learningRate('linear', 0.1, 29, 104, 4) - 0.075) < 1e-12);
  assert.equal(learningRate('linear', 0.1, 104, 104, 4), 0);
});

test('invalid options are refused with a message naming the option', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const bad = async (options: Partial<TrainOptions>, pattern: RegExp, split = data): Promise<void> => {
    await assert.rejects(train(model, split, { ...base, ...options } as TrainOptions), pattern);
  };
  await bad({ seed: 2 ** 32 }, /train: seed must be an integer from -2147483648 to 4294967295, got 4294967296/);
  await bad({ epochs: 0 }, /train: epochs must be a positive integer, got 0/);
  await bad({ batchSize: -4 }, /batchSize must be a positive integer, got -4/);
  await bad({ seqLen: 2.5 }, /seqLen must be a positive integer, got 2.5/);
  await bad({ lr: 0 }, /lr must be a positive number, got 0/);
  await bad({ clip: -1 }, /clip must be >= 0/);
  await bad({ weightDecay: Number.NaN }, /weightDecay must be >= 0/);
  await bad({ lrSchedule: 'step' as never }, /lrSchedule must be one of constant, cosine, linear, got "step"/);
  await bad({ lr: 20, weightDecay: 0.1 }, /train: lr x weightDecay must be below 1 \(each step scales the weights by 1 - lr x weightDecay\), got 20 x 0.1/);
  await bad({ earlyStopping: { patience: 0 } }, /earlyStopping.patience must be a positive integer/);
  await bad({ earlyStopping: { patience: 2 } }, /earlyStopping needs validation data/, { train: data.train, validation: new Int32Array(0) });
  await bad({ learningRate: 5 } as never, /train: unknown option "learningRate"; known options: epochs, lr, /);
  await bad({ seqlen: 8 } as never, /train: unknown option "seqlen"; did you mean seqLen\?/);
  await bad({ earlyStopping: { patince: 2 } } as never, /train: earlyStopping: unknown option "patince"; did you mean patience\?/);
  await assert.rejects(train(model, data, null as never), /train: options must be an object, got null/);
  await bad({}, /train: data\.train must be an Int32Array \(tokenizeCorpus\(\) and splitValidation\(\) give them\), got an array of length 3/,
    { train: [1, 2, 3], validation: [] } as never);
  await bad({}, /train: data\.validation must be an Int32Array/, { train: data.train } as never);
  await bad({}, /train: data must be \{ train, validation \} token ids/, null as never);
  await bad({ batchSize: 64, seqLen: 64 }, /the training split has 300 tokens but one batch needs batchSize 64 x \(seqLen 64 \+ 1\)/, head(300));
  await bad({ validation: 'yes' as never }, /train: validation must be true or false, got "yes"/);
  await bad({ signal: 'stop' as never }, /train: signal must be an AbortSignal/);
  await bad({ resume: {} as never }, /train: resume must be the state of a TrainResult or a checkpoint's training\.trainer: its epoch is undefined/);
  const stopped = new AbortController();
  stopped.abort();
  const { state } = await train(model, data, { ...base, signal: stopped.signal });
  await bad({ resume: { ...state, offset: 99 } }, /of a run with this seqLen \(\d+\): its offset is 99/);
  await bad({ resume: { ...state, rng: [0, 0, 0, 0] } }, /Random\.setState: the state is all zeros/);
  model.dispose();
});

test('token ids outside the vocabulary are refused before the first step, wherever they sit', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const before = model.stateDict();
  // The first tokens may fall before the epoch's random offset and the last after its whole batches:
  // checked only as batches came, these were never seen, or seen after a whole epoch of training.
  const V = tokenizer.vocabSize;
  const cases: [TokenSplit, RegExp][] = [
    [{ train: Int32Array.from([-1, ...data.train.subarray(1, 3000)]), validation: data.validation }, /data\.train\[0\] is -1/],
    [{ train: Int32Array.from([...data.train.subarray(0, 2999), V]), validation: data.validation }, new RegExp(`data\\.train\\[2999\\] is ${V}`)],
    [{ train: data.train.subarray(0, 3000), validation: Int32Array.from([...data.validation.subarray(0, 499), V + 5]) }, /data\.validation\[499\] is 1005/],
  ];
  for (const [split, pattern] of cases) {
    await assert.rejects(train(model, split, base), (e: Error) => {
      assert.match(e.message, pattern);
      assert.match(e.message, new RegExp(`outside the model's vocabulary \\[0, ${V}\\); encode the text with the tokenizer the model was created for`));
      return true;
    });
  }
  // Unused validation ids are not checked.
  await train(model, cases[2]![0], { ...base, validation: false });
  assert.notDeepEqual(model.stateDict(), before);
  model.dispose();
});

test('a diverged run stops with an error naming the step and the cure, and no NaN reaches the weights', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const steps: number[] = [];
  // An lr of 1000 takes the loss past 709 nats a token, where perplexity overflows: the run must not go
  // on reporting an infinite perplexity (and the CLI must not save the model) as if it were progress.
  await assert.rejects(
    train(model, head(3000), { ...base, lr: 1000, clip: 0, onProgress: (e) => void (e.type === 'step' && steps.push(e.loss)) }),
    /^RangeError: train: the loss became \d+\.?\d* \(perplexity Infinity\) at epoch 1, step (\d+) \(step \1 of the run\): training diverged; lower lr \(now 1000\) or set clip \(e\.g\. 1\)$/,
  );
  assert.ok(steps.length >= 1 && steps.every((loss) => Math.exp(loss) < Infinity), `${steps}`);
  await assert.rejects(train(model, head(3000), { ...base, lr: 1000 }), /training diverged; lower lr \(now 1000\) or clip \(now 1\)$/);
  model.dispose();

  // Weights this large overflow the logits, so the loss and every gradient are NaN: trainStep applies
  // nothing (Adam would write NaN into every weight), and train() names the first step.
  const overflowing = await RNNModel.create(config, { seed: 1 });
  const weights = overflowing.stateDict();
  weights.get('linear.weight')!.data.fill(3e38);
  overflowing.loadStateDict(weights);
  const batch = new StreamBatches(data.train, 4, 8).batch(0);
  const result = overflowing.trainStep(batch.inputs, batch.targets, 8, 4, overflowing.createState(4), { lr: 0.01, clipNorm: 1 });
  assert.ok(Number.isNaN(result.loss) && Number.isNaN(result.gradNorm), JSON.stringify(result));
  assert.deepEqual(overflowing.stateDict(), weights);
  assert.equal(overflowing.optimizerState().step, 0);
  assert.ok([...overflowing.optimizerState().tensors.values()].every((t) => t.data.every((v) => v === 0)));
  await assert.rejects(train(overflowing, head(3000), base),
    /train: the loss became NaN \(perplexity NaN, the gradient norm NaN\) at epoch 1, step 1 \(step 1 of the run\): training diverged/);
  assert.deepEqual(overflowing.stateDict(), weights);
  overflowing.dispose();

  // A word the training text never has, given a bias of -800: training goes well, but the validation
  // text made of that word alone scores 800 nats a token, and its perplexity is not a number to report.
  const unseen = await RNNModel.create(config, { seed: 1 });
  const biased = unseen.stateDict();
  const word = tokenizer.vocabSize - 1;
  biased.get('linear.bias')!.data[word] = -800;
  unseen.loadStateDict(biased);
  const training = Int32Array.from(data.train.subarray(0, 3000), (id) => (id === word ? 0 : id));
  await assert.rejects(train(unseen, { train: training, validation: new Int32Array(100).fill(word) }, base),
    /^RangeError: train: the loss became 80\d\.\d+ \(perplexity Infinity\) on the validation split after epoch 1: training diverged/);
  unseen.dispose();
});

test('a resume on other batches is refused: another batchSize, seqLen or training split', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const controller = new AbortController();
  const split = head(4000);
  const stopped = await train(model, split, {
    ...base, signal: controller.signal, onProgress: (e) => void (e.type === 'step' && e.globalStep === 5 && controller.abort()),
  });
  assert.deepEqual([stopped.state.batchSize, stopped.state.seqLen, stopped.state.trainTokens], [16, 16, 4000]);
  const resume = stopped.state;
  // Before, a smaller batch failed inside RecurrentState, a longer seqLen trained other windows without
  // a word, and a shorter training split could skip the rest of the epoch.
  await assert.rejects(train(model, split, { ...base, resume, batchSize: 8 }), /train: resume continues a run with batchSize 16, not 8; pass batchSize: 16 to continue it exactly/);
  await assert.rejects(train(model, split, { ...base, resume, seqLen: 32 }), /train: resume continues a run with seqLen 16, not 32; pass seqLen: 16/);
  const saved = decodeCheckpoint(encodeCheckpoint(modelContent(model, config, { trainer: resume }))).training!.trainer;
  await assert.rejects(train(model, split, { ...base, resume: saved, batchSize: 4 }), /resume continues a run with batchSize 16, not 4/);
  await assert.rejects(train(model, head(3000), { ...base, resume }),
    /train: resume continues a run on a training split of 4000 tokens, not 3000; pass the same data/);
  // What may change: the learning rate and the number of epochs.
  const more = await train(model, split, { ...base, resume, lr: 0.005, epochs: 2 });
  assert.equal(more.state.globalStep, 2 * Math.floor((Math.floor(4000 / 16) - 1) / 16));
  model.dispose();
});

test('a clock too coarse to time a step gives a throughput of 0, not Infinity or NaN', async () => {
  const model = await RNNModel.create(config, { seed: 1 });
  const clock = performance.now;
  // Browsers round performance.now(); a small model's step can fall between two ticks.
  performance.now = () => 1000;
  const events: TrainProgress[] = [];
  let result;
  try {
    result = await train(model, head(1000), { ...base, onProgress: (e) => events.push(e) });
  } finally {
    performance.now = clock;
  }
  assert.ok(events.length > 2);
  for (const e of events) {
    assert.equal(e.tokensPerSecond, 0, JSON.stringify(e));
    if (e.type === 'step') assert.equal(e.etaMs, 0);
  }
  assert.equal(result.tokensPerSecond, 0);
  model.dispose();
});

test('stream batches and training steps reproduce the deep PyTorch reference runs', async () => {
  for (const dir of ['rnn_deep', 'lstm_deep', 'gru_deep']) {
    for (const suffix of ['', '_clip']) {
      const file = (name: string): URL => new URL(`../../test/fixtures/rnn/${dir}/${name}`, import.meta.url);
      const init = decodeCheckpoint(new Uint8Array(readFileSync(file('init.safetensors'))));
      const final = decodeCheckpoint(new Uint8Array(readFileSync(file(`final${suffix}.safetensors`))));
      const reference = JSON.parse(readFileSync(file(`train${suffix}.json`), 'utf8'));
      const batches = JSON.parse(readFileSync(file('batches.json'), 'utf8'));
      const model = await RNNModel.create(init.config);
      model.loadStateDict(init.weights);
      const stream = new StreamBatches(Int32Array.from(batches.stream), batches.batch, batches.seq_len);
      const state = model.createState(batches.batch);
      const clip = reference.clip_grad_norm_max_norm;
      for (let s = 0; s < batches.steps; s++) {
        const batch = stream.batch(s);
        const { loss } = model.trainStep(batch.inputs, batch.targets, batch.seqLen, batch.batchSize, state, clip === null ? { lr: 0.01 } : { lr: 0.01, clipNorm: clip });
        const expected = reference.loss_per_step[s];
        assert.ok(Math.abs(loss - expected) <= 1e-4 * expected, `${dir}${suffix} step ${s}: loss ${loss} vs ${expected}`);
      }
      for (const [name, t] of model.stateDict()) {
        const want = final.weights.get(name)!.data;
        const worst = t.data.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
        assert.ok(worst <= 5e-4, `${dir}${suffix} ${name}: max difference ${worst}`);
      }
      model.dispose();
    }
  }
});
