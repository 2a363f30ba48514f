// Finite-difference checks of every backward kernel: the float32 kernels' gradients against
// central differences of a float64 reference forward, over every input and parameter.
import { gemm_scratch_floats } from '../assembly/gemm';
import { recurrent_packed_floats } from '../assembly/recurrent';
import { embedding_backward } from '../assembly/embedding';
import { bias_backward } from '../assembly/bias';
import { rnn_forward, rnn_backward } from '../assembly/rnn';
import { lstm_forward, lstm_backward } from '../assembly/lstm';
import { gru_forward, gru_backward } from '../assembly/gru';
import { xent_forward, xent_backward, head_forward, head_backward } from '../assembly/xent';
import { rand, randomF32, zerosF32, f32At, denseFromRows } from './util';
import { Problem, LayerShape, layerLoss, xentLoss, headLoss, gradientError } from './reference';

const TOLERANCE: f64 = 2e-3;
const scratch = zerosF32(gemm_scratch_floats());

function randomTheta(n: i32, scale: f64): StaticArray<f64> {
  const out = new StaticArray<f64>(n);
  // Float32-representable values, so the kernels and the reference start from the same point.
  for (let i = 0; i < n; i++) out[i] = <f64><f32>(rand() * scale);
  return out;
}

function toF32(theta: StaticArray<f64>, off: i32, n: i32): usize {
  const p = zerosF32(n);
  for (let i = 0; i < n; i++) store<f32>(p + <usize>i * 4, <f32>theta[off + i]);
  return p;
}

function fromF32(out: StaticArray<f64>, off: i32, p: usize, n: i32): void {
  for (let i = 0; i < n; i++) out[off + i] = <f64>f32At(p, i);
}

function randomTargets(N: i32, V: i32): StaticArray<i32> {
  const t = new StaticArray<i32>(N);
  for (let n = 0; n < N; n++) t[n] = <i32>((rand() + 1) * 0.5 * <f64>V) % V;
  return t;
}

function targetsI32(t: StaticArray<i32>): usize {
  const p = heap.alloc(<usize>t.length * 4);
  for (let i = 0; i < t.length; i++) store<i32>(p + <usize>i * 4, t[i]);
  return p;
}

class LayerProblem extends Problem {
  h0: StaticArray<f64>;
  c0: StaticArray<f64>;
  R: StaticArray<f64>;
  constructor(public s: LayerShape) {
    super();
    this.h0 = randomTheta(s.B * s.H, 0.5);
    this.c0 = randomTheta(s.B * s.H, 0.5);
    this.R = randomTheta(s.T * s.B * s.H, 1);
  }
  size(): i32 { return this.s.size(); }
  loss(theta: StaticArray<f64>): f64 {
    const zero = new StaticArray<f64>(this.s.B * this.s.H);
    return layerLoss(this.s, theta, this.h0, this.s.cell == 1 ? this.c0 : zero, this.R);
  }
  analytic(theta: StaticArray<f64>): StaticArray<f64> {
    const s = this.s;
    const T = s.T, B = s.B, I = s.I, H = s.H, GH = s.gates() * H;
    const x = toF32(theta, s.xOff(), T * B * I);
    const Wih = toF32(theta, s.wihOff(), GH * I);
    const Whh = toF32(theta, s.whhOff(), GH * H);
    const bih = toF32(theta, s.bihOff(), GH);
    const bhh = toF32(theta, s.bhhOff(), GH);
    const h0 = toF32(this.h0, 0, B * H);
    const c0 = toF32(this.c0, 0, B * H);
    const h = zerosF32(T * B * H);
    const c = zerosF32(T * B * H);
    const gates = zerosF32(T * B * 4 * H);
    const dh = toF32(this.R, 0, T * B * H);
    const dx = zerosF32(T * B * I), dWih = zerosF32(GH * I), dWhh = zerosF32(GH * H);
    const dbih = zerosF32(GH), dbhh = zerosF32(GH);
    const packed = zerosF32(recurrent_packed_floats(s.gates(), H));
    if (s.cell == 0) {
      rnn_forward(h, x, h0, Wih, Whh, bih, bhh, T, B, I, H, packed, 0, 0, scratch);
      rnn_backward(dWih, dWhh, dbih, dbhh, dx, dh, h, x, h0, Wih, Whh, T, B, I, H, packed, scratch);
    } else if (s.cell == 1) {
      lstm_forward(h, c, gates, x, h0, c0, Wih, Whh, bih, bhh, T, B, I, H, packed, 0, 0, scratch);
      lstm_backward(dWih, dWhh, dbih, dbhh, dx, dh, zerosF32(B * H), gates, h, c, x, h0, c0, Wih, Whh, T, B, I, H, packed, scratch);
    } else {
      gru_forward(h, gates, x, h0, Wih, Whh, bih, bhh, T, B, I, H, zerosF32(B * 3 * H), packed, 0, 0, scratch);
      gru_backward(dWih, dWhh, dbih, dbhh, dx, dh, gates, h, x, h0, Wih, Whh, T, B, I, H, packed, scratch);
    }
    const out = new StaticArray<f64>(s.size());
    fromF32(out, s.xOff(), dx, T * B * I);
    fromF32(out, s.wihOff(), dWih, GH * I);
    fromF32(out, s.whhOff(), dWhh, GH * H);
    fromF32(out, s.bihOff(), dbih, GH);
    fromF32(out, s.bhhOff(), dbhh, GH);
    return out;
  }
}

class HeadProblem extends Problem {
  targets: StaticArray<i32>;
  constructor(public N: i32, public H: i32, public V: i32, public R: i32) {
    super();
    this.targets = randomTargets(N, V);
  }
  size(): i32 { return this.N * this.H + this.V * this.H + this.V; }
  loss(theta: StaticArray<f64>): f64 {
    return headLoss(theta, this.targets, this.N, this.H, this.V, 1.0 / <f64>this.N);
  }
  analytic(theta: StaticArray<f64>): StaticArray<f64> {
    const N = this.N, H = this.H, V = this.V;
    const h = toF32(theta, 0, N * H), W = toF32(theta, N * H, V * H), b = toF32(theta, N * H + V * H, V);
    const dh = zerosF32(N * H), dW = zerosF32(V * H), db = zerosF32(V);
    const sum = head_backward(dh, dW, db, zerosF32(this.R * V), h, W, b, targetsI32(this.targets),
                              <f32>(1.0 / <f64>N), N, H, V, this.R, scratch);
    expect<f64>(Math.abs(sum / <f64>N - this.loss(theta))).toBeLessThan(1e-5, 'head loss');
    const out = new StaticArray<f64>(this.size());
    fromF32(out, 0, dh, N * H);
    fromF32(out, N * H, dW, V * H);
    fromF32(out, N * H + V * H, db, V);
    return out;
  }
}

class XentProblem extends Problem {
  targets: StaticArray<i32>;
  constructor(public N: i32, public V: i32) {
    super();
    this.targets = randomTargets(N, V);
  }
  size(): i32 { return this.N * this.V; }
  loss(theta: StaticArray<f64>): f64 { return xentLoss(theta, 0, this.targets, this.N, this.V, 0.5); }
  analytic(theta: StaticArray<f64>): StaticArray<f64> {
    const logits = toF32(theta, 0, this.N * this.V);
    xent_backward(logits, targetsI32(this.targets), 0.5, this.N, this.V);
    const out = new StaticArray<f64>(this.size());
    fromF32(out, 0, logits, this.N * this.V);
    return out;
  }
}

/** Embedding (theta = table (V, E)) or bias (theta = b (E), V = 0) against a weighting R (N, E). */
class LinearProblem extends Problem {
  ids: StaticArray<i32>;
  R: StaticArray<f64>;
  constructor(public N: i32, public V: i32, public E: i32) {
    super();
    this.ids = randomTargets(N, max(V, 1));
    this.R = randomTheta(N * E, 1);
  }
  size(): i32 { return max(this.V, 1) * this.E; }
  loss(theta: StaticArray<f64>): f64 {
    let s: f64 = 0;
    for (let n = 0; n < this.N; n++) {
      const row = this.V > 0 ? this.ids[n] : 0;
      for (let e = 0; e < this.E; e++) s += this.R[n * this.E + e] * theta[row * this.E + e];
    }
    return s;
  }
  analytic(theta: StaticArray<f64>): StaticArray<f64> {
    let grad = zerosF32(this.size());
    const R = toF32(this.R, 0, this.N * this.E);
    if (this.V > 0) {
      const rows = zerosF32(this.N * this.E);
      const slot = heap.alloc(<usize>this.V * 4);
      embedding_backward(rows, slot, R, targetsI32(this.ids), this.N, this.V, this.E);
      grad = denseFromRows(rows, slot, this.V, this.E);
    } else {
      bias_backward(grad, R, this.N, this.E, this.E);
    }
    const out = new StaticArray<f64>(this.size());
    fromF32(out, 0, grad, this.size());
    return out;
  }
}

function checkLayer(cell: i32): void {
  // B and H not multiples of 4; T long enough for gradients to travel several steps.
  const s = new LayerShape(cell, 4, 3, 5, 6);
  const p = new LayerProblem(s);
  expect<f64>(gradientError(p, randomTheta(p.size(), 0.6))).toBeLessThan(TOLERANCE);
}

describe('losses', () => {
  it('xent_forward and head_forward match the float64 losses', () => {
    const N = 7, H = 5, V = 11;
    const theta = randomTheta(N * H + V * H + V, 1);
    const targets = randomTargets(N, V);
    const t = targetsI32(targets);
    // Rows of 11 logits: vector body and scalar tail in every row.
    const logits = toF32(theta, 0, N * V);
    const losses = zerosF32(N);
    xent_forward(losses, logits, t, N, V);
    for (let n = 0; n < N; n++) {
      const row = new StaticArray<f64>(V);
      for (let j = 0; j < V; j++) row[j] = theta[n * V + j];
      const one = new StaticArray<i32>(1);
      one[0] = targets[n];
      expect<f64>(Math.abs(<f64>f32At(losses, n) - xentLoss(row, 0, one, 1, V, 1))).toBeLessThan(1e-5);
    }
    const h = toF32(theta, 0, N * H), W = toF32(theta, N * H, V * H), b = toF32(theta, N * H + V * H, V);
    const sum = head_forward(zerosF32(3 * V), h, W, b, t, N, H, V, 3, scratch);
    expect<f64>(Math.abs(sum - headLoss(theta, targets, N, H, V, 1))).toBeLessThan(1e-4);
  });
});

describe('gradient checks', () => {
  it('rnn_backward', () => { checkLayer(0); });
  it('lstm_backward', () => { checkLayer(1); });
  it('gru_backward', () => { checkLayer(2); });
  it('head_backward over several row chunks', () => {
    const p = new HeadProblem(7, 5, 11, 3);
    expect<f64>(gradientError(p, randomTheta(p.size(), 1))).toBeLessThan(TOLERANCE);
  });
  it('xent_backward', () => {
    const p = new XentProblem(5, 9);
    expect<f64>(gradientError(p, randomTheta(p.size(), 2))).toBeLessThan(TOLERANCE);
  });
  it('embedding_backward with repeated ids', () => {
    const p = new LinearProblem(13, 4, 7);
    expect<f64>(gradientError(p, randomTheta(p.size(), 1))).toBeLessThan(TOLERANCE);
  });
  it('bias_backward', () => {
    const p = new LinearProblem(9, 0, 7);
    expect<f64>(gradientError(p, randomTheta(p.size(), 1))).toBeLessThan(TOLERANCE);
  });
});
