// Buffers, random fills and comparisons for the kernel tests.

let seed: u32 = 12345;

/** Uniform in [-1, 1) from a small LCG: the tests only need varied, repeatable values. */
export function rand(): f64 {
  seed = seed * 1664525 + 1013904223;
  return <f64>(seed >>> 8) / <f64>(1 << 23) - 1.0;
}

/** A float32 buffer of n random values in [-scale, scale). */
export function randomF32(n: i32, scale: f64 = 1): usize {
  const p = heap.alloc(<usize>max(n, 1) * 4);
  for (let i = 0; i < n; i++) store<f32>(p + <usize>i * 4, <f32>(rand() * scale));
  return p;
}

export function zerosF32(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) * 4);
  memory.fill(p, 0, <usize>max(n, 1) * 4);
  return p;
}

export function copyF32(src: usize, n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) * 4);
  memory.copy(p, src, <usize>n * 4);
  return p;
}

export function idsI32(n: i32, V: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) * 4);
  for (let i = 0; i < n; i++) store<i32>(p + <usize>i * 4, <i32>((rand() + 1) * 0.5 * <f64>V) % V);
  return p;
}

export function f32At(p: usize, i: i32): f32 {
  return load<f32>(p + <usize>i * 4);
}

/** Largest |a[i] - b[i]| / (1 + |b[i]|) over n floats. */
export function maxRelDiff(a: usize, b: usize, n: i32): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f64>f32At(a, i);
    const y = <f64>f32At(b, i);
    worst = Math.max(worst, Math.abs(x - y) / (1 + Math.abs(y)));
  }
  return worst;
}

export function toF64(p: usize, n: i32): StaticArray<f64> {
  const out = new StaticArray<f64>(n);
  for (let i = 0; i < n; i++) out[i] = <f64>f32At(p, i);
  return out;
}

/** The (V, E) table a dense scatter-add would give, from embedding_backward's touched rows and
 *  slots (zero rows where slot is -1). */
export function denseFromRows(rows: usize, slot: usize, V: i32, E: i32): usize {
  const dense = zerosF32(V * E);
  for (let id = 0; id < V; id++) {
    const s = load<i32>(slot + <usize>id * 4);
    if (s >= 0) memory.copy(dense + <usize>(id * E) * 4, rows + <usize>(s * E) * 4, <usize>E * 4);
  }
  return dense;
}
