// Softmax cross-entropy, alone and fused with the output layer (logits = h W^T + b).
// Dimension legend: N rows (T * B), V vocabulary, H hidden, R rows per chunk.
// The fused head walks the rows in chunks of R so only (R, V) logits exist at any time.

import { gemm_nt, gemm_nn, gemm_tn } from './gemm';
import { bias_forward, bias_backward } from './bias';
import { maxOf, sumExp } from './simd';

// Loss of one row: logsumexp(logits) - logits[target].
function rowLoss(row: usize, target: i32, V: i32): f64 { // row (V)
  const mx = maxOf(row, V);
  const s = sumExp(row, V, mx, 0);
  return <f64>(Mathf.log(s) + mx - load<f32>(row + <usize>target * 4));
}

// Turns one row of logits into (softmax - onehot(target)) * scale, in place; returns its loss.
function rowGrad(row: usize, target: i32, V: i32, scale: f32): f64 { // row (V) in/out
  const mx = maxOf(row, V);
  const loss0 = mx - load<f32>(row + <usize>target * 4);
  const s = sumExp(row, V, mx, row);
  const k = scale / s;
  let j = 0;
  const kv = f32x4.splat(k);
  for (; j + 4 <= V; j += 4) {
    const p = row + <usize>j * 4;
    v128.store(p, f32x4.mul(v128.load(p), kv));
  }
  for (; j < V; j++) {
    const p = row + <usize>j * 4;
    store<f32>(p, load<f32>(p) * k);
  }
  const pt = row + <usize>target * 4;
  store<f32>(pt, load<f32>(pt) - scale);
  return <f64>(Mathf.log(s) + loss0);
}

/** losses[n] = -log softmax(logits[n])[targets[n]]. */
export function xent_forward(losses: usize, logits: usize, targets: usize, // losses (N), logits (N, V), targets (N) i32
                             N: i32, V: i32): void {
  for (let n = 0; n < N; n++) {
    const row = logits + <usize>n * <usize>V * 4;
    store<f32>(losses + <usize>n * 4, <f32>rowLoss(row, load<i32>(targets + <usize>n * 4), V));
  }
}

/** logits (N, V) become d(scale * sum of row losses)/d logits, in place; returns the loss sum. */
export function xent_backward(logits: usize, targets: usize, // logits (N, V) in/out, targets (N) i32
                              scale: f32, N: i32, V: i32): f64 {
  let total: f64 = 0;
  for (let n = 0; n < N; n++) {
    total += rowGrad(logits + <usize>n * <usize>V * 4, load<i32>(targets + <usize>n * 4), V, scale);
  }
  return total;
}

/** Sum over the N rows of the cross-entropy of (h W^T + b) against targets, without gradients. */
export function head_forward(logits: usize, // (R, V) work
                             h: usize, W: usize, b: usize, targets: usize, // h (N, H), W (V, H), b (V), targets (N) i32
                             N: i32, H: i32, V: i32, R: i32,
                             scratch: usize): f64 { // scratch (gemm_scratch_floats())
  let total: f64 = 0;
  for (let r0 = 0; r0 < N; r0 += R) {
    const rows = min(R, N - r0);
    gemm_nt(logits, h + <usize>r0 * <usize>H * 4, W, rows, H, V, H, H, V, 0, scratch);
    for (let n = 0; n < rows; n++) {
      const row = logits + <usize>n * <usize>V * 4;
      bias_forward(row, b, 1, V, V);
      total += rowLoss(row, load<i32>(targets + <usize>(r0 + n) * 4), V);
    }
  }
  return total;
}

/** Forward and backward of the head together, chunk by chunk: returns the loss sum and
 *  accumulates the gradients of scale * (that sum) into dh, dW and db. */
export function head_backward(dh: usize, dW: usize, db: usize, // dh (N, H), dW (V, H), db (V)
                              logits: usize, // (R, V) work
                              h: usize, W: usize, b: usize, targets: usize, // h (N, H), W (V, H), b (V), targets (N) i32
                              scale: f32, N: i32, H: i32, V: i32, R: i32,
                              scratch: usize): f64 { // scratch (gemm_scratch_floats())
  let total: f64 = 0;
  for (let r0 = 0; r0 < N; r0 += R) {
    const rows = min(R, N - r0);
    const hc = h + <usize>r0 * <usize>H * 4; // (rows, H)
    gemm_nt(logits, hc, W, rows, H, V, H, H, V, 0, scratch);
    // Row by row, so the bias, softmax and bias-gradient passes find the row in cache instead
    // of streaming the whole chunk through memory once each.
    for (let n = 0; n < rows; n++) {
      const row = logits + <usize>n * <usize>V * 4;
      bias_forward(row, b, 1, V, V);
      total += rowGrad(row, load<i32>(targets + <usize>(r0 + n) * 4), V, scale);
      bias_backward(db, row, 1, V, V);
    }
    gemm_tn(dW, logits, hc, V, rows, H, V, H, H, 1, scratch);
    gemm_nn(dh + <usize>r0 * <usize>H * 4, logits, W, rows, V, H, V, H, H, 1, scratch);
  }
  return total;
}
