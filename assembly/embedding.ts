// Embedding lookup and its scatter-add backward.
// Dimension legend: N looked-up rows (T * B), V vocabulary, E embedding width.

/** out[n] = table[ids[n]]. Ids are validated by the host before the call. */
export function embedding_forward(out: usize, table: usize, ids: usize, // out (N, E), table (V, E), ids (N) i32
                                  N: i32, E: i32): void {
  const rowBytes = <usize>E * 4;
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + <usize>n * 4);
    memory.copy(out + <usize>n * rowBytes, table + <usize>id * rowBytes, rowBytes);
  }
}

/** dtable[ids[n]] += dout[n]; repeated ids add up. */
export function embedding_backward(dtable: usize, dout: usize, ids: usize, // dtable (V, E), dout (N, E), ids (N) i32
                                   N: i32, E: i32): void {
  const rowBytes = <usize>E * 4;
  for (let n = 0; n < N; n++) {
    const dst = dtable + <usize>load<i32>(ids + <usize>n * 4) * rowBytes;
    const src = dout + <usize>n * rowBytes;
    let e = 0;
    for (; e + 4 <= E; e += 4) {
      const o = <usize>e * 4;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; e < E; e++) {
      const o = <usize>e * 4;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}
