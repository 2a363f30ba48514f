// LSTM layer over a time-major sequence (PyTorch nn.LSTM, one layer; gate order i, f, g, o):
//   [i f g o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, i f o through sigmoid, g through tanh,
//   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t).
// Dimension legend: T time, B batch, I input width, H hidden, 4H the gate row.

import { gemm_pack_nt, gemm_pack_nn, gemm_packed } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { sigmoidv, tanhv, stageTail, unstageTail } from './simd';
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
      for (let k = 0; k < H; k += 4) {
        const n = H - k;
        const u = <usize>k * 4;
        let q = row + u, gs = <usize>H * 4, cp = cPrev + o + u, cc = ct + o + u, hh = ht + o + u;
        // A last group of fewer than 4 units runs on zero-padded copies in scratch (idle here).
        if (n < 4) {
          stageTail(scratch, q, gs, 4, n);
          stageTail(scratch + 64, cp, 0, 1, n);
          q = scratch; gs = 16; cp = scratch + 64; cc = scratch + 80; hh = scratch + 96;
        }
        cellForward(q, gs, cp, cc, hh);
        if (n < 4) {
          unstageTail(row + u, <usize>H * 4, scratch, 4, n);
          unstageTail(ct + o + u, 0, scratch + 80, 1, n);
          unstageTail(ht + o + u, 0, scratch + 96, 1, n);
        }
      }
    }
  }
}

// Four units of one batch row: activates the gates (4 groups, gs bytes apart from q) in place
// and writes c and h.
// @ts-ignore: decorator
@inline function cellForward(q: usize, gs: usize, // q (4 gates, 4 units) at stride gs bytes
                             cPrev: usize, ct: usize, ht: usize): void { // cPrev, ct, ht (4)
  const ig = sigmoidv(v128.load(q));
  const fg = sigmoidv(v128.load(q + gs));
  const gg = tanhv(v128.load(q + 2 * gs));
  const og = sigmoidv(v128.load(q + 3 * gs));
  v128.store(q, ig);
  v128.store(q + gs, fg);
  v128.store(q + 2 * gs, gg);
  v128.store(q + 3 * gs, og);
  const cv = f32x4.add(f32x4.mul(fg, v128.load(cPrev)), f32x4.mul(ig, gg));
  v128.store(ct, cv);
  v128.store(ht, f32x4.mul(og, tanhv(cv)));
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
      for (let k = 0; k < H; k += 4) {
        const n = H - k;
        const u = <usize>k * 4;
        let q = row + u, gs = <usize>H * 4, dp = d + o + u, dcp = dc + o + u, cp = ct + o + u, cpp = cPrev + o + u;
        if (n < 4) {
          stageTail(scratch, q, gs, 4, n);
          stageTail(scratch + 64, dp, 0, 1, n);
          stageTail(scratch + 80, dcp, 0, 1, n);
          stageTail(scratch + 96, cp, 0, 1, n);
          stageTail(scratch + 112, cpp, 0, 1, n);
          q = scratch; gs = 16; dp = scratch + 64; dcp = scratch + 80; cp = scratch + 96; cpp = scratch + 112;
        }
        cellBackward(q, gs, dp, dcp, cp, cpp);
        if (n < 4) {
          unstageTail(row + u, <usize>H * 4, scratch, 4, n);
          unstageTail(dc + o + u, 0, scratch + 80, 1, n);
        }
      }
    }
    if (t > 0) gemm_packed(at(dh, t - 1, B, H), g, packed, B, G, H, G, H, 1);
  }
  hiddenWeightGrad(dW_hh, gates, h, h0, T, B, H, G, G, scratch);
  bias_backward(db_hh, gates, T * B, G, G);
  inputSideGrads(dW_ih, db_ih, dx, gates, x, W_ih, T * B, I, G, G, scratch);
}

// Four units of one batch row: gate gradients in place of the gates, dc carried back.
// @ts-ignore: decorator
@inline function cellBackward(q: usize, gs: usize, // q (4 gates, 4 units) at stride gs bytes, in/out
                              d: usize, dc: usize, ct: usize, cPrev: usize): void { // d, dc (in/out), ct, cPrev (4)
  const one = f32x4.splat(1);
  const ig = v128.load(q);
  const fg = v128.load(q + gs);
  const gg = v128.load(q + 2 * gs);
  const og = v128.load(q + 3 * gs);
  const tc = tanhv(v128.load(ct));
  const dhv = v128.load(d);
  const dcv = f32x4.add(v128.load(dc), f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
  v128.store(dc, f32x4.mul(dcv, fg));
  v128.store(q, f32x4.mul(f32x4.mul(f32x4.mul(dcv, gg), ig), f32x4.sub(one, ig)));
  v128.store(q + gs, f32x4.mul(f32x4.mul(f32x4.mul(dcv, v128.load(cPrev)), fg), f32x4.sub(one, fg)));
  v128.store(q + 2 * gs, f32x4.mul(f32x4.mul(dcv, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
  v128.store(q + 3 * gs, f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), og), f32x4.sub(one, og)));
}
