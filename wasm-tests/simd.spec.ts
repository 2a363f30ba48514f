// Every SIMD kernel against a scalar reference, at sizes that are not multiples of 4, of the 4 x 8
// register block or of the 256 x 256 packing block, and that span several loop iterations.
import { gemm_nn, gemm_nt, gemm_tn, gemm_reference, gemm_scratch_floats, gemm_packed_floats, gemm_pack_nn, gemm_pack_nt, gemm_packed } from '../assembly/gemm';
import { embedding_forward, embedding_backward } from '../assembly/embedding';
import { bias_forward, bias_backward } from '../assembly/bias';
import { adam_step, adam_rows, sum_squares, scale } from '../assembly/adam';
import { expv, sigmoidv, tanhv, maxOf, sumExp } from '../assembly/simd';
import { randomF32, zerosF32, copyF32, idsI32, f32At, maxRelDiff, denseFromRows } from './util';

const scratch = zerosF32(gemm_scratch_floats());

// Runs one layout against the reference with padded leading dimensions; returns the worst difference.
function gemmCase(layout: i32, M: i32, K: i32, N: i32, accumulate: i32): f64 {
  const transA = layout == 2 ? 1 : 0;
  const transB = layout == 1 ? 1 : 0;
  const lda = (transA ? M : K) + 3;
  const ldb = (transB ? K : N) + 5;
  const ldc = N + 2;
  const A = randomF32((transA ? K : M) * lda);
  const B = randomF32((transB ? N : K) * ldb);
  const C = randomF32(M * ldc);
  const Cref = copyF32(C, M * ldc);
  if (layout == 0) gemm_nn(C, A, B, M, K, N, lda, ldb, ldc, accumulate, scratch);
  if (layout == 1) gemm_nt(C, A, B, M, K, N, lda, ldb, ldc, accumulate, scratch);
  if (layout == 2) gemm_tn(C, A, B, M, K, N, lda, ldb, ldc, accumulate, scratch);
  gemm_reference(Cref, A, B, M, K, N, lda, ldb, ldc, transA, transB, accumulate);
  // Columns past N (the padding) must be untouched: compare the whole padded rows.
  const d = maxRelDiff(C, Cref, M * ldc) / <f64>max(K, 1);
  heap.free(A); heap.free(B); heap.free(C); heap.free(Cref);
  return d;
}

// (M, K, N) triples: single elements, ragged tails, two K blocks, two N blocks, K = 0.
const SIZES: StaticArray<i32> = [1, 1, 1, 5, 7, 9, 13, 300, 21, 6, 513, 270, 9, 3, 517, 0, 5, 3];

function checkLayout(layout: i32): void {
  for (let s = 0; s < SIZES.length; s += 3) {
    for (let acc = 0; acc < 2; acc++) {
      const d = gemmCase(layout, SIZES[s], SIZES[s + 1], SIZES[s + 2], acc);
      expect<f64>(d).toBeLessThan(1e-6, 'M=' + SIZES[s].toString() + ' K=' + SIZES[s + 1].toString() +
        ' N=' + SIZES[s + 2].toString() + ' accumulate=' + acc.toString());
    }
  }
}

// Packing B once must give exactly what the unpacked call gives, in both packing layouts.
function checkPacked(transB: i32): void {
  for (let s = 0; s < SIZES.length; s += 3) {
    const M = SIZES[s], K = SIZES[s + 1], N = SIZES[s + 2];
    const lda = K + 1, ldb = (transB ? K : N) + 2;
    const A = randomF32(M * lda), B = randomF32((transB ? N : K) * ldb);
    const C = randomF32(M * N);
    const Cpacked = copyF32(C, M * N);
    const P = zerosF32(gemm_packed_floats(K, N));
    if (transB) {
      gemm_nt(C, A, B, M, K, N, lda, ldb, N, 1, scratch);
      gemm_pack_nt(P, B, K, N, ldb);
    } else {
      gemm_nn(C, A, B, M, K, N, lda, ldb, N, 1, scratch);
      gemm_pack_nn(P, B, K, N, ldb);
    }
    gemm_packed(Cpacked, A, P, M, K, N, lda, N, 1);
    expect<f64>(maxRelDiff(Cpacked, C, M * N)).toBe(0, 'M=' + M.toString() + ' K=' + K.toString() + ' N=' + N.toString());
    heap.free(A); heap.free(B); heap.free(C); heap.free(Cpacked); heap.free(P);
  }
}

describe('gemm', () => {
  it('pre-packed B (from B and from B^T) equals the unpacked product bit for bit', () => { checkPacked(0); checkPacked(1); });
  it('A B matches the scalar reference', () => { checkLayout(0); });
  it('A B^T matches the scalar reference', () => { checkLayout(1); });
  it('A^T B matches the scalar reference', () => { checkLayout(2); });
});

describe('embedding', () => {
  it('looks up and scatter-adds rows, repeated ids included', () => {
    const V = 6, E = 11, N = 17;
    const table = randomF32(V * E);
    const ids = idsI32(N, V);
    const out = zerosF32(N * E);
    embedding_forward(out, table, ids, N, E);
    for (let n = 0; n < N; n++) {
      const id = load<i32>(ids + <usize>n * 4);
      for (let e = 0; e < E; e++) expect<f32>(f32At(out, n * E + e)).toBe(f32At(table, id * E + e));
    }
    // Ids from the first V - 2 only: the last two rows are untouched.
    const used = idsI32(N, V - 2);
    const expected = zerosF32(V * E);
    const dout = randomF32(N * E);
    const seen = new StaticArray<bool>(V);
    for (let n = 0; n < N; n++) {
      const id = load<i32>(used + <usize>n * 4);
      seen[id] = true;
      for (let e = 0; e < E; e++) {
        const p = expected + <usize>(id * E + e) * 4;
        store<f32>(p, load<f32>(p) + f32At(dout, n * E + e));
      }
    }
    let distinct = 0;
    for (let id = 0; id < V; id++) if (seen[id]) distinct++;
    const rows = randomF32(N * E); // garbage in: every touched row is overwritten
    const slot = heap.alloc(<usize>V * 4);
    const touched = embedding_backward(rows, slot, dout, used, N, V, E);
    expect<i32>(touched).toBe(distinct);
    let next = 0;
    for (let id = 0; id < V; id++) expect<i32>(load<i32>(slot + <usize>id * 4)).toBe(seen[id] ? next++ : -1);
    expect<f64>(maxRelDiff(denseFromRows(rows, slot, V, E), expected, V * E)).toBe(0);
  });
});

describe('bias', () => {
  it('broadcasts over rows and sums columns at a padded stride', () => {
    // 39 columns: two 16-column blocks, one 4-column group and a scalar tail.
    const M = 9, N = 39, ld = 41;
    const C = randomF32(M * ld);
    const expected = copyF32(C, M * ld);
    const b = randomF32(N);
    bias_forward(C, b, M, N, ld);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      const p = expected + <usize>(i * ld + j) * 4;
      store<f32>(p, load<f32>(p) + f32At(b, j));
    }
    expect<f64>(maxRelDiff(C, expected, M * ld)).toBe(0);
    const db = randomF32(N);
    const dbRef = copyF32(db, N);
    bias_backward(db, C, M, N, ld);
    // Every column sums its rows in order, as this loop does, so the result is exact.
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let i = 0; i < M; i++) s += f32At(C, i * ld + j);
      store<f32>(dbRef + <usize>j * 4, f32At(dbRef, j) + s);
    }
    expect<f64>(maxRelDiff(db, dbRef, N)).toBe(0);
  });
});

describe('adam and norms', () => {
  it('adam_step matches the PyTorch formula in float64 (Adam L2 and AdamW decay)', () => {
    const n = 23;
    for (let mode = 0; mode < 2; mode++) {
      const p = randomF32(n), g = randomF32(n), m = randomF32(n, 0.1), v = zerosF32(n);
      for (let i = 0; i < n; i++) store<f32>(v + <usize>i * 4, f32At(m, i) * f32At(m, i));
      const p0 = copyF32(p, n), m0 = copyF32(m, n), v0 = copyF32(v, n);
      const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1, step = 3.0;
      const bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
      const l2: f64 = mode == 0 ? wd : 0;
      const decay: f64 = mode == 1 ? 1 - lr * wd : 1;
      adam_step(p, m, v, g, n, <f32>b1, <f32>b2, <f32>(lr / bc1), <f32>Math.sqrt(bc2), <f32>eps, <f32>l2, <f32>decay);
      for (let i = 0; i < n; i++) {
        const gi = <f64>f32At(g, i) + l2 * <f64>f32At(p0, i);
        const mi = b1 * <f64>f32At(m0, i) + (1 - b1) * gi;
        const vi = b2 * <f64>f32At(v0, i) + (1 - b2) * gi * gi;
        const pi = <f64>f32At(p0, i) * decay - (lr / bc1) * mi / (Math.sqrt(vi) / Math.sqrt(bc2) + eps);
        expect<f64>(Math.abs(<f64>f32At(p, i) - pi)).toBeLessThan(1e-6);
        expect<f64>(Math.abs(<f64>f32At(m, i) - mi)).toBeLessThan(1e-6);
        expect<f64>(Math.abs(<f64>f32At(v, i) - vi)).toBeLessThan(1e-6);
      }
    }
  });

  it('adam_rows with touched rows equals adam_step with the dense gradient, bit for bit', () => {
    // E = 7: each row ends in a scalar tail, as a dense call's lanes never line up with rows.
    const V = 9, E = 7, N = 12;
    const ids = idsI32(N, V - 3);
    const dout = randomF32(N * E);
    const rows = zerosF32(N * E);
    const slot = heap.alloc(<usize>V * 4);
    embedding_backward(rows, slot, dout, ids, N, V, E);
    const dense = denseFromRows(rows, slot, V, E);
    const zero = zerosF32(E);
    for (let mode = 0; mode < 2; mode++) {
      const p = randomF32(V * E), m = randomF32(V * E, 0.1), v = zerosF32(V * E);
      for (let i = 0; i < V * E; i++) store<f32>(v + <usize>i * 4, f32At(m, i) * f32At(m, i));
      const p2 = copyF32(p, V * E), m2 = copyF32(m, V * E), v2 = copyF32(v, V * E);
      const l2: f32 = mode == 0 ? 0.1 : 0, decay: f32 = mode == 1 ? 0.999 : 1;
      adam_step(p, m, v, dense, V * E, 0.9, 0.999, 0.01, 0.3, 1e-8, l2, decay);
      adam_rows(p2, m2, v2, rows, slot, zero, V, E, 0.9, 0.999, 0.01, 0.3, 1e-8, l2, decay);
      expect<f64>(maxRelDiff(p2, p, V * E)).toBe(0);
      expect<f64>(maxRelDiff(m2, m, V * E)).toBe(0);
      expect<f64>(maxRelDiff(v2, v, V * E)).toBe(0);
    }
  });

  it('sum_squares and scale match scalar loops', () => {
    const n = 37;
    const x = randomF32(n);
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += <f64>f32At(x, i) * <f64>f32At(x, i);
    expect<f64>(Math.abs(sum_squares(x, n) - s)).toBeLessThan(1e-12);
    const y = copyF32(x, n);
    scale(y, n, 0.37);
    for (let i = 0; i < n; i++) expect<f32>(f32At(y, i)).toBe(f32At(x, i) * <f32>0.37);
  });
});

describe('softmax helpers', () => {
  it('expv is within 2 ulp of exp over the softmax range', () => {
    let worst: f64 = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = <f32>(-87.0 + 95.0 * <f64>i / 20000.0);
      const got = <f64>f32x4.extract_lane(expv(f32x4.splat(x)), 0);
      const want = Math.exp(<f64>x);
      worst = Math.max(worst, Math.abs(got - want) / want);
    }
    expect<f64>(worst).toBeLessThan(2.4e-7);
    // Clamped outside [-87, 88]; a NaN stays NaN.
    expect<f32>(f32x4.extract_lane(expv(f32x4.splat(-200)), 0)).toBe(f32x4.extract_lane(expv(f32x4.splat(-87)), 0));
    expect<f32>(f32x4.extract_lane(expv(f32x4.splat(200)), 0)).toBe(f32x4.extract_lane(expv(f32x4.splat(88)), 0));
    expect<bool>(isNaN(f32x4.extract_lane(expv(f32x4.splat(NaN)), 0))).toBe(true);
  });

  it('sigmoidv and tanhv stay within 3e-7 of the float64 functions, saturating far out', () => {
    let worstSig: f64 = 0, worstTanh: f64 = 0;
    for (let i = 0; i <= 40000; i++) {
      const x = <f32>(-30.0 + 60.0 * <f64>i / 40000.0);
      const v = f32x4.splat(x);
      const sig = <f64>f32x4.extract_lane(sigmoidv(v), 0);
      const th = <f64>f32x4.extract_lane(tanhv(v), 0);
      worstSig = Math.max(worstSig, Math.abs(sig - 1.0 / (1.0 + Math.exp(-<f64>x))));
      worstTanh = Math.max(worstTanh, Math.abs(th - Math.tanh(<f64>x)));
    }
    expect<f64>(worstSig).toBeLessThan(3e-7);
    expect<f64>(worstTanh).toBeLessThan(3e-7);
    expect<f32>(f32x4.extract_lane(tanhv(f32x4.splat(-200)), 0)).toBe(-1);
    expect<f32>(f32x4.extract_lane(tanhv(f32x4.splat(200)), 0)).toBe(1);
    expect<f32>(f32x4.extract_lane(sigmoidv(f32x4.splat(200)), 0)).toBe(1);
    expect<f64>(<f64>f32x4.extract_lane(sigmoidv(f32x4.splat(-200)), 0)).toBeLessThan(1e-37);
    // An odd function: the sign comes from x, so tanh(-x) == -tanh(x) exactly.
    expect<f32>(f32x4.extract_lane(tanhv(f32x4.splat(-0.3)), 0)).toBe(-f32x4.extract_lane(tanhv(f32x4.splat(0.3)), 0));
  });

  it('maxOf and sumExp match scalar loops at ragged lengths', () => {
    for (let n = 1; n < 23; n += 3) {
      const x = randomF32(n, 5);
      let m = f32At(x, 0);
      for (let i = 1; i < n; i++) m = max(m, f32At(x, i));
      expect<f32>(maxOf(x, n)).toBe(m);
      const out = zerosF32(n);
      const s = sumExp(x, n, m, out);
      let want: f64 = 0;
      for (let i = 0; i < n; i++) {
        const e = Math.exp(<f64>(f32At(x, i) - m));
        want += e;
        expect<f64>(Math.abs(<f64>f32At(out, i) - e)).toBeLessThan(3e-7 * e + 1e-30);
      }
      expect<f64>(Math.abs(<f64>s - want) / want).toBeLessThan(1e-6);
    }
  });
});
