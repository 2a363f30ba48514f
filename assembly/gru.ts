// GRU layer over a time-major sequence (PyTorch nn.GRU, one layer; gate order r, z, n):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}.
// Dimension legend: T time, B batch, I input width, H hidden. A gate row holds 4H floats:
// r, z, n (activated) and hn = W_hn h_{t-1} + b_hn, which the backward pass needs.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed, gemm_packed_floats } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { sigmoidv, tanhv, loadLo, storeLo } from './simd';
import { projectInputs, hiddenWeightGrad, inputSideGrads, at } from './recurrent';

/** Runs the layer over T steps from h0. `packed` receives W_hh packed for the step products and
 *  `packedIh` (if nonzero) W_ih, unless `prepacked` says an earlier forward call with the same
 *  weights left them there. */
export function gru_forward(h: usize, gates: usize, // h (T, B, H), gates (T, B, 4H)
                            x: usize, h0: usize, // x (T, B, I), h0 (B, H)
                            W_ih: usize, W_hh: usize, b_ih: usize, b_hh: usize, // W_ih (3H, I), W_hh (3H, H), b_ih (3H), b_hh (3H)
                            T: i32, B: i32, I: i32, H: i32,
                            gh: usize, // (B, 3H) work
                            packed: usize, // (recurrent_packed_floats(3, H))
                            packedIh: usize, prepacked: i32, // packedIh (gemm_packed_floats(I, 3*H)) or 0
                            scratch: usize): void { // scratch (gemm_scratch_floats())
  const G = 4 * H;
  const H3 = 3 * H;
  if (prepacked == 0) gemm_pack_nt(packed, W_hh, H, H3, H);
  projectInputs(gates, x, W_ih, b_ih, T * B, I, H3, G, packedIh, prepacked, scratch);
  for (let t = 0; t < T; t++) {
    const g = at(gates, t, B, G); // (B, 4H)
    const hPrev = t == 0 ? h0 : at(h, t - 1, B, H); // (B, H)
    const ht = at(h, t, B, H); // (B, H)
    gemm_packed(gh, hPrev, packed, B, H, H3, H, H3, 0);
    bias_forward(gh, b_hh, B, H3, H3);
    for (let b = 0; b < B; b++) {
      const row = g + <usize>(b * G) * 4;
      const hrow = gh + <usize>(b * H3) * 4;
      const o = <usize>(b * H) * 4;
      // Four units at a time; with n = 4 written out, the full groups compile without lane checks.
      let k = 0;
      for (; k + 4 <= H; k += 4) cellForward(row, hrow, H, k, hPrev + o, ht + o, 4);
      if (k < H) cellForward(row, hrow, H, k, hPrev + o, ht + o, H - k);
    }
  }
}

// Units k .. k+n of one batch row (n <= 4): activated gates and hn into the gate row, h_t out.
// @ts-ignore: decorator
@inline function cellForward(row: usize, hrow: usize, H: i32, k: i32, // row (4H), hrow (3H)
                             hPrev: usize, ht: usize, n: i32): void { // hPrev, ht (H)
  const q = row + <usize>k * 4;
  const qh = hrow + <usize>k * 4;
  const r = sigmoidv(f32x4.add(loadLo(q, n), loadLo(qh, n)));
  const z = sigmoidv(f32x4.add(loadLo(q + <usize>H * 4, n), loadLo(qh + <usize>H * 4, n)));
  const hn = loadLo(qh + <usize>(2 * H) * 4, n);
  const nv = tanhv(f32x4.add(loadLo(q + <usize>(2 * H) * 4, n), f32x4.mul(r, hn)));
  storeLo(q, r, n);
  storeLo(q + <usize>H * 4, z, n);
  storeLo(q + <usize>(2 * H) * 4, nv, n);
  storeLo(q + <usize>(3 * H) * 4, hn, n);
  const o = <usize>k * 4;
  storeLo(ht + o, f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), nv), f32x4.mul(z, loadLo(hPrev + o, n))), n);
}

/** Backward through the T steps (no gradient flows into h0: the state is detached).
 *  dh holds the loss gradient w.r.t. every output h[t] and is used as work space; each gate
 *  row is overwritten with (d r_pre, d z_pre, d n_pre, d hn_pre), hn_pre being W_hn h + b_hn.
 *  Weight, bias and dx gradients accumulate. */
export function gru_backward(dW_ih: usize, dW_hh: usize, db_ih: usize, db_hh: usize, // dW_ih (3H, I), dW_hh (3H, H), db_ih (3H), db_hh (3H)
                             dx: usize, dh: usize, gates: usize, // dx (T, B, I), dh (T, B, H) in/out, gates (T, B, 4H) in/out
                             h: usize, x: usize, h0: usize, // h (T, B, H), x (T, B, I), h0 (B, H)
                             W_ih: usize, W_hh: usize, // W_ih (3H, I), W_hh (3H, H)
                             T: i32, B: i32, I: i32, H: i32,
                             packed: usize, // (recurrent_packed_floats(3, H)) work
                             scratch: usize): void { // scratch (gemm_scratch_floats())
  const G = 4 * H;
  const H2 = 2 * H;
  const W_hn = W_hh + <usize>(H2 * H) * 4; // (H, H)
  // The r, z rows and the n rows of W_hh meet different gradient columns: pack them apart.
  const packedN = packed + <usize>gemm_packed_floats(H2, H) * 4;
  gemm_pack_nn(packed, W_hh, H2, H, H);
  gemm_pack_nn(packedN, W_hn, H, H, H);
  for (let t = T - 1; t >= 0; t--) {
    const g = at(gates, t, B, G); // (B, 4H)
    const d = at(dh, t, B, H); // (B, H)
    const hPrev = t == 0 ? h0 : at(h, t - 1, B, H); // (B, H)
    const dPrev: usize = t == 0 ? 0 : at(dh, t - 1, B, H); // (B, H)
    for (let b = 0; b < B; b++) {
      const row = g + <usize>(b * G) * 4;
      const o = <usize>(b * H) * 4;
      const dp: usize = t == 0 ? 0 : dPrev + o;
      let k = 0;
      for (; k + 4 <= H; k += 4) cellBackward(row, H, k, d + o, hPrev + o, dp, 4);
      if (k < H) cellBackward(row, H, k, d + o, hPrev + o, dp, H - k);
    }
    if (t > 0) {
      gemm_packed(dPrev, g, packed, B, H2, H, G, H, 1);
      gemm_packed(dPrev, g + <usize>(3 * H) * 4, packedN, B, H, H, G, H, 1);
    }
  }
  hiddenWeightGrad(dW_hh, gates, h, h0, T, B, H, H2, G, scratch);
  hiddenWeightGrad(dW_hh + <usize>(H2 * H) * 4, gates + <usize>(3 * H) * 4, h, h0, T, B, H, H, G, scratch);
  bias_backward(db_hh, gates, T * B, H2, G);
  bias_backward(db_hh + <usize>H2 * 4, gates + <usize>(3 * H) * 4, T * B, H, G);
  inputSideGrads(dW_ih, db_ih, dx, gates, x, W_ih, T * B, I, 3 * H, G, scratch);
}

// Units k .. k+n of one batch row (n <= 4): gate gradients in place of the gate row; the part of
// dh_{t-1} that flows through z is added to dPrev unless it is 0 (t = 0).
// @ts-ignore: decorator
@inline function cellBackward(row: usize, H: i32, k: i32, // row (4H) in/out
                              d: usize, hPrev: usize, dPrev: usize, n: i32): void { // d, hPrev, dPrev (H)
  const one = f32x4.splat(1);
  const q = row + <usize>k * 4;
  const o = <usize>k * 4;
  const r = loadLo(q, n);
  const z = loadLo(q + <usize>H * 4, n);
  const nv = loadLo(q + <usize>(2 * H) * 4, n);
  const hn = loadLo(q + <usize>(3 * H) * 4, n);
  const dhv = loadLo(d + o, n);
  const hp = loadLo(hPrev + o, n);
  const dn = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(nv, nv)));
  const dz = f32x4.mul(f32x4.mul(f32x4.mul(dhv, f32x4.sub(hp, nv)), z), f32x4.sub(one, z));
  const dr = f32x4.mul(f32x4.mul(f32x4.mul(dn, hn), r), f32x4.sub(one, r));
  storeLo(q, dr, n);
  storeLo(q + <usize>H * 4, dz, n);
  storeLo(q + <usize>(2 * H) * 4, dn, n);
  storeLo(q + <usize>(3 * H) * 4, f32x4.mul(dn, r), n);
  if (dPrev != 0) storeLo(dPrev + o, f32x4.add(loadLo(dPrev + o, n), f32x4.mul(dhv, z)), n);
}
