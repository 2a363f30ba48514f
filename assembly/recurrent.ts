// Pieces shared by the recurrent layers (rnn, lstm, gru): the input projection of a whole
// sequence at once, and the weight gradients that are gathered after the time loop.
// Dimension legend: T time, B batch, I input width, H hidden, G gates (1 rnn, 4 lstm, 3 gru),
// ld the row stride in floats of the per-row gate buffer.

import { gemm_nt, gemm_tn, gemm_nn, gemm_packed_floats, gemm_pack_nt, gemm_packed } from './gemm';
import { bias_forward, bias_backward } from './bias';

/** Floats of the `packed` work buffer a layer kernel with G gates of H units needs: W_hh packed for
 *  the per-step products, forward (H x GH) or backward (GH x H). */
export function recurrent_packed_floats(G: i32, H: i32): i32 {
  return max(gemm_packed_floats(H, G * H), gemm_packed_floats(G * H, H));
}

/** pre (T*B, G*H) = x W_ih^T + b_ih, stored with row stride ld. With a `packedIh` buffer, W_ih
 *  is packed there (or, when `prepacked`, already is) so that single steps need not repack it. */
export function projectInputs(pre: usize, x: usize, W_ih: usize, b_ih: usize, // pre (T, B, ld), x (T, B, I), W_ih (G*H, I), b_ih (G*H)
                              rows: i32, I: i32, GH: i32, ld: i32,
                              packedIh: usize, prepacked: i32, // packedIh (gemm_packed_floats(I, G*H)) or 0
                              scratch: usize): void { // scratch (gemm_scratch_floats())
  if (packedIh == 0) {
    gemm_nt(pre, x, W_ih, rows, I, GH, I, I, ld, 0, scratch);
  } else {
    if (prepacked == 0) gemm_pack_nt(packedIh, W_ih, I, GH, I);
    gemm_packed(pre, x, packedIh, rows, I, GH, I, ld, 0);
  }
  bias_forward(pre, b_ih, rows, GH, ld);
}

/** dW (n, H) += dpre[:, col .. col+n]^T * hprev, where hprev row t is h0 for t = 0 and h[t-1] after. */
export function hiddenWeightGrad(dW: usize, dpre: usize, h: usize, h0: usize, // dW (n, H), dpre (T, B, ld), h (T, B, H), h0 (B, H)
                                 T: i32, B: i32, H: i32, n: i32, ld: i32, scratch: usize): void {
  gemm_tn(dW, dpre, h0, n, B, H, ld, H, H, 1, scratch);
  if (T > 1) {
    gemm_tn(dW, dpre + <usize>B * <usize>ld * 4, h, n, (T - 1) * B, H, ld, H, H, 1, scratch);
  }
}

/** Gradients reaching the input side of a layer: dW_ih += dpre^T x, db += column sums, dx += dpre W_ih. */
export function inputSideGrads(dW_ih: usize, db_ih: usize, dx: usize, // dW_ih (GH, I), db_ih (GH), dx (T, B, I)
                               dpre: usize, x: usize, W_ih: usize, // dpre (T, B, ld), x (T, B, I), W_ih (GH, I)
                               rows: i32, I: i32, GH: i32, ld: i32, scratch: usize): void {
  gemm_tn(dW_ih, dpre, x, GH, rows, I, ld, I, I, 1, scratch);
  bias_backward(db_ih, dpre, rows, GH, ld);
  gemm_nn(dx, dpre, W_ih, rows, GH, I, ld, I, I, 1, scratch);
}

/** Address of row block t of a (T, B, width) buffer. */
// @ts-ignore: decorator
@inline export function at(base: usize, t: i32, B: i32, width: i32): usize { // base (T, B, width)
  return base + <usize>t * <usize>B * <usize>width * 4;
}
