// The host side of the kernels: base64 decoding, build selection, both builds' GEMM against the
// scalar reference through the typed interface, and the arena's growth, views and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from '../src/wasm/base64.js';
import { relaxedSimdSupported } from '../src/wasm/builds.js';
import { instantiateKernels, instantiateSharedKernels, resolveVariant, type KernelExports, type KernelVariant } from '../src/wasm/kernels.js';
import { Arena, WASM32_MAX_BYTES } from '../src/wasm/arena.js';
import { Random } from '../src/util/random.js';

test('decodeBase64 decodes every padding case and rejects bad input', () => {
  const cases: [string, number[]][] = [
    ['', []], ['AA==', [0]], ['AAE=', [0, 1]], ['AAEC', [0, 1, 2]], ['/+8=', [255, 239]], ['aGVsbG8h', [...'hello!'].map((c) => c.charCodeAt(0))],
  ];
  for (const [text, bytes] of cases) assert.deepEqual([...decodeBase64(text)], bytes, text);
  assert.throws(() => decodeBase64('abc'), /multiple of 4, got 3/);
  assert.throws(() => decodeBase64('ab$d'), /invalid character "\$" at offset 2/);
});

test('build selection: auto prefers relaxed SIMD where validated; bad names are rejected', () => {
  assert.equal(resolveVariant('simd'), 'simd');
  assert.equal(resolveVariant('auto'), relaxedSimdSupported() ? 'relaxed' : 'simd');
  assert.throws(() => resolveVariant('fast' as never), /expected 'auto', 'simd' or 'relaxed', got "fast"/);
});

const variants: KernelVariant[] = relaxedSimdSupported() ? ['simd', 'relaxed'] : ['simd'];

// Typed against the interface, so a name missing from KernelExports does not compile.
const INTERFACE_NAMES: (keyof KernelExports)[] = [
  'memory', 'heap_base', 'gemm_scratch_floats', 'gemm_nn', 'gemm_nt', 'gemm_tn', 'gemm_packed_floats',
  'gemm_pack_nn', 'gemm_pack_nt', 'gemm_packed', 'recurrent_packed_floats', 'gemm_reference',
  'embedding_forward', 'embedding_backward', 'bias_forward', 'bias_backward', 'rnn_forward', 'rnn_backward',
  'lstm_forward', 'lstm_backward', 'gru_forward', 'gru_backward', 'xent_forward', 'xent_backward',
  'head_forward', 'head_backward', 'adam_step', 'adam_rows', 'sum_squares', 'scale', 'fma_peak',
  'threads_control_bytes', 'threads_configure', 'thread_run',
];

for (const variant of variants) {
  test(`${variant}: the typed interface covers exactly the module's exports`, async () => {
    const k = await instantiateKernels(variant);
    assert.deepEqual(Object.keys(k).sort(), [...INTERFACE_NAMES].sort());
    const threaded = await instantiateSharedKernels(variant);
    assert.deepEqual(Object.keys(threaded.kernels).sort(), [...INTERFACE_NAMES].sort());
    assert.equal(threaded.kernels.memory, threaded.memory);
  });
}

for (const variant of variants) {
  test(`${variant}: gemm in all three layouts matches the scalar reference at ragged sizes`, async () => {
    const k = await instantiateKernels(variant);
    const arena = new Arena(k, 'test');
    const scratch = arena.alloc('scratch', 'scratch', k.gemm_scratch_floats());
    const rng = new Random(7);
    // (M, K, N): tails in every dimension, two K blocks (256) and two N blocks (256).
    for (const [M, K, N] of [[3, 5, 7], [17, 259, 263], [33, 64, 10], [6, 513, 9]]) {
      for (const layout of ['nn', 'nt', 'tn'] as const) {
        const transA = layout === 'tn' ? 1 : 0;
        const transB = layout === 'nt' ? 1 : 0;
        const lda = transA ? M : K;
        const ldb = transB ? K : N;
        arena.resetActivations();
        const A = arena.alloc('A', 'activations', M * K);
        const B = arena.alloc('B', 'activations', K * N);
        const C = arena.alloc('C', 'activations', M * N);
        const R = arena.alloc('R', 'activations', M * N);
        for (const r of [A, B, C]) arena.f32(r).forEach((_, i, a) => { a[i] = rng.uniformRange(-1, 1); });
        arena.f32(R).set(arena.f32(C));
        k[`gemm_${layout}`](C.ptr, A.ptr, B.ptr, M, K, N, lda, ldb, N, 1, scratch.ptr);
        k.gemm_reference(R.ptr, A.ptr, B.ptr, M, K, N, lda, ldb, N, transA, transB, 1);
        const got = arena.f32(C), want = arena.f32(R);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        assert.ok(worst < 1e-5 * K, `${layout} ${M}x${K}x${N}: max difference ${worst}`);
      }
    }
  });
}

test('arena: aligned regions, views rebuilt after growth, data kept', async () => {
  const k = await instantiateKernels('simd');
  const arena = new Arena(k, 'Shrink the test.');
  const a = arena.alloc('a', 'params', 5);
  assert.equal(a.ptr % 64, 0);
  assert.ok(a.ptr >= k.heap_base());
  arena.f32(a).set([1, 2, 3, 4, 5]);
  const before = k.memory.buffer.byteLength;
  const big = arena.alloc('big', 'scratch', 4 * 2 ** 20);
  assert.ok(k.memory.buffer.byteLength > before, 'memory grew');
  assert.deepEqual([...arena.f32(a)], [1, 2, 3, 4, 5]);
  assert.equal(arena.f32(big).length, 4 * 2 ** 20);
  assert.ok(arena.peakBytes >= big.ptr + 16 * 2 ** 20);
  assert.throws(() => arena.alloc('a', 'params', 1), /region 'a' already exists/);
  arena.resetActivations();
  const act = arena.alloc('act', 'activations', 10);
  assert.throws(() => arena.alloc('late', 'params', 1), /fixed region 'late' cannot be allocated above activations; call resetActivations\(\) first/);
  // A fixed region that comes later takes the dropped activations' place; the next ones go above it.
  arena.resetActivations();
  const late = arena.alloc('late', 'grads', 3);
  assert.equal(late.ptr, act.ptr);
  arena.resetActivations();
  assert.equal(arena.alloc('act', 'activations', 10).ptr, late.ptr + 64);
  assert.throws(() => arena.region('nope'), /no region named 'nope'/);
});

test('arena: asking past 4 GiB says how much, the limit and what to shrink, and allocates nothing', async () => {
  const k = await instantiateKernels('simd');
  const arena = new Arena(k, 'Shrink vocabSize.');
  const have = k.memory.buffer.byteLength;
  assert.throws(() => arena.alloc('huge', 'params', WASM32_MAX_BYTES / 4), (err: Error) => {
    assert.match(err.message, /WASM memory cannot grow to 4096\.0 MiB for region 'huge'/);
    assert.match(err.message, /wasm32 memory is limited to 4 GiB/);
    assert.match(err.message, /Shrink vocabSize\./);
    return true;
  });
  assert.equal(k.memory.buffer.byteLength, have);
  assert.throws(() => arena.region('huge'), /no region/);
});

test('arena: requireRoom checks a whole layout against 4 GiB before growing the memory', async () => {
  const k = await instantiateKernels('simd');
  const arena = new Arena(k, 'Shrink vocabSize.');
  const have = k.memory.buffer.byteLength;
  const quarter = WASM32_MAX_BYTES / 16;
  // Each region alone fits; the four together end past 4 GiB by the alignment of the first.
  assert.throws(() => arena.requireRoom([quarter + 1, quarter, quarter, quarter], 'four regions', 'Use fewer.'), (err: Error) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /^four regions need 4096\.0 MiB of WASM memory, but wasm32 memory is limited to 4 GiB \(4294967296 bytes\)\. Use fewer\.$/);
    return true;
  });
  assert.equal(k.memory.buffer.byteLength, have);
  arena.requireRoom([65536, 16], 'two regions', 'Use fewer.');
  assert.ok(k.memory.buffer.byteLength >= arena.endAfter([65536, 16]));
  assert.equal(arena.peakBytes, arena.endAfter([]), 'requireRoom reserves no region');
});
