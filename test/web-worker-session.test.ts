// The training Worker's logic (src/worker/session.ts) without a Worker: the protocol's answers, pause and
// resume continuing exactly, stop, save/load round trips, and the errors a page can run into.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RNNModel } from '../src/rnn/model.js';
import { encodeCheckpoint, modelContent } from '../src/rnn/checkpoint.js';
import { CharTokenizer } from '../src/text/char.js';
import { TrainingSession } from '../src/worker/session.js';
import type { ModelSpec, TrainingSpec, WorkerMessage, WorkerRequest } from '../src/worker/protocol.js';

const text = readFileSync(new URL('../../corpus/pride-and-prejudice-volume-1.txt', import.meta.url), 'utf8').slice(0, 30_000);
const model: ModelSpec = { cell: 'lstm', tokenizer: 'word', embedSize: 12, hiddenSize: 16, numLayers: 1, maxVocab: 300, seed: 4 };
const training: TrainingSpec = { epochs: 2, lr: 0.01, batchSize: 4, seqLen: 8, clip: 1, seed: 5 };

/** A result without its speed, which differs from run to run. */
function withoutSpeed(value: unknown): unknown {
  const { tokensPerSecond: _speed, ...rest } = value as { tokensPerSecond: number };
  return rest;
}

/** A request before the harness numbers it. */
type Request = WorkerRequest extends unknown ? (WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never) : never;

/** A session whose answers resolve promises by request id and whose events are recorded. */
function harness() {
  const messages: WorkerMessage[] = [];
  const waiting = new Map<number, (m: WorkerMessage) => void>();
  const session = new TrainingSession((m) => {
    messages.push(m);
    if (m.type === 'done' || m.type === 'failed') waiting.get(m.id)?.(m);
  });
  let nextId = 1;
  const send = (request: Request): Promise<WorkerMessage> => {
    const id = nextId++;
    const answered = new Promise<WorkerMessage>((resolve) => waiting.set(id, resolve));
    void session.handle({ ...request, id } as WorkerRequest);
    return answered;
  };
  const result = async <T>(request: Request): Promise<T> => {
    const m = await send(request);
    assert.equal(m.type, 'done', m.type === 'failed' ? m.message : '');
    return (m as unknown as { result: T }).result;
  };
  const failure = async (request: Request): Promise<string> => {
    const m = await send(request);
    assert.equal(m.type, 'failed');
    return (m as { message: string }).message;
  };
  return { session, messages, send, result, failure };
}

test('a run paused and resumed ends with exactly the weights of an uninterrupted run', async () => {
  const straight = harness();
  const summary = await straight.result<{ reason: string; steps: number }>({ type: 'train', text, model, training });
  assert.equal(summary.reason, 'completed');
  const uninterrupted = await straight.result<Uint8Array>({ type: 'save' });

  const paused = harness();
  const run = paused.send({ type: 'train', text, model, training });
  while (!paused.messages.some((m) => m.type === 'progress')) await new Promise((r) => setTimeout(r, 1));
  assert.equal(await paused.result({ type: 'pause' }), null);
  assert.match(await paused.failure({ type: 'train', text, model, training }), /a training run is in progress/);
  const progressWhilePaused = paused.messages.filter((m) => m.type === 'progress').length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(paused.messages.filter((m) => m.type === 'progress').length, progressWhilePaused, 'progress arrived while paused');
  assert.equal(await paused.result({ type: 'resume' }), null);
  const resumed = await run;
  assert.equal(resumed.type, 'done');
  assert.deepEqual(withoutSpeed((resumed as { result: unknown }).result), withoutSpeed(summary));
  assert.deepEqual(await paused.result<Uint8Array>({ type: 'save' }), uninterrupted);
});

test('threads: the run trains on the asked number of threads, with the weights of one thread', async () => {
  const one = harness();
  await one.result({ type: 'train', text, model, training });
  const two = harness();
  const summary = await two.result<{ model: { threads: number } }>({ type: 'train', text, model: { ...model, threads: 2 }, training });
  assert.equal(summary.model.threads, 2);
  assert.deepEqual(await two.result<Uint8Array>({ type: 'save' }), await one.result<Uint8Array>({ type: 'save' }));
  assert.match(await harness().failure({ type: 'train', text, model: { ...model, threads: 0 }, training }), /threads/);
});

test('stop ends the run with reason "stopped"; the model can still generate, stream and round-trip', async () => {
  const h = harness();
  const run = h.send({ type: 'train', text, model, training: { ...training, epochs: 50 } });
  while (!h.messages.some((m) => m.type === 'progress')) await new Promise((r) => setTimeout(r, 1));
  assert.match(await h.failure({ type: 'generate', seed: 'it is', options: {} }), /cannot generate while training runs/);
  await h.result({ type: 'stop' });
  const stopped = (await run) as { result: { reason: string; steps: number } };
  assert.equal(stopped.result.reason, 'stopped');
  assert.ok(stopped.result.steps > 0);

  const options = { maxNewTokens: 12, doSample: true, temperature: 0.9, seed: 8 };
  const first = await h.result<{ text: string }>({ type: 'generate', seed: 'it is a truth', options });
  const pieces = h.messages.filter((m) => m.type === 'text').map((m) => (m as { piece: string }).piece).join('');
  assert.equal(pieces, ` ${first.text}`);

  const bytes = await h.result<Uint8Array>({ type: 'save' });
  const other = harness();
  const loaded = await other.result<{ cell: string; vocabSize: number }>({ type: 'load', bytes });
  assert.equal(loaded.cell, 'lstm');
  assert.equal(loaded.vocabSize, 300);
  assert.deepEqual(withoutSpeed(await other.result({ type: 'generate', seed: 'it is a truth', options })), withoutSpeed(first));
});

test('a Load takes the weights of a resumable checkpoint and leaves its training state unread', async () => {
  const tokenizer = CharTokenizer.fromCorpus('it is a truth universally acknowledged');
  const built = await RNNModel.create({ cell: 'gru', vocabSize: tokenizer.vocabSize, embedSize: 4, hiddenSize: 6, numLayers: 1 }, { seed: 3 });
  const trainer = {
    epoch: 0, batchIndex: 2, globalStep: 2, offset: 0, rng: [1, 2, 3, 4], hidden: [new Float32Array(6)],
    epochLossSum: 1, bestValLoss: 2, epochsWithoutImprovement: 0,
  };
  const bytes = encodeCheckpoint(modelContent(built, built.config, { tokenizer: tokenizer.toJSON(), trainer }));
  built.dispose();
  // The hidden state is the file's last tensor: cut into, it would refuse a resume but not a Load.
  const cut = bytes.subarray(0, bytes.length - 4);
  const options = { maxNewTokens: 8, seed: 1 };
  const whole = harness();
  const partial = harness();
  assert.equal((await whole.result<{ cell: string }>({ type: 'load', bytes })).cell, 'gru');
  assert.equal((await partial.result<{ cell: string }>({ type: 'load', bytes: cut })).cell, 'gru');
  assert.deepEqual(
    withoutSpeed(await partial.result({ type: 'generate', seed: 'it is', options })),
    withoutSpeed(await whole.result({ type: 'generate', seed: 'it is', options })),
  );
});

test('bad requests get answers that say what to do', async () => {
  const h = harness();
  assert.match(await h.failure({ type: 'generate', seed: 'x', options: {} }), /train a model or load one first/);
  assert.match(await h.failure({ type: 'save' }), /train a model or load one first/);
  assert.match(await h.failure({ type: 'pause' }), /no training run is in progress/);
  assert.match(await h.failure({ type: 'train', text: '  ', model, training }), /non-empty text/);
  assert.match(await h.failure({ type: 'train', text, model: { ...model, tokenizer: 'bytes' as 'word' }, training }), /tokenizer must be 'word' or 'char'/);
  assert.match(await h.failure({ type: 'fly' } as unknown as WorkerRequest), /unknown request "fly"/);
  const bare = new Uint8Array(readFileSync(new URL('../../test/fixtures/rnn/rnn_tiny/init.safetensors', import.meta.url)));
  assert.match(await h.failure({ type: 'load', bytes: bare }), /no tokenizer/);
  assert.match(await h.failure({ type: 'load', bytes: new Uint8Array([1, 2, 3]) }), /not a readable checkpoint/);
  assert.equal(await h.result({ type: 'stop' }), null);
});

test('requests that come while the model is being built find the run: stop, pause, train, generate', async () => {
  // The harness sends synchronously, so each of these arrives while train awaits RNNModel.create.
  const long = { ...training, epochs: 50 };
  const stopped = harness();
  const run = stopped.send({ type: 'train', text, model, training: long });
  assert.equal(await stopped.result({ type: 'stop' }), null);
  const summary = ((await run) as { result: { reason: string; steps: number } }).result;
  assert.deepEqual([summary.reason, summary.steps], ['stopped', 0]);

  const h = harness();
  const trained = h.send({ type: 'train', text, model, training });
  const second = h.send({ type: 'train', text, model, training });
  const generated = h.send({ type: 'generate', seed: 'it is', options: {} });
  const paused = h.send({ type: 'pause' });
  assert.match(((await second) as { message: string }).message, /a training run is in progress/);
  assert.match(((await generated) as { message: string }).message, /cannot generate while training runs/);
  assert.equal(((await paused) as { result: unknown }).result, null);
  assert.equal(h.messages.filter((m) => m.type === 'progress').length, 0, 'it stepped while paused');
  assert.equal(await h.result({ type: 'resume' }), null);
  const resumed = (await trained) as { type: string; result: unknown };
  assert.equal(resumed.type, 'done');

  // Paused before its first step, it still ends exactly as an uninterrupted run.
  const straight = harness();
  assert.deepEqual(withoutSpeed(resumed.result), withoutSpeed(await straight.result({ type: 'train', text, model, training })));
  assert.deepEqual(await h.result<Uint8Array>({ type: 'save' }), await straight.result<Uint8Array>({ type: 'save' }));
});

test('pause and resume sent together: the run goes on', async () => {
  const h = harness();
  const run = h.send({ type: 'train', text, model, training: { ...training, epochs: 50 } });
  while (!h.messages.some((m) => m.type === 'progress')) await new Promise((r) => setTimeout(r, 1));
  const paused = h.send({ type: 'pause' });
  const resumed = h.send({ type: 'resume' });
  assert.equal(((await paused) as { result: unknown }).result, null);
  assert.equal(((await resumed) as { result: unknown }).result, null);
  const progress = (): number => h.messages.filter((m) => m.type === 'progress').length;
  const seen = progress();
  for (let waited = 0; progress() === seen && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.ok(progress() > seen, 'the run stayed paused: the resume was dropped');
  await h.result({ type: 'stop' });
  assert.equal(((await run) as { result: { reason: string } }).result.reason, 'stopped');
});

test('a run that fails leaves the worker with the model it had, not an untrained or diverged one', async () => {
  const h = harness();
  await h.result({ type: 'train', text, model, training });
  const saved = await h.result<Uint8Array>({ type: 'save' });
  const options = { maxNewTokens: 10, doSample: true, seed: 3 };
  const before = await h.result({ type: 'generate', seed: 'it is a truth', options });

  assert.match(await h.failure({ type: 'train', text, model: { ...model, seed: 9 }, training: { ...training, lr: -1 } }), /lr must be a positive number/);
  assert.match(await h.failure({ type: 'train', text, model: { ...model, seed: 9 }, training: { ...training, lr: 1e30, clip: 0 } }), /training diverged/);
  assert.deepEqual(await h.result<Uint8Array>({ type: 'save' }), saved);
  assert.deepEqual(withoutSpeed(await h.result({ type: 'generate', seed: 'it is a truth', options })), withoutSpeed(before));
});

test('close ends a run and disposes every model with its kernel threads, the one in training and the one it replaces', async () => {
  const h = harness();
  const threaded = { ...model, threads: 2 };
  const held = (): RNNModel | null => (h.session as unknown as { model: RNNModel | null }).model;
  await h.result({ type: 'train', text, model: threaded, training });
  const first = held()!;
  const run = h.send({ type: 'train', text, model: threaded, training: { ...training, epochs: 50 } });
  while (held() === first) await new Promise((r) => setTimeout(r, 1));
  const second = held()!;
  assert.equal(await h.result({ type: 'close' }), null);
  assert.equal(((await run) as { result: { reason: string } }).result.reason, 'stopped');
  for (const m of [first, second]) assert.throws(() => m.memoryBytes, /has been disposed/);
  assert.equal(held(), null);
  assert.match(await h.failure({ type: 'generate', seed: 'it is', options: {} }), /train a model or load one first/);
});
