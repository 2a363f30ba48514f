// TrainingWorker (dist/textloom.js + dist/worker.js) in headless Chromium, called the ways a page can call
// it out of order: stop or pause right after train, calls after terminate() or after the worker failed to
// load, load() given an ArrayBuffer, and callbacks that throw. Each must settle with a clear answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openBlankPage, type BlankPage } from './runtimes/chromium.js';

let blank: BlankPage;
let page: Page;
let errors: string[];

before(async () => {
  blank = await openBlankPage();
  ({ page, errors } = blank);
});

after(() => blank?.close());

/** Runs `body` in the page with TrainingWorker, a small corpus and specs; each promise it awaits is raced against a 30 s hang. */
function inPage<T>(body: string): Promise<T> {
  return page.evaluate(`(async () => {
    const { TrainingWorker } = await import('/dist/textloom.js');
    const text = 'the cat sat on the mat and the dog sat on the log . '.repeat(400);
    const model = { cell: 'gru', tokenizer: 'word', embedSize: 8, hiddenSize: 16, numLayers: 1 };
    const training = { epochs: 30, lr: 0.01, batchSize: 4, seqLen: 8, seed: 1 };
    const settle = (promise) => Promise.race([
      promise.then((value) => ({ value }), (e) => ({ error: e.message })),
      new Promise((resolve) => setTimeout(() => resolve({ error: 'no answer after 30 s' }), 30000)),
    ]);
    ${body}
  })()`) as Promise<T>;
}

test('stop and pause sent right after train reach the run while its model is being built', async () => {
  // threads: 2 starts kernel workers before the first step, which leaves time for the stop to arrive.
  const outcome = await inPage<Record<string, { value?: { reason: string; steps: number } | null; error?: string }>>(`
    const worker = TrainingWorker.start();
    try {
      const run = worker.train(text, { ...model, threads: 2 }, training);
      const stop = await settle(worker.stop());
      const stopped = await settle(run);
      const run2 = worker.train(text, { ...model, threads: 2 }, training);
      const pause = await settle(worker.pause());
      await worker.stop();
      const paused = await settle(run2);
      return { stop, stopped, pause, paused };
    } finally {
      worker.terminate();
    }
  `);
  assert.deepEqual(outcome.stop, { value: null });
  assert.deepEqual(outcome.stopped, { value: { ...outcome.stopped!.value, reason: 'stopped', steps: 0 } });
  assert.deepEqual(outcome.pause, { value: null });
  assert.deepEqual(outcome.paused, { value: { ...outcome.paused!.value, reason: 'stopped', steps: 0 } });
});

test('after terminate(), or once the worker failed to load, every call rejects and says so', async () => {
  const outcome = await inPage<Record<string, { error?: string }>>(`
    const worker = TrainingWorker.start();
    const run = settle(worker.train(text, model, { ...training, epochs: 1 }));
    worker.terminate();
    const missing = TrainingWorker.start('/nowhere/worker.js');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return {
      run: await run,
      save: await settle(worker.save()),
      stop: await settle(worker.stop()),
      missing: await settle(missing.save()),
    };
  `);
  assert.match(outcome.run!.error!, /training worker terminated; start a new one with TrainingWorker\.start\(\)/);
  assert.match(outcome.save!.error!, /training worker terminated/);
  assert.match(outcome.stop!.error!, /training worker terminated/);
  assert.match(outcome.missing!.error!, /\/nowhere\/worker\.js could not be loaded .*pass its URL to TrainingWorker\.start\(url\)/);
  errors.splice(errors.indexOf('HTTP 404 /nowhere/worker.js'), 1);
});

test('load() given an ArrayBuffer says to wrap it; the worker stays usable', async () => {
  const outcome = await inPage<{ refused: { error?: string }; loaded: { value?: { cell: string } } }>(`
    const worker = TrainingWorker.start();
    try {
      await worker.train(text, model, { ...training, epochs: 1 });
      const bytes = await worker.save();
      const refused = await settle(worker.load(bytes.buffer));
      return { refused, loaded: await settle(worker.load(bytes)) };
    } finally {
      worker.terminate();
    }
  `);
  assert.match(outcome.refused.error!, /TrainingWorker\.load expects the file's bytes as a Uint8Array \(new Uint8Array\(await file\.arrayBuffer\(\)\)\), got ArrayBuffer/);
  assert.equal(outcome.loaded.value!.cell, 'gru');
});

test('a callback that throws rejects its request with that error, once; a run stops', async () => {
  const outcome = await inPage<Record<string, unknown>>(`
    const worker = TrainingWorker.start();
    try {
      let progress = 0;
      const trained = await settle(worker.train(text, model, training, () => {
        progress++;
        throw new Error('chart broke');
      }));
      const progressCalls = progress;
      await worker.train(text, model, { ...training, epochs: 1 });
      let pieces = 0;
      const generated = await settle(worker.generate('the cat', { maxNewTokens: 8 }, () => {
        pieces++;
        throw new Error('output broke');
      }));
      const after = await settle(worker.generate('the cat', { maxNewTokens: 3 }));
      return { trained, progressCalls, generated, pieces, after: typeof after.value?.text };
    } finally {
      worker.terminate();
    }
  `);
  assert.deepEqual(outcome, {
    trained: { error: 'chart broke' }, progressCalls: 1, generated: { error: 'output broke' }, pieces: 1, after: 'string',
  });
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(errors, []);
});
