// GRU layer over a time-major sequence (PyTorch nn.GRU, one layer; gate order r, z, n):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}.
// Dimension legend: T time, B batch, I input width, H hidden. A gate row holds 4H floats:
// r, z, n (activated) and hn = W_hn h_{t-1} + b_hn, which the backward pass needs.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed, gemm_packed_floats } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { sigmoidv, tanhv, stageTail, unstageTail } from './simd';
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
      for (let k = 0; k < H; k += 4) {
        const n = H - k;
        const u = <usize>k * 4;
        let q = row + u, qh = hrow + u, gs = <usize>H * 4, hp = hPrev + o + u, hh = ht + o + u;
        // A last group of fewer than 4 units runs on zero-padded copies in scratch (idle here).
        if (n < 4) {
          stageTail(scratch, q, gs, 4, n);
          stageTail(scratch + 64, qh, gs, 3, n);
          stageTail(scratch + 112, hp, 0, 1, n);
          q = scratch; qh = scratch + 64; gs = 16; hp = scratch + 112; hh = scratch + 128;
        }
        cellForward(q, qh, gs, hp, hh);
        if (n < 4) {
          unstageTail(row + u, <usize>H * 4, scratch, 4, n);
          unstageTail(ht + o + u, 0, scratch + 128, 1, n);
        }
      }
    }
  }
}

// Four units of one batch row: activated gates and hn into the gate row, h_t out. The gate
// groups (r, z, n, hn) lie gs bytes apart from q, the hidden products (hr, hz, hn) from qh.
// @ts-ignore: decorator
@inline function cellForward(q: usize, qh: usize, gs: usize, // q (4 groups, 4 units), qh (3 groups, 4 units)
                             hPrev: usize, ht: usize): void { // hPrev, ht (4)
  const r = sigmoidv(f32x4.add(v128.load(q), v128.load(qh)));
  const z = sigmoidv(f32x4.add(v128.load(q + gs), v128.load(qh + gs)));
  const hn = v128.load(qh + 2 * gs);
  const nv = tanhv(f32x4.add(v128.load(q + 2 * gs), f32x4.mul(r, hn)));
  v128.store(q, r);
  v128.store(q + gs, z);
  v128.store(q + 2 * gs, nv);
  v128.store(q + 3 * gs, hn);
  v128.store(ht, f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), nv), f32x4.mul(z, v128.load(hPrev))));
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
      for (let k = 0; k < H; k += 4) {
        const n = H - k;
        const u = <usize>k * 4;
        let q = row + u, gs = <usize>H * 4, dd = d + o + u, hp = hPrev + o + u;
        let dp: usize = t == 0 ? 0 : dPrev + o + u;
        if (n < 4) {
          stageTail(scratch, q, gs, 4, n);
          stageTail(scratch + 64, dd, 0, 1, n);
          stageTail(scratch + 80, hp, 0, 1, n);
          if (dp != 0) stageTail(scratch + 96, dp, 0, 1, n);
          q = scratch; gs = 16; dd = scratch + 64; hp = scratch + 80; dp = dp != 0 ? scratch + 96 : 0;
        }
        cellBackward(q, gs, dd, hp, dp);
        if (n < 4) {
          unstageTail(row + u, <usize>H * 4, scratch, 4, n);
          if (dp != 0) unstageTail(dPrev + o + u, 0, scratch + 96, 1, n);
        }
      }
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

// Four units of one batch row: gate gradients in place of the gate groups (gs bytes apart from
// q); the part of dh_{t-1} that flows through z is added to dPrev unless it is 0 (t = 0).
// @ts-ignore: decorator
@inline function cellBackward(q: usize, gs: usize, // q (4 groups, 4 units) in/out
                              d: usize, hPrev: usize, dPrev: usize): void { // d, hPrev, dPrev (4)
  const one = f32x4.splat(1);
  const r = v128.load(q);
  const z = v128.load(q + gs);
  const nv = v128.load(q + 2 * gs);
  const hn = v128.load(q + 3 * gs);
  const dhv = v128.load(d);
  const hp = v128.load(hPrev);
  const dn = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(nv, nv)));
  const dz = f32x4.mul(f32x4.mul(f32x4.mul(dhv, f32x4.sub(hp, nv)), z), f32x4.sub(one, z));
  const dr = f32x4.mul(f32x4.mul(f32x4.mul(dn, hn), r), f32x4.sub(one, r));
  v128.store(q, dr);
  v128.store(q + gs, dz);
  v128.store(q + 2 * gs, dn);
  v128.store(q + 3 * gs, f32x4.mul(dn, r));
  if (dPrev != 0) v128.store(dPrev, f32x4.add(v128.load(dPrev), f32x4.mul(dhv, z)));
}
