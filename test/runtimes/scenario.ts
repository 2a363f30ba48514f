/**
 * The runtime scenario: the same steps, on the BUILT bundle (dist/textloom.js), in Node, Deno and
 * Chromium. Each runtime prints (or reports) the JSON outcome; test/runtimes.test.ts compares them.
 *
 * Everything here is seeded, so the outcomes must be identical across runtimes: the losses of a short
 * training run of each cell, the sampled text, the GPT-2 tokenizer ids and generated ids. Only GPT-2
 * logits on WebGPU may differ from WASM, within a tolerance.
 */
import type * as Textloom from '../../src/index.js';

export type Lib = typeof Textloom;

/** How a runtime reads a fixture (a path relative to the repository root). */
export type ReadFixture = (path: string) => Promise<Uint8Array>;

export interface Timings {
  /** `await import('dist/textloom.js')` in a fresh runtime. */
  importMs: number;
  /** The first RNNModel.create: base64 decode, compile and instantiate the kernels, a tiny arena. */
  instantiateMs: number;
}

export interface RnnOutcome {
  cell: string;
  kernels: string;
  losses: number[];
  valLoss: number | null;
  text: string;
}

export interface Gpt2Outcome {
  backend: string;
  /** The WebGPU adapter that ran it (vendor, architecture, description), for the report. */
  adapter: string | null;
  promptIds: number[];
  /** Last-position logits of the prompt, the first 64 entries and the argmax (the rest is checked by the GPT-2 tests). */
  logitsHead: number[];
  argmax: number;
  greedy: number[];
  sampled: number[];
  decoded: string;
}

export interface Outcome {
  runtime: string;
  timings: Timings;
  /** Wall time of each part of the scenario, for the report. */
  phaseMs: Record<string, number>;
  rnn: RnnOutcome[];
  gpt2: Gpt2Outcome[];
}

const decoder = new TextDecoder();

export async function importBundle(url: string): Promise<{ lib: Lib; timings: Timings }> {
  const t0 = performance.now();
  const lib = (await import(url)) as Lib;
  const t1 = performance.now();
  const probe = await lib.RNNModel.create({ cell: 'rnn', vocabSize: 2, embedSize: 1, hiddenSize: 1, numLayers: 1 });
  const t2 = performance.now();
  probe.dispose();
  return { lib, timings: { importMs: t1 - t0, instantiateMs: t2 - t1 } };
}

/** A few dozen training steps of each cell, then seeded sampling. */
export async function rnnScenario(lib: Lib, corpus: string, kernels: 'simd' | 'relaxed'): Promise<RnnOutcome[]> {
  const tokenizer = lib.WordTokenizer.fromCorpus(corpus, { maxSize: 400 });
  const data = lib.splitValidation(Int32Array.from(tokenizer.encode(corpus)), 0.1);
  const outcomes: RnnOutcome[] = [];
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const model = await lib.RNNModel.create(
      { cell, vocabSize: tokenizer.vocabSize, embedSize: 16, hiddenSize: 24, numLayers: 2 },
      { seed: 7, kernels },
    );
    const result = await lib.train(model, data, { epochs: 1, lr: 0.01, batchSize: 4, seqLen: 8, clip: 1, seed: 3 });
    const generated = await lib.generateText(model, tokenizer, 'it is a truth', {
      maxNewTokens: 24,
      doSample: true,
      temperature: 0.9,
      topK: 40,
      topP: 0.95,
      seed: 11,
    });
    model.dispose();
    outcomes.push({ cell, kernels, losses: result.losses, valLoss: result.valLoss, text: generated.text });
  }
  return outcomes;
}

/**
 * The tiny GPT-2 fixture: tokenizer ids, last-position logits, greedy and sampled ids. Software WebGPU
 * adapters compile a pipeline for every new sequence length, so the WebGPU run decodes fewer tokens.
 */
export async function gpt2Scenario(
  lib: Lib,
  readFixture: ReadFixture,
  modelLocation: string,
  device: 'wasm' | 'webgpu',
): Promise<Gpt2Outcome> {
  const dir = 'test/fixtures/gpt2-tiny';
  const tokenizer = lib.BpeTokenizer.fromFiles(
    decoder.decode(await readFixture(`${dir}/vocab.json`)),
    decoder.decode(await readFixture(`${dir}/merges.txt`)),
  );
  const promptIds = tokenizer.encode('How are you feeling today?');
  const loaded = await lib.loadGpt2Model(modelLocation, { device, threads: 1, cache: null });
  const model = loaded.model;
  try {
    const logits = await model.prefill([Int32Array.from(promptIds)], [new Uint8Array(promptIds.length).fill(1)]);
    let argmax = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[argmax]!) argmax = i;
    const logitsHead = Array.from(logits.subarray(0, 64));
    const maxNewTokens = device === 'webgpu' ? 3 : 8;
    const greedy = await lib.generate(model, [promptIds], { maxNewTokens });
    const sampled = await lib.generate(model, [promptIds], { maxNewTokens, doSample: true, topK: 50, seed: 5 });
    return {
      backend: loaded.runtime.backend,
      adapter: device === 'webgpu' ? await adapterName() : null,
      promptIds,
      logitsHead,
      argmax,
      greedy: greedy.sequences[0]!,
      sampled: sampled.sequences[0]!,
      decoded: tokenizer.decode(sampled.newTokens[0]!),
    };
  } finally {
    model.dispose();
  }
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
}

async function adapterName(): Promise<string> {
  const gpu = (navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: AdapterInfo } | null> } }).gpu;
  const info = (await gpu.requestAdapter())?.info ?? {};
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
}

/** The corpus slice every runtime trains on: the first `words` words of the built-in corpus. */
export async function corpusSlice(readFixture: ReadFixture, words = 1500): Promise<string> {
  const text = decoder.decode(await readFixture('corpus/pride-and-prejudice-volume-1.txt'));
  return text.split(/\s+/).slice(0, words).join(' ');
}

export interface ScenarioOptions {
  runtime: string;
  bundleUrl: string;
  readFixture: ReadFixture;
  /** The tiny GPT-2 folder as this runtime names it (a path, or a URL in a browser). */
  gpt2Location: string;
  gpt2Devices: Array<'wasm' | 'webgpu'>;
  kernels: Array<'simd' | 'relaxed'>;
}

export async function runScenario(options: ScenarioOptions): Promise<Outcome> {
  const { lib, timings } = await importBundle(options.bundleUrl);
  const phaseMs: Record<string, number> = {};
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await run();
    phaseMs[name] = Math.round(performance.now() - start);
    return value;
  };
  const corpus = await corpusSlice(options.readFixture);
  const rnn: RnnOutcome[] = [];
  for (const kernels of options.kernels) rnn.push(...(await timed(`rnn-${kernels}`, () => rnnScenario(lib, corpus, kernels))));
  const gpt2: Gpt2Outcome[] = [];
  for (const device of options.gpt2Devices) {
    gpt2.push(await timed(`gpt2-${device}`, () => gpt2Scenario(lib, options.readFixture, options.gpt2Location, device)));
  }
  return { runtime: options.runtime, timings, phaseMs, rnn, gpt2 };
}
