// Kernel benchmark: GEMM GFLOP/s on the training shapes next to a pure multiply-add peak, training
// tokens/s of config M per cell, and the peak WASM memory of config L. One core, best of several runs;
// `threads` probes whether a second thread on shared memory speeds the GEMM up on this machine.
// `train-threads` times config L LSTM training on 1 and 2 threads (RNNModel threads option), interleaved.
// Run with `npm run bench:kernels [gemm|train|generate|memory|threads|train-threads]` (relaxed SIMD needs
// node --experimental-wasm-relaxed-simd).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Arena } from '../src/wasm/arena.js';
import { relaxedSimdSupported } from '../src/wasm/builds.js';
import { instantiateKernels, type KernelVariant } from '../src/wasm/kernels.js';
import { RNNModel, type CellType, type ModelConfig } from '../src/rnn/model.js';
import { Random } from '../src/util/random.js';

const REPEATS = 5;
const CELLS: CellType[] = ['rnn', 'lstm', 'gru'];

/** Best time in ms over `repeats` runs; `fn` may return its own timing to leave out its set-up. */
function best(fn: () => number | void, repeats = REPEATS): number {
  let bestMs = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const own = fn();
    bestMs = Math.min(bestMs, typeof own === 'number' ? own : performance.now() - t0);
  }
  return bestMs;
}

interface GemmCase { label: string; layout: 'nn' | 'nt' | 'tn'; M: number; K: number; N: number }

// The output layer of a word-level model (rows T*B = 2048, H = 256, V = 10000) and a recurrent step.
const GEMMS: GemmCase[] = [
  { label: 'logits = h W^T      2048x256x10000', layout: 'nt', M: 2048, K: 256, N: 10000 },
  { label: 'dW = dlogits^T h   10000x2048x256', layout: 'tn', M: 10000, K: 2048, N: 256 },
  { label: 'dh = dlogits W      2048x10000x256', layout: 'nn', M: 2048, K: 10000, N: 256 },
  { label: 'step h W_hh^T         32x256x256', layout: 'nt', M: 32, K: 256, N: 256 },
];

// The peak is re-measured between GEMM runs and the best of each is kept, so that both figures come
// from the same stretch of time on a machine whose load may change.
async function gemmTable(variant: KernelVariant): Promise<void> {
  const k = await instantiateKernels(variant);
  const iterations = 5_000_000;
  let peak = 0;
  const measurePeak = () => {
    const t0 = performance.now();
    k.fma_peak(iterations);
    peak = Math.max(peak, (96 * iterations) / (performance.now() - t0) / 1e6);
  };
  console.log(`\n[${variant}] GEMM, one core (GFLOP/s, best of ${REPEATS}, next to the best FMA-loop peak seen around it)`);
  const arena = new Arena(k, 'benchmark buffers');
  const rng = new Random(1);
  const scratch = arena.alloc('scratch', 'scratch', k.gemm_scratch_floats());
  const size = Math.max(...GEMMS.map((g) => Math.max(g.M * g.K, g.K * g.N, g.M * g.N)));
  const [A, B, C] = ['A', 'B', 'C'].map((n) => arena.alloc(n, 'scratch', size));
  for (const r of [A, B]) {
    const v = arena.f32(r);
    for (let i = 0; i < v.length; i++) v[i] = rng.uniformRange(-1, 1);
  }
  for (const g of GEMMS) {
    const lda = g.layout === 'tn' ? g.M : g.K;
    const ldb = g.layout === 'nt' ? g.K : g.N;
    const fn = { nn: k.gemm_nn, nt: k.gemm_nt, tn: k.gemm_tn }[g.layout];
    const reps = g.M * g.K * g.N > 1e8 ? 1 : 200;
    peak = 0;
    const ms = best(() => {
      measurePeak();
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) fn(C.ptr, A.ptr, B.ptr, g.M, g.K, g.N, lda, ldb, g.N, 0, scratch.ptr);
      return performance.now() - t0;
    }) / reps;
    measurePeak();
    const gflops = (2 * g.M * g.K * g.N) / ms / 1e6;
    console.log(`  ${g.label}  ${g.layout}  ${gflops.toFixed(1).padStart(6)} GFLOP/s  peak ${peak.toFixed(1).padStart(5)}  ${(100 * gflops / peak).toFixed(0).padStart(3)}% of peak  (${ms.toFixed(2)} ms)`);
  }
}

function randomIds(rng: Random, n: number, V: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(V));
}

async function trainingRate(variant: KernelVariant): Promise<void> {
  const T = 64, B = 32;
  console.log(`\n[${variant}] config M training step (vocab 10000, embed 128, hidden 256, 2 layers, seq ${T}, batch ${B})`);
  for (const cell of CELLS) {
    const model = await RNNModel.create({ cell, vocabSize: 10000, embedSize: 128, hiddenSize: 256, numLayers: 2 }, { kernels: variant });
    const rng = new Random(2);
    const inputs = randomIds(rng, T * B, 10000);
    const targets = randomIds(rng, T * B, 10000);
    const state = model.createState(B);
    const ms = best(() => { model.trainStep(inputs, targets, T, B, state, { lr: 1e-3, clipNorm: 1 }); }, 3);
    console.log(`  ${cell.padEnd(4)}  ${((T * B) / (ms / 1000)).toFixed(0).padStart(6)} tokens/s  (${ms.toFixed(0)} ms per step, ${(model.memoryBytes / 2 ** 20).toFixed(1)} MiB)`);
    model.dispose();
  }
}

async function generationRate(variant: KernelVariant): Promise<void> {
  console.log(`\n[${variant}] config M greedy generation, batch 1 (step() per token)`);
  for (const cell of CELLS) {
    const model = await RNNModel.create({ cell, vocabSize: 10000, embedSize: 128, hiddenSize: 256, numLayers: 2 }, { kernels: variant });
    const state = model.createState(1);
    let token = Int32Array.of(1);
    const tokens = 200;
    const ms = best(() => {
      for (let i = 0; i < tokens; i++) {
        const logits = model.step(token, state);
        let top = 0;
        for (let v = 1; v < logits.length; v++) if (logits[v] > logits[top]) top = v;
        token = Int32Array.of(top);
      }
    }, 3);
    console.log(`  ${cell.padEnd(4)}  ${(tokens / (ms / 1000)).toFixed(0).padStart(6)} tokens/s`);
    model.dispose();
  }
}

async function memoryOfL(variant: KernelVariant): Promise<void> {
  const T = 64, B = 64;
  console.log(`\n[${variant}] config L peak WASM memory (vocab 30000, embed 256, hidden 512, 2 layers, seq ${T}, batch ${B})`);
  for (const cell of CELLS) {
    const config: ModelConfig = { cell, vocabSize: 30000, embedSize: 256, hiddenSize: 512, numLayers: 2 };
    const model = await RNNModel.create(config, { kernels: variant });
    const reserved = model.reserveTraining(T, B);
    let timing = '';
    if (cell === 'lstm') {
      // One real step of the largest cell: its peak must be what the layout reserved.
      const rng = new Random(3);
      const t0 = performance.now();
      model.trainStep(randomIds(rng, T * B, 30000), randomIds(rng, T * B, 30000), T, B, model.createState(B), { lr: 1e-3 });
      const ms = performance.now() - t0;
      timing = `  (one step ${ms.toFixed(0)} ms, ${((T * B) / (ms / 1000)).toFixed(0)} tokens/s; peak after it ${(model.memoryBytes / 2 ** 20).toFixed(1)} MiB)`;
    }
    console.log(`  ${cell.padEnd(4)}  ${(reserved / 2 ** 20).toFixed(1)} MiB${timing}`);
    model.dispose();
  }
}

// A worker that instantiates the same module on the same shared memory, waits for a task in the
// control block (word 0: task counter, word 1: tasks done, words 2..: gemm_nt arguments), runs it.
const GEMM_WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
for (let seen = 0; ; ) {
  Atomics.wait(control, 0, seen);
  seen = Atomics.load(control, 0);
  const a = control.slice(2, 13);
  if (a[3] > 0) k.gemm_nt(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
  Atomics.store(control, 1, seen);
  Atomics.notify(control, 1);
}`;

/** One vs two threads on the same GEMMs, interleaved: the second thread takes the lower half of the
 *  rows. Reports wall times, the process CPU time per wall time during the two-thread runs (near 2
 *  only if a second core was free) and the round trip of an empty task (the cost of one barrier). */
async function threadScaling(): Promise<void> {
  const dir = mkdtempSync(`${tmpdir()}/textloom-threads-`);
  const asc = fileURLToPath(new URL('../../node_modules/assemblyscript/bin/asc.js', import.meta.url));
  const entry = fileURLToPath(new URL('../../assembly/index.ts', import.meta.url));
  execFileSync(process.execPath, [asc, entry, '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd,threads',
    '--importMemory', '--sharedMemory', '--initialMemory', '4000', '--maximumMemory', '16384', '-o', `${dir}/kernels.wasm`]);
  const module = new WebAssembly.Module(readFileSync(`${dir}/kernels.wasm`));
  const memory = new WebAssembly.Memory({ initial: 4000, maximum: 16384, shared: true });
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as
    { heap_base(): number; gemm_scratch_floats(): number; gemm_nt(...args: number[]): void };
  const control = new Int32Array(new SharedArrayBuffer(16 * 4));
  const worker = new Worker(GEMM_WORKER, { eval: true, workerData: { module, memory, control } });
  const post = (args: number[]): number => {
    control.set(args, 2);
    const task = Atomics.add(control, 0, 1) + 1;
    Atomics.notify(control, 0);
    return task;
  };
  const join = (task: number): void => {
    for (let done = Atomics.load(control, 1); done !== task; done = Atomics.load(control, 1)) Atomics.wait(control, 1, done);
  };
  join(post(new Array(11).fill(0)));
  console.log(`\n[simd, shared memory] GEMM C = A B^T on 1 and 2 threads (median of 7 interleaved runs; ${availableParallelism()} cores)`);
  let top = (k.heap_base() + 63) & ~63;
  const f32 = new Float32Array(memory.buffer);
  const alloc = (n: number): number => {
    const p = top;
    top += (n * 4 + 63) & ~63;
    for (let i = 0; i < n; i++) f32[p / 4 + i] = Math.sin(i * 1.7);
    return p;
  };
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
  for (const [M, K, N, reps] of [[2048, 256, 10000, 1], [209, 256, 10000, 4], [32, 256, 1024, 200]]) {
    const A = alloc(M * K), B = alloc(N * K), C = alloc(M * N);
    const s0 = alloc(k.gemm_scratch_floats()), s1 = alloc(k.gemm_scratch_floats());
    const half = (M >> 1) & ~3;
    const runs: Array<() => void> = [
      () => k.gemm_nt(C, A, B, M, K, N, K, K, N, 0, s0),
      () => {
        const task = post([C + half * N * 4, A + half * K * 4, B, M - half, K, N, K, K, N, 0, s1]);
        k.gemm_nt(C, A, B, half, K, N, K, K, N, 0, s0);
        join(task);
      },
    ];
    const wall: number[][] = [[], []];
    const cpuPerWall: number[] = [];
    for (let round = 0; round < 7; round++) {
      runs.forEach((run, t) => {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) run();
        const ms = performance.now() - t0;
        wall[t].push(ms / reps);
        if (t === 1) {
          const cpu = process.cpuUsage(cpu0);
          cpuPerWall.push((cpu.user + cpu.system) / 1000 / ms);
        }
      });
    }
    const [one, two] = wall.map(median);
    console.log(`  ${`${M}x${K}x${N}`.padEnd(15)}  1 thread ${one.toFixed(2).padStart(7)} ms  2 threads ${two.toFixed(2).padStart(7)} ms  ` +
      `speedup ${(one / two).toFixed(2)}  (process CPU / wall during 2 threads: ${median(cpuPerWall).toFixed(2)})`);
  }
  const trips = 2000;
  const t0 = performance.now();
  for (let i = 0; i < trips; i++) join(post([0, 0, 0, 0]));
  console.log(`  empty task round trip ${(((performance.now() - t0) / trips) * 1000).toFixed(1)} us`);
  await worker.terminate();
}

/** Config L LSTM training steps on 1 and 2 threads, interleaved after a warm-up step each; the
 *  process CPU time per wall time during the 2-thread steps says whether a second core was free. */
async function threadedTraining(): Promise<void> {
  const T = 64, B = 64, V = 30000, rounds = 3;
  const config: ModelConfig = { cell: 'lstm', vocabSize: V, embedSize: 256, hiddenSize: 512, numLayers: 2 };
  console.log(`\n[auto] config L LSTM training step on 1 and 2 threads (${rounds} interleaved rounds after a warm-up; ${availableParallelism()} cores)`);
  const models = [await RNNModel.create(config, { seed: 1 }), await RNNModel.create(config, { seed: 1, threads: 2 })];
  const rng = new Random(4);
  const batches = Array.from({ length: rounds + 1 }, () => [randomIds(rng, T * B, V), randomIds(rng, T * B, V)]);
  const states = models.map((m) => m.createState(B));
  const wall: number[][] = [[], []];
  const cpuPerWall: number[] = [];
  const losses: number[][] = [[], []];
  for (let round = 0; round <= rounds; round++) {
    models.forEach((model, t) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const { loss } = model.trainStep(batches[round][0], batches[round][1], T, B, states[t], { lr: 1e-3, clipNorm: 1 });
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      losses[t].push(loss);
      if (round === 0) return;
      wall[t].push(ms);
      if (t === 1) cpuPerWall.push((cpu.user + cpu.system) / 1000 / ms);
    });
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
  const [one, two] = wall.map(median);
  console.log(`  1 thread ${one.toFixed(0)} ms/step (${((T * B) / (one / 1000)).toFixed(0)} tokens/s)  2 threads ${two.toFixed(0)} ms/step ` +
    `(${((T * B) / (two / 1000)).toFixed(0)} tokens/s)  speedup ${(one / two).toFixed(2)}  ` +
    `(process CPU / wall during 2 threads: ${median(cpuPerWall).toFixed(2)}; losses equal: ${losses[0].every((l, i) => l === losses[1][i])})`);
  console.log(`  per step, 1 thread: ${wall[0].map((m) => m.toFixed(0)).join(', ')} ms; 2 threads: ${wall[1].map((m) => m.toFixed(0)).join(', ')} ms`);
  models.forEach((m) => m.dispose());
}

const variants: KernelVariant[] = relaxedSimdSupported() ? ['simd', 'relaxed'] : ['simd'];
const only = process.argv[2];
for (const variant of variants) {
  if (!only || only === 'gemm') await gemmTable(variant);
}
for (const variant of variants) {
  if (!only || only === 'train') await trainingRate(variant);
}
for (const variant of variants) {
  if (!only || only === 'generate') await generationRate(variant);
}
if (!only || only === 'memory') await memoryOfL(variants[variants.length - 1]);
if (!only || only === 'threads') await threadScaling();
if (!only || only === 'train-threads') await threadedTraining();
