// Float64 reference forwards for the finite-difference gradient checks. Each loss is a fixed
// random weighting R of a kernel's outputs (or the kernel's own loss), computed from a flat
// parameter vector theta so that any entry can be perturbed.

/** A loss in float64 and the gradient the float32 backward kernels report, both over theta. */
export abstract class Problem {
  abstract size(): i32;
  abstract loss(theta: StaticArray<f64>): f64;
  abstract analytic(theta: StaticArray<f64>): StaticArray<f64>;
}

function sig(x: f64): f64 {
  return 1 / (1 + Math.exp(-x));
}

/** Layer offsets inside theta = [x (T,B,I), W_ih (GH,I), W_hh (GH,H), b_ih (GH), b_hh (GH)]. */
export class LayerShape {
  constructor(public cell: i32, public T: i32, public B: i32, public I: i32, public H: i32) {}
  gates(): i32 { return this.cell == 1 ? 4 : this.cell == 2 ? 3 : 1; }
  xOff(): i32 { return 0; }
  wihOff(): i32 { return this.T * this.B * this.I; }
  whhOff(): i32 { return this.wihOff() + this.gates() * this.H * this.I; }
  bihOff(): i32 { return this.whhOff() + this.gates() * this.H * this.H; }
  bhhOff(): i32 { return this.bihOff() + this.gates() * this.H; }
  size(): i32 { return this.bhhOff() + this.gates() * this.H; }
}

/** sum over t, b, k of R[t,b,k] * h_t[b,k] for cell 0 (tanh RNN), 1 (LSTM i,f,g,o) or 2 (GRU r,z,n). */
export function layerLoss(s: LayerShape, th: StaticArray<f64>, h0: StaticArray<f64>, c0: StaticArray<f64>, R: StaticArray<f64>): f64 {
  const T = s.T, B = s.B, I = s.I, H = s.H, GH = s.gates() * H;
  const h = new StaticArray<f64>(B * H);
  const c = new StaticArray<f64>(B * H);
  for (let i = 0; i < B * H; i++) { h[i] = h0[i]; c[i] = c0[i]; }
  const gi = new StaticArray<f64>(GH);
  const gh = new StaticArray<f64>(GH);
  const hNew = new StaticArray<f64>(H);
  let loss: f64 = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < GH; j++) {
        let a = th[s.bihOff() + j];
        for (let i = 0; i < I; i++) a += th[s.wihOff() + j * I + i] * th[s.xOff() + (t * B + b) * I + i];
        let r = th[s.bhhOff() + j];
        for (let k = 0; k < H; k++) r += th[s.whhOff() + j * H + k] * h[b * H + k];
        gi[j] = a;
        gh[j] = r;
      }
      for (let k = 0; k < H; k++) {
        const hp = h[b * H + k];
        if (s.cell == 0) {
          hNew[k] = Math.tanh(gi[k] + gh[k]);
        } else if (s.cell == 1) {
          const ig = sig(gi[k] + gh[k]);
          const fg = sig(gi[H + k] + gh[H + k]);
          const gg = Math.tanh(gi[2 * H + k] + gh[2 * H + k]);
          const og = sig(gi[3 * H + k] + gh[3 * H + k]);
          const cv = fg * c[b * H + k] + ig * gg;
          c[b * H + k] = cv;
          hNew[k] = og * Math.tanh(cv);
        } else {
          const r = sig(gi[k] + gh[k]);
          const z = sig(gi[H + k] + gh[H + k]);
          const n = Math.tanh(gi[2 * H + k] + r * gh[2 * H + k]);
          hNew[k] = (1 - z) * n + z * hp;
        }
      }
      for (let k = 0; k < H; k++) {
        h[b * H + k] = hNew[k];
        loss += R[(t * B + b) * H + k] * hNew[k];
      }
    }
  }
  return loss;
}

/** scale * sum over rows of the cross-entropy of logits (N, V) against targets. */
export function xentLoss(logits: StaticArray<f64>, off: i32, targets: StaticArray<i32>, N: i32, V: i32, scale: f64): f64 {
  let total: f64 = 0;
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, logits[off + n * V + j]);
    let s: f64 = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[off + n * V + j] - mx);
    total += Math.log(s) + mx - logits[off + n * V + targets[n]];
  }
  return scale * total;
}

/** Head loss with theta = [h (N,H), W (V,H), b (V)]: xentLoss of h W^T + b. */
export function headLoss(th: StaticArray<f64>, targets: StaticArray<i32>, N: i32, H: i32, V: i32, scale: f64): f64 {
  const logits = new StaticArray<f64>(N * V);
  const wOff = N * H, bOff = N * H + V * H;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < V; j++) {
      let a = th[bOff + j];
      for (let k = 0; k < H; k++) a += th[n * H + k] * th[wOff + j * H + k];
      logits[n * V + j] = a;
    }
  }
  return xentLoss(logits, 0, targets, N, V, scale);
}

/** Worst |analytic - central difference| / (1e-3 + |central difference|) over every entry of theta. */
export function gradientError(p: Problem, theta: StaticArray<f64>): f64 {
  const grad = p.analytic(theta);
  const eps: f64 = 1e-6;
  let worst: f64 = 0;
  for (let i = 0; i < p.size(); i++) {
    const keep = theta[i];
    theta[i] = keep + eps;
    const up = p.loss(theta);
    theta[i] = keep - eps;
    const down = p.loss(theta);
    theta[i] = keep;
    const fd = (up - down) / (2 * eps);
    worst = Math.max(worst, Math.abs(grad[i] - fd) / (1e-3 + Math.abs(fd)));
  }
  return worst;
}
