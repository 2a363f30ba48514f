// The package as users get it: `npm pack`, installed offline into an empty folder (no onnxruntime:
// it is an optional peer), then used from Node (import, TypeScript types, the `textloom` command), from
// esbuild bundles (Node and Chromium) and from Deno.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, recordPageErrors, startServer } from './runtimes/chromium.js';
import { DENO_PATH } from './runtimes/deno.js';
import { repoRoot } from './runtimes/paths.js';

const root = fileURLToPath(repoRoot);
/**
 * The npm that runs this test (`npm test` sets npm_execpath), else the one on PATH. Not whichever `npm`
 * comes first under `npm run`: node_modules/.bin holds an old npm 6 that a dev dependency pulls in.
 */
function npm(args: string[], options: { cwd: string }): string {
  const cli = process.env['npm_execpath'];
  return cli && /npm-cli\.js$/.test(cli)
    ? execFileSync(process.execPath, [cli, ...args], { ...options, encoding: 'utf8', stdio: 'pipe' })
    : execFileSync('npm', args, { ...options, encoding: 'utf8', stdio: 'pipe' });
}

/**
 * A short program that trains and samples through the installed package; prints one JSON line. The
 * plain SIMD kernels, so that Node without --experimental-wasm-relaxed-simd and Deno compute alike.
 */
const CONSUMER = `
import { RNNModel, WordTokenizer, splitValidation, train, generateText } from 'textloom';
const text = 'the cat sat on the mat and the dog sat on the log while the cat saw the dog '.repeat(40);
const tokenizer = WordTokenizer.fromCorpus(text);
const model = await RNNModel.create({ cell: 'gru', vocabSize: tokenizer.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 1 }, { seed: 1, kernels: 'simd' });
const { losses } = await train(model, splitValidation(Int32Array.from(tokenizer.encode(text)), 0.1), { epochs: 2, lr: 0.02, batchSize: 4, seqLen: 8, seed: 2 });
const { text: generated } = await generateText(model, tokenizer, 'the cat', { maxNewTokens: 8, doSample: true, seed: 3 });
console.log(JSON.stringify({ steps: losses.length, first: losses[0], last: losses.at(-1), generated }));
`;

/**
 * The README's programs (RNN training with progress, streamed generation and a continued state,
 * checkpoints, GPT-2 with download progress, streaming and chat, the TrainingWorker of web/README.md) as
 * a user's TypeScript names them. The `exact` lines fail where a type is looser than what it holds.
 */
const TYPED = `
import {
  RNNModel, WordTokenizer, splitValidation, train, generateText, modelContent, encodeCheckpoint, decodeCheckpoint,
  restoreModel, loadGpt2, Gpt2Chat, RNNChat, parseSafetensors, serializeSafetensors, TrainingWorker,
  type RNNCreateOptions, type TrainOptions, type TrainProgress, type TextGenerationOptions, type GenerationState,
  type GenerateOptions, type LoadGpt2Options, type DownloadProgress, type ParsedSafetensors, type TensorToWrite,
  type ModelSpec, type TrainingSpec, type GenerationSpec, type Backend, type ChatReply,
} from 'textloom';

declare const text: string;
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exact = <T extends true>(): T | undefined => undefined;

export async function rnn(): Promise<string> {
  const tokenizer = WordTokenizer.fromCorpus(text, { maxSize: 5000, minCount: 2 });
  const options: RNNCreateOptions = { seed: 1, kernels: 'simd' };
  const model = await RNNModel.create({ cell: 'lstm', vocabSize: tokenizer.vocabSize, embedSize: 64, hiddenSize: 128, numLayers: 1 }, options);
  const training: TrainOptions = {
    epochs: 3, lr: 0.005, batchSize: 16, seqLen: 32, clip: 1, seed: 2,
    onProgress: (p: TrainProgress) => console.log(p.type === 'step' ? p.etaMs : p.valLoss),
  };
  const { losses } = await train(model, splitValidation(Int32Array.from(tokenizer.encode(text)), 0.1), training);
  const generation: TextGenerationOptions = { maxNewTokens: 30, doSample: true, seed: 3, onText: (piece) => console.log(piece) };
  const result = await generateText(model, tokenizer, 'it is', generation);
  const state: GenerationState = result.state;
  await generateText(model, tokenizer, 'and then', { initialState: state });
  restoreModel(model, decodeCheckpoint(encodeCheckpoint(modelContent(model, model.config, { tokenizer: tokenizer.toJSON() }))));
  model.dispose();
  return String(losses[0]) + result.text;
}

export async function gpt2(): Promise<ChatReply> {
  const loading: LoadGpt2Options = { dtype: 'fp32', onProgress: (p: DownloadProgress) => console.log(p.file, p.loaded, p.total) };
  const gpt2 = await loadGpt2('./gpt2', loading);
  const backend: Backend = gpt2.backend;
  exact<Exactly<typeof gpt2.backend, 'wasm' | 'webgpu' | 'native'>>();
  const options: GenerateOptions = { maxLength: 50, numReturnSequences: 1, noRepeatNgramSize: 2, doSample: true, seed: 7 };
  const { texts } = await gpt2.generate('How are you feeling today?', options);
  for await (const piece of gpt2.stream(texts[0] ?? '', { maxNewTokens: 5 })) console.log(piece, backend);
  return new Gpt2Chat(gpt2, { preamble: "Hello, I'm an AI model. " }).say('Hello, how are you?');
}

export function safetensors(): ParsedSafetensors {
  const tensors = new Map<string, TensorToWrite>([['w', { shape: [2], data: new Float32Array([1, 2]) }]]);
  return parseSafetensors(serializeSafetensors(tensors));
}

export async function page(): Promise<string> {
  const worker = TrainingWorker.start();
  const model: ModelSpec = { cell: 'lstm', tokenizer: 'word', embedSize: 32, hiddenSize: 64, numLayers: 1 };
  const training: TrainingSpec = { epochs: 2, lr: 0.01, batchSize: 8, seqLen: 16 };
  const generation: GenerationSpec = { maxNewTokens: 30, doSample: true, seed: 42 };
  await worker.train(text, model, training, (p) => console.log(p.epoch));
  const { text: out } = await worker.generate('it is a truth', generation, (piece) => console.log(piece));
  worker.terminate();
  return out;
}

/** Options passed on from values that may be undefined, as a strict project's flags are. */
declare const flags: { seed?: number; threads?: number; maxNewTokens?: number; signal?: AbortSignal; onText?: (piece: string) => void };
export async function passedOn(): Promise<string> {
  const tokenizer = WordTokenizer.fromCorpus(text, { maxSize: flags.maxNewTokens, minCount: undefined });
  const model = await RNNModel.create({ cell: 'gru', vocabSize: tokenizer.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 1 },
    { seed: flags.seed, kernels: undefined, recompute: undefined, threads: flags.threads, splitThreshold: undefined, workerTimeoutMs: undefined });
  await train(model, splitValidation(Int32Array.from(tokenizer.encode(text)), 0.1), {
    epochs: 1, lr: 0.01, batchSize: 4, seqLen: 8, clip: undefined, weightDecay: undefined, lrSchedule: undefined, warmupSteps: undefined,
    validation: undefined, earlyStopping: { patience: 2, minDelta: undefined }, seed: flags.seed, signal: flags.signal, onProgress: undefined,
    resume: undefined,
  });
  const generation: TextGenerationOptions = {
    maxNewTokens: flags.maxNewTokens, doSample: undefined, temperature: undefined, topK: undefined, topP: undefined, seed: flags.seed,
    repetitionPenalty: undefined, noRepeatNgramSize: undefined, stop: undefined, onText: flags.onText, onWarning: undefined,
    signal: flags.signal, initialState: undefined, allowUnknown: undefined,
  };
  const { text: out } = await generateText(model, tokenizer, 'it is', generation);
  const chat = new RNNChat(model, tokenizer, { maxNewTokens: flags.maxNewTokens, seed: flags.seed });
  await chat.reply('hello', { onText: flags.onText, onWarning: undefined, signal: flags.signal });
  const loading: LoadGpt2Options = {
    dtype: undefined, layout: undefined, device: undefined, threads: flags.threads, onnxruntimeNode: undefined, hubUrl: undefined,
    revision: undefined, cache: undefined, onProgress: undefined, downloadAttempts: undefined, retryDelayMs: undefined,
    stallTimeoutMs: undefined, signal: flags.signal, onWarning: undefined,
  };
  const gpt2 = await loadGpt2('./gpt2', loading);
  const options: GenerateOptions = {
    maxLength: undefined, maxNewTokens: flags.maxNewTokens, minNewTokens: undefined, doSample: undefined, temperature: undefined,
    topK: undefined, topP: undefined, repetitionPenalty: undefined, noRepeatNgramSize: undefined, badWordsIds: undefined,
    numBeams: undefined, lengthPenalty: undefined, earlyStopping: undefined, numReturnSequences: undefined, eosTokenId: undefined,
    padTokenId: undefined, seed: flags.seed, random: undefined, signal: flags.signal, onToken: undefined, stoppingCriteria: undefined,
  };
  await gpt2.generate(out, options);
  const bpe = gpt2.tokenizer;
  bpe.decode(bpe.encode(out, { specialTokens: undefined }), { skipSpecialTokens: undefined });
  await new Gpt2Chat(gpt2, { preamble: undefined, generation: { maxNewTokens: flags.maxNewTokens }, stop: undefined }).say('Hello');
  const model2: ModelSpec = { cell: 'lstm', tokenizer: 'word', embedSize: 32, hiddenSize: 64, numLayers: 1, maxVocab: flags.maxNewTokens };
  const training: TrainingSpec = { epochs: 2, lr: 0.01, batchSize: 8, seqLen: 16, seed: flags.seed, clip: undefined };
  const worker = TrainingWorker.start();
  await worker.train(text, model2, training);
  const { text: sampled } = await worker.generate('it is', { maxNewTokens: flags.maxNewTokens, seed: flags.seed });
  return sampled;
}
`;

interface ConsumerResult {
  steps: number;
  first: number;
  last: number;
  generated: string;
}

describe('the npm package', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'textloom-pack-'));
  const app = join(work, 'app');
  let packed: { filename: string; files: Array<{ path: string }> };

  before(() => {
    const out = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root });
    packed = (JSON.parse(out) as (typeof packed)[])[0]!;
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], { cwd: app });
    writeFileSync(join(app, 'consumer.js'), CONSUMER);
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  test('holds the bundle, the worker, the CLI, the types and the corpus, and no sources or tests', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of ['dist/textloom.js', 'dist/worker.js', 'dist/cli.js', 'dist/textloom.d.ts', 'dist/types/index.d.ts', 'package.json']) {
      assert.ok(paths.includes(needed), `${needed} is not in the package`);
    }
    assert.ok(paths.some((p) => p.startsWith('corpus/') && p.endsWith('.txt')), 'the built-in corpus is not in the package');
    assert.deepEqual(paths.filter((p) => /^(src|test|build|assembly|web|bench)\//.test(p)), []);
  });

  test('installs without onnxruntime: it is an optional peer', () => {
    assert.ok(existsSync(join(app, 'node_modules/textloom/dist/textloom.js')));
    assert.ok(!existsSync(join(app, 'node_modules/onnxruntime-web')), 'onnxruntime-web was installed');
  });

  test('Node imports it and trains and generates', () => {
    const out = execFileSync(process.execPath, ['consumer.js'], { cwd: app, encoding: 'utf8' });
    const result = JSON.parse(out) as ConsumerResult;
    assert.ok(result.steps > 10 && result.last < result.first, out);
    assert.ok(result.generated.split(' ').length >= 4, out);
  });

  test('TypeScript compiles the README programs against the shipped types in strict projects of every module resolution, with and without the DOM library, without onnxruntime and without skipLibCheck', () => {
    writeFileSync(join(app, 'typed.ts'), TYPED);
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const strict = ['--noEmit', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--skipLibCheck', 'false', '--target', 'es2022', '--types', ''];
    // The last: a Node project, with Node's types and no DOM library.
    const nodeOnly = ['--lib', 'es2023', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')];
    for (const [module, resolution, extra] of [['node16', 'node16', []], ['nodenext', 'nodenext', []], ['esnext', 'bundler', []], ['nodenext', 'nodenext', nodeOnly]] as const) {
      try {
        execFileSync(process.execPath, [tsc, ...strict, ...extra, '--module', module, '--moduleResolution', resolution, 'typed.ts'], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        assert.fail(`moduleResolution ${resolution} ${extra.join(' ')}:\n${(e as { stdout: string }).stdout}`);
      }
    }
  });

  test('the textloom command: --help, then a tiny train and generate', () => {
    const bin = join(app, 'node_modules/.bin/textloom');
    assert.match(execFileSync(bin, ['--help'], { encoding: 'utf8' }), /^Usage: textloom <command>/);
    const corpus = join(app, 'corpus.txt');
    writeFileSync(corpus, 'it is a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife '.repeat(30));
    const model = join(app, 'model.safetensors');
    execFileSync(bin, ['train', corpus, '-o', model, '--cell', 'rnn', '--embed', '8', '--hidden', '16', '--epochs', '1', '--batch', '4', '--seq', '8', '--json'], {
      stdio: 'pipe',
    });
    const generated = JSON.parse(execFileSync(bin, ['generate', model, 'it is', '-n', '6', '--sample', '--seed', '1', '--json'], { encoding: 'utf8' })) as {
      text: string;
    };
    assert.ok(generated.text.split(' ').length >= 3, JSON.stringify(generated));
  });

  test('the textloom command finds its built-in corpus and its version inside the installed package', () => {
    const bin = join(app, 'node_modules/.bin/textloom');
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }), `textloom ${version}\n`);
    const model = join(app, 'builtin.safetensors');
    const lines = execFileSync(bin, ['train', '-o', model, '--cell', 'rnn', '--embed', '8', '--hidden', '16', '--epochs', '1', '--batch', '64', '--seq', '16', '--vocab-size', '300', '--json'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    }).trim().split('\n').map((l) => JSON.parse(l) as { type: string; steps?: number; reason?: string; kernels?: string });
    const result = lines.find((l) => l.type === 'result');
    assert.equal(result?.reason, 'completed', JSON.stringify(lines.at(-1)));
    // Started without --experimental-wasm-relaxed-simd, the command turns it on for the faster kernels.
    assert.equal(result.kernels, 'relaxed');
    assert.ok(result!.steps! > 10, JSON.stringify(result));
    const info = JSON.parse(execFileSync(bin, ['info', model, '--json'], { encoding: 'utf8' })) as { corpus: string };
    assert.match(info.corpus, /Pride and Prejudice/);
  });

  test('bundlers keep only what a consumer uses: sideEffects and pure module-level tables', async () => {
    const { build } = await import('esbuild');
    const bundle = async (code: string): Promise<string> => {
      const entry = join(app, `entry-${code.length}.js`);
      writeFileSync(entry, code);
      const result = await build({
        // Minified, so that the size below does not depend on where the test runs (an unminified bundle
        // holds its input paths in comments).
        entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'error',
        external: ['onnxruntime-web', 'onnxruntime-node', 'node:*'],
      });
      return result.outputFiles[0]!.text;
    };
    assert.equal(await bundle("import 'textloom';\n"), '', 'importing textloom for nothing keeps code');
    const one = await bundle("import { Random } from 'textloom';\nconsole.log(new Random(1).uniform());\n");
    assert.match(one, /class/);
    assert.doesNotMatch(one, /AGFzbQ/, 'the kernels came along with Random');
    assert.doesNotMatch(one, /worker_threads|utf-16le/, 'module-level code of other modules came along with Random');
    // Random itself minifies to about 1.5 KiB.
    assert.ok(one.length < 2 * 1024, `Random alone bundles to ${one.length} bytes`);
  });

  test("esbuild bundles a program that imports 'textloom' for the browser and for Node without onnxruntime-web, and the bundles run", async () => {
    const { build } = await import('esbuild');
    // As a user runs it: no externals, no plugins, only the platform; every warning would be the user's to
    // puzzle over. Entries are { output name: input }, written to out/.
    const bundle = async (entryPoints: Record<string, string>, platform: 'browser' | 'node', nodePaths: string[] = []): Promise<string> => {
      const result = await build({ entryPoints, outdir: join(app, 'out'), absWorkingDir: app, bundle: true, format: 'esm', platform, nodePaths, logLevel: 'silent' });
      assert.deepEqual([...result.errors, ...result.warnings], [], `${Object.values(entryPoints).join(', ')} for ${platform}`);
      return readFileSync(join(app, 'out', `${Object.keys(entryPoints)[0]}.js`), 'utf8');
    };
    const fromNode = execFileSync(process.execPath, ['consumer.js'], { cwd: app, encoding: 'utf8' });
    await bundle({ 'node-consumer': './consumer.js' }, 'node');
    assert.equal(execFileSync(process.execPath, ['out/node-consumer.js'], { cwd: app, encoding: 'utf8' }), fromNode);

    // Where onnxruntime-web can be found (the repository's), a program that only trains RNNs still leaves it out.
    const withOrt = [join(root, 'node_modules')];
    assert.doesNotMatch(await bundle({ consumer: './consumer.js' }, 'browser', withOrt), /onnxruntime/);
    // web/README.md's TrainingWorker, with the worker bundled as a second entry beside the page's script.
    writeFileSync(join(app, 'page-worker.js'), `
      import { TrainingWorker } from 'textloom';
      const worker = TrainingWorker.start();
      const text = 'the cat sat on the mat and the dog sat on the log '.repeat(20);
      const { steps } = await worker.train(text, { cell: 'gru', tokenizer: 'word', embedSize: 8, hiddenSize: 16, numLayers: 1 }, { epochs: 1, lr: 0.02, batchSize: 4, seqLen: 8 });
      const { text: generated } = await worker.generate('the cat', { maxNewTokens: 6, seed: 1 });
      console.log(JSON.stringify({ steps, generated }));
    `);
    await bundle({ 'page-worker': './page-worker.js', worker: 'textloom/worker.js' }, 'browser');
    const server = await startServer({ root: app });
    const browser = await launchChromium();
    const run = async (script: string): Promise<string> => {
      const page = await browser.newPage();
      const errors = recordPageErrors(page);
      const logged = new Promise<string>((resolve) => page.on('console', (m) => m.type() === 'log' && resolve(m.text())));
      writeFileSync(join(app, `${script}.html`), `<!doctype html><script type="module" src="out/${script}.js"></script>\n`);
      await page.goto(`${server.origin}/${script}.html`);
      const line = await logged;
      assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), [], script);
      return line;
    };
    try {
      assert.equal(await run('consumer'), fromNode.trim());
      const trained = JSON.parse(await run('page-worker')) as { steps: number; generated: string };
      assert.ok(trained.steps > 5 && trained.generated.split(' ').length >= 3, JSON.stringify(trained));
    } finally {
      await browser.close();
      server.stop();
    }

    // GPT-2 takes onnxruntime-web into the bundle where it is installed, and without it the bundle still
    // builds, and loading a model says how to install it.
    writeFileSync(join(app, 'gpt2.js'), "import { loadGpt2 } from 'textloom';\nawait loadGpt2(process.argv[2]).catch((e) => console.log(`${e.name}: ${e.message}`));\n");
    assert.match(await bundle({ 'gpt2-ort': './gpt2.js' }, 'node', withOrt), /onnxruntime-web\/dist\/ort\.node/);
    await bundle({ gpt2: './gpt2.js' }, 'node');
    const loaded = execFileSync(process.execPath, ['out/gpt2.js', fileURLToPath(new URL('test/fixtures/gpt2-tiny', repoRoot))], { cwd: app, encoding: 'utf8' });
    assert.match(loaded, /^RuntimeError: GPT-2 runs on onnxruntime-web, an optional peer dependency, .*npm install onnxruntime-web/);
  });

  test('Deno type-checks the README programs against the types it finds in node_modules', () => {
    writeFileSync(join(app, 'typed.ts'), TYPED);
    execFileSync(DENO_PATH, ['check', 'typed.ts'], { cwd: app, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  });

  test('Deno imports it from node_modules and trains and generates', () => {
    const out = execFileSync(DENO_PATH, ['run', '--allow-read', '--allow-env', '--allow-sys', 'consumer.js'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const result = JSON.parse(out) as ConsumerResult;
    const fromNode = JSON.parse(execFileSync(process.execPath, ['consumer.js'], { cwd: app, encoding: 'utf8' })) as ConsumerResult;
    assert.deepEqual(result, fromNode);
  });
});
