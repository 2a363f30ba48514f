// Matrix products in the three layouts training needs, row-major float32.
// Dimension legend: M rows of C, K the summed dimension, N columns of C;
// lda, ldb, ldc are the row strides (in floats) of A, B, C as stored.
//
// Blocking: B is packed block by block (KC x NC) into 8-column panels in the caller's
// scratch buffer (GEMM_SCRATCH_FLOATS floats), then a 4 x 8 register block of C is
// accumulated over each panel with A broadcast one element at a time. A block takes 512 KB,
// half of a 1 MB L2; KC = 512 rather than 256 halves the loads and stores of C around each
// micro-kernel call (1-2% on the training shapes). Every element of C sums its K products in
// increasing k order whatever M is, so a row computed alone equals the same row computed
// inside a big batch.

import { madd, loadLo, loadHi, storeLo, storeHi } from './simd';
import { shouldSplit, splitProduct, progressed } from './threads';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 512;
const NC: i32 = 256;

/** Floats of scratch every gemm_* call needs for its packed panels. */
export function gemm_scratch_floats(): i32 {
  return KC * NC + KC * MR;
}

// Packs B[k0 .. k0+kc, j0 .. j0+nc] (element (k, j) at B + k*bks + j*bjs bytes) into
// ceil(nc/8) panels of (kc, 8), zero-padded past column nc.
function pack(dst: usize, B: usize, bks: usize, bjs: usize, kc: i32, nc: i32): void { // dst (panels, kc, 8)
  for (let p = 0; p < nc; p += NR) {
    const cols = min(NR, nc - p);
    const panel = dst + <usize>(p * kc) * 4;
    if (bjs == 4 && cols == NR) {
      // Rows of B are contiguous: two vector copies per k.
      let src = B + <usize>p * 4;
      for (let k = 0; k < kc; k++) {
        v128.store(panel + <usize>(k * NR) * 4, v128.load(src));
        v128.store(panel + <usize>(k * NR) * 4, v128.load(src, 16), 16);
        src += bks;
      }
    } else if (bks == 4 && cols == NR) {
      packTransposed(panel, B + <usize>p * bjs, bjs, kc);
    } else {
      for (let c = 0; c < NR; c++) {
        if (c < cols) {
          let src = B + <usize>(p + c) * bjs;
          for (let k = 0; k < kc; k++) {
            store<f32>(panel + <usize>(k * NR + c) * 4, load<f32>(src));
            src += bks;
          }
        } else {
          for (let k = 0; k < kc; k++) store<f32>(panel + <usize>(k * NR + c) * 4, 0);
        }
      }
    }
  }
}

// One full panel from 8 rows of a B stored (N, K) (k contiguous): 4 x 4 blocks are transposed in
// registers, so each k costs two vector stores instead of eight scalar moves.
function packTransposed(panel: usize, src: usize, rowBytes: usize, kc: i32): void { // panel (kc, 8), src (8, kc) at row stride rowBytes
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    for (let half = 0; half < 2; half++) {
      const r = src + <usize>(half * 4) * rowBytes + <usize>k * 4;
      const r0 = v128.load(r), r1 = v128.load(r + rowBytes);
      const r2 = v128.load(r + 2 * rowBytes), r3 = v128.load(r + 3 * rowBytes);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const dst = panel + <usize>(k * NR + half * 4) * 4;
      v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(dst + 32, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(dst + 64, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(dst + 96, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
  }
  for (; k < kc; k++) {
    for (let c = 0; c < NR; c++) {
      store<f32>(panel + <usize>(k * NR + c) * 4, load<f32>(src + <usize>c * rowBytes + <usize>k * 4));
    }
  }
}

// C[4 rows, cols] (+)= A[4 rows, kc] * panel. A element (r, k) at A + r*ars + k*aks bytes.
function micro4x8(C: usize, cs: usize, // C (4, cols) at row stride cs bytes
                  A: usize, ars: usize, aks: usize, // A (4, kc) at strides ars, aks bytes
                  P: usize, kc: i32, first: bool, cols: i32): void { // P (kc, 8)
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (!first) {
    c00 = loadLo(C, cols); c01 = loadHi(C, cols);
    c10 = loadLo(C + cs, cols); c11 = loadHi(C + cs, cols);
    c20 = loadLo(C + 2 * cs, cols); c21 = loadHi(C + 2 * cs, cols);
    c30 = loadLo(C + 3 * cs, cols); c31 = loadHi(C + 3 * cs, cols);
  }
  let a0 = A, a1 = A + ars, a2 = A + 2 * ars, a3 = A + 3 * ars;
  let p = P;
  const end = P + <usize>(kc * NR) * 4;
  while (p < end) {
    const b0 = v128.load(p);
    const b1 = v128.load(p, 16);
    let a = v128.load32_splat(a0);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a0 += aks; a1 += aks; a2 += aks; a3 += aks;
    p += 32;
  }
  storeLo(C, c00, cols); storeHi(C, c01, cols);
  storeLo(C + cs, c10, cols); storeHi(C + cs, c11, cols);
  storeLo(C + 2 * cs, c20, cols); storeHi(C + 2 * cs, c21, cols);
  storeLo(C + 3 * cs, c30, cols); storeHi(C + 3 * cs, c31, cols);
}

// One row of C against one panel: the M % 4 leftover rows.
function micro1x8(C: usize, A: usize, aks: usize, // C (1, cols), A (1, kc) at stride aks bytes
                  P: usize, kc: i32, first: bool, cols: i32): void { // P (kc, 8)
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  if (!first) {
    c0 = loadLo(C, cols); c1 = loadHi(C, cols);
  }
  let a0 = A;
  let p = P;
  const end = P + <usize>(kc * NR) * 4;
  while (p < end) {
    const a = v128.load32_splat(a0);
    c0 = madd(a, v128.load(p), c0);
    c1 = madd(a, v128.load(p, 16), c1);
    a0 += aks;
    p += 32;
  }
  storeLo(C, c0, cols); storeHi(C, c1, cols);
}

// Floats one packed (kc, nc) block takes: nc rounded up to whole panels.
// @ts-ignore: decorator
@inline function blockFloats(kc: i32, nc: i32): i32 {
  return kc * ((nc + NR - 1) / NR) * NR;
}

// C (M, N) (+)= A * B on every thread the threaded builds were configured for (one otherwise).
function driver(C: usize, ldc: i32, A: usize, ars: usize, aks: usize, // C (M, ldc), A (M, K) strided
                B: usize, bks: usize, bjs: usize, // B (K, N) strided
                M: i32, K: i32, N: i32, accumulate: bool,
                scratch: usize, packed: usize): void { // scratch (gemm_scratch_floats()), packed (gemm_packed_floats(K, N)) or 0
  if (ASC_FEATURE_THREADS && shouldSplit(M, K, N)) {
    splitProduct(C, ldc, A, ars, aks, B, bks, bjs, M, K, N, accumulate, scratch, packed);
  } else {
    driverRows(C, ldc, A, ars, aks, B, bks, bjs, M, K, N, accumulate, scratch, packed);
  }
}

// C (M, N) (+)= A * B with A element (i, k) at A + i*ars + k*aks (strides in bytes). B comes either
// unpacked (element (k, j) at B + k*bks + j*bjs, packed block by block into `scratch`) or, when
// `packed` is nonzero, already packed there by packAll in the same block order.
export function driverRows(C: usize, ldc: i32, A: usize, ars: usize, aks: usize, // C (M, ldc), A (M, K) strided
                B: usize, bks: usize, bjs: usize, // B (K, N) strided
                M: i32, K: i32, N: i32, accumulate: bool,
                scratch: usize, packed: usize): void { // scratch (gemm_scratch_floats()), packed (gemm_packed_floats(K, N)) or 0
  const cs = <usize>ldc * 4;
  if (K == 0) {
    if (!accumulate) {
      for (let i = 0; i < M; i++) memory.fill(C + <usize>i * cs, 0, <usize>N * 4);
    }
    return;
  }
  let block = packed;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      let panels = block;
      if (packed == 0) {
        panels = scratch;
        pack(scratch, B + <usize>pc * bks + <usize>jc * bjs, bks, bjs, kc, nc);
      } else {
        block += <usize>blockFloats(kc, nc) * 4;
      }
      const first = pc == 0 && !accumulate;
      const Ablock = A + <usize>pc * aks;
      const Cblock = C + <usize>jc * 4;
      // A stored transposed walks a column with a stride of a whole row per k, touching a new
      // cache line (and often a new page) each step: copy its four columns side by side first.
      const packA = aks != 4 && scratch != 0;
      const Apacked = scratch + <usize>(KC * NC) * 4; // (kc, 4)
      let i = 0;
      for (; i + MR <= M; i += MR) {
        let Arows = Ablock + <usize>i * ars;
        let rs = ars, ks = aks;
        if (packA) {
          for (let k = 0; k < kc; k++) {
            v128.store(Apacked + <usize>k * 16, v128.load(Arows + <usize>k * aks));
          }
          Arows = Apacked;
          rs = 4;
          ks = 16;
        }
        for (let p = 0; p < nc; p += NR) {
          micro4x8(Cblock + <usize>i * cs + <usize>p * 4, cs, Arows, rs, ks,
                   panels + <usize>(p * kc) * 4, kc, first, min(NR, nc - p));
        }
      }
      for (; i < M; i++) {
        for (let p = 0; p < nc; p += NR) {
          micro1x8(Cblock + <usize>i * cs + <usize>p * 4, Ablock + <usize>i * ars, aks,
                   panels + <usize>(p * kc) * 4, kc, first, min(NR, nc - p));
        }
      }
      progressed();
    }
  }
}

// Packs all of B, block after block in the order driver() walks them.
function packAll(P: usize, B: usize, bks: usize, bjs: usize, // P (gemm_packed_floats(K, N)), B (K, N) strided
                 K: i32, N: i32): void {
  let block = P;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      pack(block, B + <usize>pc * bks + <usize>jc * bjs, bks, bjs, kc, nc);
      block += <usize>blockFloats(kc, nc) * 4;
    }
  }
}

/** Floats a whole packed (K, N) right-hand side takes (for gemm_pack_* and gemm_packed). */
export function gemm_packed_floats(K: i32, N: i32): i32 {
  let total = 0;
  for (let jc = 0; jc < N; jc += NC) total += blockFloats(K, min(NC, N - jc));
  return total;
}

/** Packs B (K, N) once, for repeated gemm_packed calls with the same right-hand side. */
export function gemm_pack_nn(P: usize, B: usize, // P (gemm_packed_floats(K, N)), B (K, N)
                             K: i32, N: i32, ldb: i32): void {
  packAll(P, B, <usize>ldb * 4, 4, K, N);
}

/** Packs B^T for B stored (N, K), for repeated gemm_packed calls. */
export function gemm_pack_nt(P: usize, B: usize, // P (gemm_packed_floats(K, N)), B (N, K)
                             K: i32, N: i32, ldb: i32): void {
  packAll(P, B, 4, <usize>ldb * 4, K, N);
}

/** C (M, N) = A (M, K) * B with B packed by gemm_pack_*; bit-identical to the unpacked call. */
export function gemm_packed(C: usize, A: usize, P: usize, // C (M, N), A (M, K), P (gemm_packed_floats(K, N))
                            M: i32, K: i32, N: i32, lda: i32, ldc: i32, accumulate: i32): void {
  driver(C, ldc, A, <usize>lda * 4, 4, 0, 0, 0, M, K, N, accumulate != 0, 0, P);
}

/** C (M, N) = A (M, K) * B (K, N), or += when `accumulate` is nonzero. */
export function gemm_nn(C: usize, A: usize, B: usize, // C (M, N), A (M, K), B (K, N)
                        M: i32, K: i32, N: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32,
                        scratch: usize): void { // scratch (gemm_scratch_floats())
  driver(C, ldc, A, <usize>lda * 4, 4, B, <usize>ldb * 4, 4, M, K, N, accumulate != 0, scratch, 0);
}

/** C (M, N) = A (M, K) * B^T with B stored (N, K), or += when `accumulate` is nonzero. */
export function gemm_nt(C: usize, A: usize, B: usize, // C (M, N), A (M, K), B (N, K)
                        M: i32, K: i32, N: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32,
                        scratch: usize): void { // scratch (gemm_scratch_floats())
  driver(C, ldc, A, <usize>lda * 4, 4, B, 4, <usize>ldb * 4, M, K, N, accumulate != 0, scratch, 0);
}

/** C (M, N) = A^T * B with A stored (K, M) and B (K, N), or += when `accumulate` is nonzero. */
export function gemm_tn(C: usize, A: usize, B: usize, // C (M, N), A (K, M), B (K, N)
                        M: i32, K: i32, N: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32,
                        scratch: usize): void { // scratch (gemm_scratch_floats())
  driver(C, ldc, A, 4, <usize>lda * 4, B, <usize>ldb * 4, 4, M, K, N, accumulate != 0, scratch, 0);
}

/** Scalar reference for all three layouts: op(A) is A^T when transA, op(B) is B^T when transB. */
export function gemm_reference(C: usize, A: usize, B: usize, // C (M, N), op(A) (M, K), op(B) (K, N)
                               M: i32, K: i32, N: i32, lda: i32, ldb: i32, ldc: i32,
                               transA: i32, transB: i32, accumulate: i32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const c = C + <usize>(i * ldc + j) * 4;
      let s: f32 = accumulate != 0 ? load<f32>(c) : 0;
      for (let k = 0; k < K; k++) {
        const a = load<f32>(A + <usize>(transA != 0 ? k * lda + i : i * lda + k) * 4);
        const b = load<f32>(B + <usize>(transB != 0 ? j * ldb + k : k * ldb + j) * 4);
        s += a * b;
      }
      store<f32>(c, s);
    }
  }
}
