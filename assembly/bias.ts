// Bias broadcast over rows and its backward (column sums).
// Dimension legend: M rows, N columns, ld the row stride of the matrix in floats.

/** C[i, j] += b[j] for every row i. */
export function bias_forward(C: usize, b: usize, // C (M, ld), b (N)
                             M: i32, N: i32, ld: i32): void {
  for (let i = 0; i < M; i++) {
    const row = C + <usize>i * <usize>ld * 4;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j * 4;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(b + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j * 4;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(b + o));
    }
  }
}

/** db[j] += sum over rows i of dC[i, j]. Sixteen columns (a cache line) are summed per walk down
 *  the rows, so each line of dC is read once; every column still sums its rows in order. */
export function bias_backward(db: usize, dC: usize, // db (N), dC (M, ld)
                              M: i32, N: i32, ld: i32): void {
  const rowBytes = <usize>ld * 4;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = dC + <usize>j * 4;
    for (let i = 0; i < M; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rowBytes;
    }
    const d = db + <usize>j * 4;
    v128.store(d, f32x4.add(v128.load(d), s0));
    v128.store(d, f32x4.add(v128.load(d, 16), s1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), s2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), s3), 48);
  }
  for (; j + 4 <= N; j += 4) {
    let s = f32x4.splat(0);
    for (let i = 0; i < M; i++) s = f32x4.add(s, v128.load(dC + (<usize>i * <usize>ld + <usize>j) * 4));
    v128.store(db + <usize>j * 4, f32x4.add(v128.load(db + <usize>j * 4), s));
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(dC + (<usize>i * <usize>ld + <usize>j) * 4);
    store<f32>(db + <usize>j * 4, load<f32>(db + <usize>j * 4) + s);
  }
}
