// Adam / AdamW update and the pieces of clip_grad_norm_, over flat float32 buffers.
// Dimension legend: n the number of floats in one tensor.

/** One Adam step for one tensor, as PyTorch 1.13's single-tensor Adam:
 *    g += l2 * p (Adam weight_decay);  p *= decay (AdamW: 1 - lr * weight_decay);
 *    m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
 *    p += (-stepSize * m) / (sqrt(v) / bc2sqrt + eps)
 *  with stepSize = lr / (1 - beta1^step) and bc2sqrt = sqrt(1 - beta2^step) from the host. */
export function adam_step(param: usize, m: usize, v: usize, // param, m, v (n) in/out
                          grad: usize, // (n)
                          n: i32, beta1: f32, beta2: f32, stepSize: f32, bc2sqrt: f32, eps: f32,
                          l2: f32, decay: f32): void {
  const b1 = f32x4.splat(beta1), ob1 = f32x4.splat(<f32>1 - beta1);
  const b2 = f32x4.splat(beta2), ob2 = f32x4.splat(<f32>1 - beta2);
  const ss = f32x4.splat(-stepSize), bc = f32x4.splat(bc2sqrt), ep = f32x4.splat(eps);
  const l2v = f32x4.splat(l2), dv = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    let p = v128.load(param + o);
    let g = v128.load(grad + o);
    if (l2 != 0) g = f32x4.add(g, f32x4.mul(p, l2v));
    if (decay != 1) p = f32x4.mul(p, dv);
    const mv = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(g, ob1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(ob2, g), g));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), bc), ep);
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    v128.store(param + o, f32x4.add(p, f32x4.div(f32x4.mul(ss, mv), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    let p = load<f32>(param + o);
    let g = load<f32>(grad + o);
    if (l2 != 0) g = g + p * l2;
    if (decay != 1) p = p * decay;
    const mv = load<f32>(m + o) * beta1 + g * (<f32>1 - beta1);
    const vv = load<f32>(v + o) * beta2 + (<f32>1 - beta2) * g * g;
    const denom = Mathf.sqrt(vv) / bc2sqrt + eps;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(param + o, p + (-stepSize * mv) / denom);
  }
}

/** adam_step over a (V, E) table whose gradient comes as embedding_backward's touched rows and
 *  slots: a row the batch did not touch steps with `zero` (E floats of 0), exactly as with a dense
 *  gradient, since its moments still decay. */
export function adam_rows(param: usize, m: usize, v: usize, // param, m, v (V, E) in/out
                          rows: usize, slot: usize, zero: usize, // rows (touched, E), slot (V) i32, zero (E)
                          V: i32, E: i32, beta1: f32, beta2: f32, stepSize: f32, bc2sqrt: f32, eps: f32,
                          l2: f32, decay: f32): void {
  const rowBytes = <usize>E * 4;
  for (let id = 0; id < V; id++) {
    const s = load<i32>(slot + <usize>id * 4);
    const at = <usize>id * rowBytes;
    adam_step(param + at, m + at, v + at, s < 0 ? zero : rows + <usize>s * rowBytes, E,
              beta1, beta2, stepSize, bc2sqrt, eps, l2, decay);
  }
}

/** Sum of squares of x, accumulated in float64 (for the global gradient norm). */
export function sum_squares(x: usize, n: i32): f64 { // x (n)
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + <usize>i * 4);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    acc = f64x2.add(acc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    s += v * v;
  }
  return s;
}

/** x *= s (clip_grad_norm_ applies its coefficient this way). */
export function scale(x: usize, n: i32, s: f32): void { // x (n) in/out
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}
