// The built bundle (dist/textloom.js) in three runtimes, each in a fresh process or page: Node, Deno and
// headless Chromium run the same seeded scenario (test/runtimes/scenario.ts) and must agree exactly on
// the RNN losses and text and on the GPT-2 ids; WebGPU (Chromium on SwiftShader, Deno on lavapipe) must
// match WASM within 1e-4 on the logits. No adapter means a failure here, never a skip.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInChromium } from './runtimes/browser-run.js';
import { runDeno } from './runtimes/deno.js';
import { repoRoot } from './runtimes/paths.js';
import type { Gpt2Outcome, Outcome } from './runtimes/scenario.js';

const cliMain = new URL('build/test/runtimes/cli-main.js', repoRoot);

function runNode(): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', fileURLToPath(cliMain)],
      { timeout: 240_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome)),
    );
  });
}

const reference = JSON.parse(readFileSync(new URL('test/fixtures/gpt2-tiny/reference.json', repoRoot), 'utf8')) as {
  prompts: Array<{ text: string; ids: number[]; greedy: number[] }>;
};

function gpt2(outcome: Outcome, backend: string): Gpt2Outcome {
  const found = outcome.gpt2.find((g) => g.backend === backend);
  assert.ok(found, `${outcome.runtime} has no GPT-2 run on ${backend}`);
  return found;
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

describe('one bundle, three runtimes', { timeout: 900_000 }, () => {
  const outcomes: Outcome[] = [];

  before(async () => {
    // One after another: they would only slow each other down on two cores, and the timings would lie.
    outcomes.push(await runNode());
    outcomes.push(await runDeno<Outcome>(cliMain, ['--webgpu'], 300_000));
    outcomes.push(await runInChromium({ webgpu: true, timeoutMs: 400_000 }));
  });

  test('each runtime imports the bundle and instantiates the kernels', (t) => {
    assert.deepEqual(outcomes.map((o) => o.runtime), ['node', 'deno', 'chromium']);
    for (const o of outcomes) {
      assert.ok(o.timings.importMs > 0 && o.timings.instantiateMs > 0);
      t.diagnostic(
        `${o.runtime}: import ${o.timings.importMs.toFixed(1)} ms, kernels ${o.timings.instantiateMs.toFixed(1)} ms; ` +
          Object.entries(o.phaseMs).map(([k, v]) => `${k} ${v} ms`).join(', '),
      );
    }
  });

  test('RNN, LSTM and GRU training losses are identical in Node, Deno and Chromium, and fall', () => {
    const [node, ...others] = outcomes as [Outcome, ...Outcome[]];
    assert.equal(node.rnn.length, 6);
    for (const o of others) {
      for (const [i, run] of node.rnn.entries()) {
        assert.deepEqual(o.rnn[i]!.losses, run.losses, `${o.runtime} ${run.cell} (${run.kernels}) losses differ from Node's`);
        assert.equal(o.rnn[i]!.valLoss, run.valLoss);
      }
    }
    for (const run of node.rnn) {
      const head = run.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
      const tail = run.losses.slice(-5).reduce((a, b) => a + b) / 5;
      assert.ok(run.losses.length >= 30 && tail < head - 0.2, `${run.cell} loss did not fall: ${head} -> ${tail}`);
    }
  });

  test('seeded sampling gives the same text in Node, Deno and Chromium', () => {
    const [node, ...others] = outcomes as [Outcome, ...Outcome[]];
    for (const run of node.rnn) assert.ok(run.text.split(' ').length >= 20, `${run.cell} generated ${JSON.stringify(run.text)}`);
    for (const o of others) assert.deepEqual(o.rnn.map((r) => r.text), node.rnn.map((r) => r.text), `${o.runtime} text differs`);
  });

  test('tiny GPT-2 on WASM: the same tokenizer ids, logits and generated ids everywhere, greedy as PyTorch', () => {
    const [node, ...others] = outcomes as [Outcome, ...Outcome[]];
    const wasm = gpt2(node, 'wasm');
    const prompt = reference.prompts.find((p) => p.text === 'How are you feeling today?')!;
    assert.deepEqual(wasm.promptIds, prompt.ids);
    assert.deepEqual(wasm.greedy, prompt.greedy.slice(0, wasm.greedy.length));
    assert.equal(wasm.greedy.length, prompt.ids.length + 8);
    for (const o of others) {
      const other = gpt2(o, 'wasm');
      assert.deepEqual(other.promptIds, wasm.promptIds);
      assert.deepEqual(other.logitsHead, wasm.logitsHead, `${o.runtime} WASM logits differ from Node's`);
      assert.deepEqual(other.greedy, wasm.greedy);
      assert.deepEqual(other.sampled, wasm.sampled, `${o.runtime} sampled ids differ from Node's`);
      assert.equal(other.decoded, wasm.decoded);
    }
  });

  for (const runtime of ['chromium', 'deno']) {
    test(`tiny GPT-2 on WebGPU in ${runtime} matches WASM within 1e-4`, (t) => {
      const outcome = outcomes.find((o) => o.runtime === runtime)!;
      const gpu = gpt2(outcome, 'webgpu');
      const wasm = gpt2(outcome, 'wasm');
      const diff = maxAbsDiff(gpu.logitsHead, wasm.logitsHead);
      assert.ok(diff <= 1e-4, `max |webgpu - wasm| = ${diff}`);
      assert.equal(gpu.argmax, wasm.argmax);
      assert.deepEqual(gpu.greedy, wasm.greedy.slice(0, gpu.greedy.length));
      t.diagnostic(`${runtime} WebGPU adapter: ${gpu.adapter}; max |webgpu - wasm| logit ${diff.toExponential(2)}`);
    });
  }
});

test('TrainingWorker in Deno: a misspelt spec key is refused before the worker sees it; a run trains and generates', async () => {
  const script = new URL('build/test/runtimes/deno-training-worker.js', repoRoot);
  const r = await runDeno<{ refused: string | null; refusedGeneration: string | null; reason: string; steps: number; words: number }>(script);
  assert.match(r.refused ?? '', /TrainingWorker\.train \(training\): unknown option "epoch"; did you mean epochs\?/);
  assert.match(r.refusedGeneration ?? '', /TrainingWorker\.generate: unknown option "maxNewToken"; did you mean maxNewTokens\?/);
  assert.equal(r.reason, 'completed');
  assert.ok(r.steps > 0, `${r.steps} steps`);
  assert.equal(r.words, 5);
});

test('TrainingWorker in Deno: terminate() leaves no kernel thread of a model on several threads running', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async () => {
  const script = new URL('build/test/runtimes/deno-training-worker-threads.js', repoRoot);
  const r = await runDeno<{ before: number; after: number; runs: number; kernelThreadsPerRun: number }>(script, [], 120_000, ['--allow-all']);
  // Left running, the kernel threads alone would add runs x kernelThreadsPerRun (12).
  assert.ok(r.after <= r.before + 2, `${r.before} threads before ${r.runs} runs on 4 threads, ${r.after} after`);
});
