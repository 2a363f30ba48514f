// GRU layer over a time-major sequence (PyTorch nn.GRU, one layer; gate order r, z, n):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}.
// Dimension legend: T time, B batch, I input width, H hidden. A gate row holds 4H floats:
// r, z, n (activated) and hn = W_hn h_{t-1} + b_hn, which the backward pass needs.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed, gemm_packed_floats } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { sigmoid } from './simd';
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
      for (let k = 0; k < H; k++) {
        const r = sigmoid(load<f32>(row + <usize>k * 4) + load<f32>(hrow + <usize>k * 4));
        const z = sigmoid(load<f32>(row + <usize>(H + k) * 4) + load<f32>(hrow + <usize>(H + k) * 4));
        const hn = load<f32>(hrow + <usize>(2 * H + k) * 4);
        const n = Mathf.tanh(load<f32>(row + <usize>(2 * H + k) * 4) + r * hn);
        store<f32>(row + <usize>k * 4, r);
        store<f32>(row + <usize>(H + k) * 4, z);
        store<f32>(row + <usize>(2 * H + k) * 4, n);
        store<f32>(row + <usize>(3 * H + k) * 4, hn);
        const o = <usize>(b * H + k) * 4;
        store<f32>(ht + o, (<f32>1 - z) * n + z * load<f32>(hPrev + o));
      }
    }
  }
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
      for (let k = 0; k < H; k++) {
        const o = <usize>(b * H + k) * 4;
        const r = load<f32>(row + <usize>k * 4);
        const z = load<f32>(row + <usize>(H + k) * 4);
        const n = load<f32>(row + <usize>(2 * H + k) * 4);
        const hn = load<f32>(row + <usize>(3 * H + k) * 4);
        const dhv = load<f32>(d + o);
        const hp = load<f32>(hPrev + o);
        const dn = dhv * (<f32>1 - z) * (<f32>1 - n * n);
        const dz = dhv * (hp - n) * z * (<f32>1 - z);
        const dr = dn * hn * r * (<f32>1 - r);
        store<f32>(row + <usize>k * 4, dr);
        store<f32>(row + <usize>(H + k) * 4, dz);
        store<f32>(row + <usize>(2 * H + k) * 4, dn);
        store<f32>(row + <usize>(3 * H + k) * 4, dn * r);
        if (t > 0) store<f32>(dPrev + o, load<f32>(dPrev + o) + dhv * z);
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
