// Elman RNN layer with tanh over a time-major sequence (PyTorch nn.RNN, one layer; the host
// stacks layers): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).
// Dimension legend: T time, B batch, I input width, H hidden.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { tanhv, loadLo, storeLo } from './simd';
import { projectInputs, hiddenWeightGrad, inputSideGrads, at } from './recurrent';

/** Runs the layer over T steps from h0; h[T-1] is the final state. `packed` receives W_hh packed
 *  for the step products and `packedIh` (if nonzero) W_ih, unless `prepacked` says an earlier
 *  forward call with the same weights left them there. */
export function rnn_forward(h: usize, // (T, B, H)
                            x: usize, h0: usize, // x (T, B, I), h0 (B, H)
                            W_ih: usize, W_hh: usize, b_ih: usize, b_hh: usize, // W_ih (H, I), W_hh (H, H), b_ih (H), b_hh (H)
                            T: i32, B: i32, I: i32, H: i32,
                            packed: usize, // (recurrent_packed_floats(1, H))
                            packedIh: usize, prepacked: i32, // packedIh (gemm_packed_floats(I, H)) or 0
                            scratch: usize): void { // scratch (gemm_scratch_floats())
  if (prepacked == 0) gemm_pack_nt(packed, W_hh, H, H, H);
  projectInputs(h, x, W_ih, b_ih, T * B, I, H, H, packedIh, prepacked, scratch);
  bias_forward(h, b_hh, T * B, H, H);
  for (let t = 0; t < T; t++) {
    const ht = at(h, t, B, H); // (B, H)
    gemm_packed(ht, t == 0 ? h0 : at(h, t - 1, B, H), packed, B, H, H, H, H, 1);
    const total = B * H;
    // With n = 4 written out, the full groups compile without lane checks.
    let k = 0;
    for (; k + 4 <= total; k += 4) activate(ht + <usize>k * 4, 4);
    if (k < total) activate(ht + <usize>k * 4, total - k);
  }
}

/** Backward through the T steps (no gradient flows into h0: the state is detached).
 *  dh holds the loss gradient w.r.t. every output h[t] and is overwritten with the gradient
 *  w.r.t. the pre-activations. Weight, bias and dx gradients accumulate. */
export function rnn_backward(dW_ih: usize, dW_hh: usize, db_ih: usize, db_hh: usize, // dW_ih (H, I), dW_hh (H, H), db_ih (H), db_hh (H)
                             dx: usize, dh: usize, // dx (T, B, I), dh (T, B, H) in/out
                             h: usize, x: usize, h0: usize, // h (T, B, H), x (T, B, I), h0 (B, H)
                             W_ih: usize, W_hh: usize, // W_ih (H, I), W_hh (H, H)
                             T: i32, B: i32, I: i32, H: i32,
                             packed: usize, // (recurrent_packed_floats(1, H)) work
                             scratch: usize): void { // scratch (gemm_scratch_floats())
  gemm_pack_nn(packed, W_hh, H, H, H);
  for (let t = T - 1; t >= 0; t--) {
    const d = at(dh, t, B, H); // (B, H)
    const ht = at(h, t, B, H); // (B, H)
    const total = B * H;
    let k = 0;
    for (; k + 4 <= total; k += 4) activateBackward(d + <usize>k * 4, ht + <usize>k * 4, 4);
    if (k < total) activateBackward(d + <usize>k * 4, ht + <usize>k * 4, total - k);
    if (t > 0) gemm_packed(at(dh, t - 1, B, H), d, packed, B, H, H, H, H, 1);
  }
  hiddenWeightGrad(dW_hh, dh, h, h0, T, B, H, H, H, scratch);
  bias_backward(db_hh, dh, T * B, H, H);
  inputSideGrads(dW_ih, db_ih, dx, dh, x, W_ih, T * B, I, H, H, scratch);
}

// n (<= 4) pre-activations through tanh, in place.
// @ts-ignore: decorator
@inline function activate(p: usize, n: i32): void { // p (n)
  storeLo(p, tanhv(loadLo(p, n)), n);
}

// n (<= 4) output gradients times tanh' = 1 - h^2, in place.
// @ts-ignore: decorator
@inline function activateBackward(d: usize, h: usize, n: i32): void { // d (n) in/out, h (n)
  const y = loadLo(h, n);
  storeLo(d, f32x4.mul(loadLo(d, n), f32x4.sub(f32x4.splat(1), f32x4.mul(y, y))), n);
}
