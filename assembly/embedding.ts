// Embedding lookup and its scatter-add backward, which keeps only the rows the batch touched.
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

const TOUCHED: i32 = -2;

/** The table's gradient as the rows the batch touched, so it takes (touched, E) instead of (V, E):
 *  slot[id] becomes the row of `rows` that holds id's gradient (rows in increasing id order) or -1
 *  for an id the batch does not contain; rows[slot[id]] = the sum of dout[n] over ids[n] = id,
 *  added in n order (the bits a dense scatter-add would give). Returns the number of touched rows. */
export function embedding_backward(rows: usize, slot: usize, // rows (min(N, V), E) out, slot (V) i32 out
                                   dout: usize, ids: usize, // dout (N, E), ids (N) i32
                                   N: i32, V: i32, E: i32): i32 {
  memory.fill(slot, 0xff, <usize>V * 4); // -1 everywhere
  for (let n = 0; n < N; n++) store<i32>(slot + <usize>load<i32>(ids + <usize>n * 4) * 4, TOUCHED);
  let touched = 0;
  for (let id = 0; id < V; id++) {
    const at = slot + <usize>id * 4;
    if (load<i32>(at) == TOUCHED) store<i32>(at, touched++);
  }
  const rowBytes = <usize>E * 4;
  memory.fill(rows, 0, <usize>touched * rowBytes);
  for (let n = 0; n < N; n++) {
    const dst = rows + <usize>load<i32>(slot + <usize>load<i32>(ids + <usize>n * 4) * 4) * rowBytes;
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
  return touched;
}
