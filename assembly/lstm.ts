// LSTM layer over a time-major sequence (PyTorch nn.LSTM, one layer; gate order i, f, g, o):
//   [i f g o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, i f o through sigmoid, g through tanh,
//   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t).
// Dimension legend: T time, B batch, I input width, H hidden, 4H the gate row.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { sigmoidv, tanhv, loadLo, storeLo } from './simd';
import { projectInputs, hiddenWeightGrad, inputSideGrads, at } from './recurrent';

/** Runs the layer over T steps from (h0, c0); keeps the activated gates for the backward pass.
 *  `packed` receives W_hh packed for the step products and `packedIh` (if nonzero) W_ih, unless
 *  `prepacked` says an earlier forward call with the same weights left them there. */
export function lstm_forward(h: usize, c: usize, gates: usize, // h (T, B, H), c (T, B, H), gates (T, B, 4H)
                             x: usize, h0: usize, c0: usize, // x (T, B, I), h0 (B, H), c0 (B, H)
                             W_ih: usize, W_hh: usize, b_ih: usize, b_hh: usize, // W_ih (4H, I), W_hh (4H, H), b_ih (4H), b_hh (4H)
                             T: i32, B: i32, I: i32, H: i32,
                             packed: usize, // (recurrent_packed_floats(4, H))
                             packedIh: usize, prepacked: i32, // packedIh (gemm_packed_floats(I, 4*H)) or 0
                             scratch: usize): void { // scratch (gemm_scratch_floats())
  const G = 4 * H;
  if (prepacked == 0) gemm_pack_nt(packed, W_hh, H, G, H);
  projectInputs(gates, x, W_ih, b_ih, T * B, I, G, G, packedIh, prepacked, scratch);
  bias_forward(gates, b_hh, T * B, G, G);
  for (let t = 0; t < T; t++) {
    const g = at(gates, t, B, G); // (B, 4H)
    const hPrev = t == 0 ? h0 : at(h, t - 1, B, H); // (B, H)
    const cPrev = t == 0 ? c0 : at(c, t - 1, B, H); // (B, H)
    const ht = at(h, t, B, H); // (B, H)
    const ct = at(c, t, B, H); // (B, H)
    gemm_packed(g, hPrev, packed, B, H, G, H, G, 1);
    for (let b = 0; b < B; b++) {
      const row = g + <usize>(b * G) * 4;
      const o = <usize>(b * H) * 4;
      // Four units at a time; with n = 4 written out, the full groups compile without lane checks.
      let k = 0;
      for (; k + 4 <= H; k += 4) cellForward(row, H, k, cPrev + o, ct + o, ht + o, 4);
      if (k < H) cellForward(row, H, k, cPrev + o, ct + o, ht + o, H - k);
    }
  }
}

// Units k .. k+n of one batch row (n <= 4): activates the gates in place and writes c and h.
// @ts-ignore: decorator
@inline function cellForward(row: usize, H: i32, k: i32, // row (4H)
                             cPrev: usize, ct: usize, ht: usize, n: i32): void { // cPrev, ct, ht (H)
  const q = row + <usize>k * 4;
  const ig = sigmoidv(loadLo(q, n));
  const fg = sigmoidv(loadLo(q + <usize>H * 4, n));
  const gg = tanhv(loadLo(q + <usize>(2 * H) * 4, n));
  const og = sigmoidv(loadLo(q + <usize>(3 * H) * 4, n));
  storeLo(q, ig, n);
  storeLo(q + <usize>H * 4, fg, n);
  storeLo(q + <usize>(2 * H) * 4, gg, n);
  storeLo(q + <usize>(3 * H) * 4, og, n);
  const o = <usize>k * 4;
  const cv = f32x4.add(f32x4.mul(fg, loadLo(cPrev + o, n)), f32x4.mul(ig, gg));
  storeLo(ct + o, cv, n);
  storeLo(ht + o, f32x4.mul(og, tanhv(cv)), n);
}

/** Backward through the T steps (no gradient flows into h0, c0: the state is detached).
 *  dh holds the loss gradient w.r.t. every output h[t] and is used as work space; gates is
 *  overwritten with the gradient w.r.t. the gate pre-activations; dc is (B, H) work space.
 *  Weight, bias and dx gradients accumulate. */
export function lstm_backward(dW_ih: usize, dW_hh: usize, db_ih: usize, db_hh: usize, // dW_ih (4H, I), dW_hh (4H, H), db_ih (4H), db_hh (4H)
                              dx: usize, dh: usize, dc: usize, gates: usize, // dx (T, B, I), dh (T, B, H) in/out, dc (B, H) work, gates (T, B, 4H) in/out
                              h: usize, c: usize, x: usize, h0: usize, c0: usize, // h, c (T, B, H), x (T, B, I), h0, c0 (B, H)
                              W_ih: usize, W_hh: usize, // W_ih (4H, I), W_hh (4H, H)
                              T: i32, B: i32, I: i32, H: i32,
                              packed: usize, // (recurrent_packed_floats(4, H)) work
                              scratch: usize): void { // scratch (gemm_scratch_floats())
  const G = 4 * H;
  gemm_pack_nn(packed, W_hh, G, H, H);
  memory.fill(dc, 0, <usize>(B * H) * 4);
  for (let t = T - 1; t >= 0; t--) {
    const g = at(gates, t, B, G); // (B, 4H)
    const d = at(dh, t, B, H); // (B, H)
    const ct = at(c, t, B, H); // (B, H)
    const cPrev = t == 0 ? c0 : at(c, t - 1, B, H); // (B, H)
    for (let b = 0; b < B; b++) {
      const row = g + <usize>(b * G) * 4;
      const o = <usize>(b * H) * 4;
      let k = 0;
      for (; k + 4 <= H; k += 4) cellBackward(row, H, k, d + o, dc + o, ct + o, cPrev + o, 4);
      if (k < H) cellBackward(row, H, k, d + o, dc + o, ct + o, cPrev + o, H - k);
    }
    if (t > 0) gemm_packed(at(dh, t - 1, B, H), g, packed, B, G, H, G, H, 1);
  }
  hiddenWeightGrad(dW_hh, gates, h, h0, T, B, H, G, G, scratch);
  bias_backward(db_hh, gates, T * B, G, G);
  inputSideGrads(dW_ih, db_ih, dx, gates, x, W_ih, T * B, I, G, G, scratch);
}

// Units k .. k+n of one batch row (n <= 4): gate gradients in place of the gates, dc carried back.
// @ts-ignore: decorator
@inline function cellBackward(row: usize, H: i32, k: i32, // row (4H) in/out
                              d: usize, dc: usize, ct: usize, cPrev: usize, n: i32): void { // d, dc, ct, cPrev (H)
  const one = f32x4.splat(1);
  const q = row + <usize>k * 4;
  const o = <usize>k * 4;
  const ig = loadLo(q, n);
  const fg = loadLo(q + <usize>H * 4, n);
  const gg = loadLo(q + <usize>(2 * H) * 4, n);
  const og = loadLo(q + <usize>(3 * H) * 4, n);
  const tc = tanhv(loadLo(ct + o, n));
  const dhv = loadLo(d + o, n);
  const dcv = f32x4.add(loadLo(dc + o, n), f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
  storeLo(dc + o, f32x4.mul(dcv, fg), n);
  storeLo(q, f32x4.mul(f32x4.mul(f32x4.mul(dcv, gg), ig), f32x4.sub(one, ig)), n);
  storeLo(q + <usize>H * 4, f32x4.mul(f32x4.mul(f32x4.mul(dcv, loadLo(cPrev + o, n)), fg), f32x4.sub(one, fg)), n);
  storeLo(q + <usize>(2 * H) * 4, f32x4.mul(f32x4.mul(dcv, ig), f32x4.sub(one, f32x4.mul(gg, gg))), n);
  storeLo(q + <usize>(3 * H) * 4, f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), og), f32x4.sub(one, og)), n);
}
