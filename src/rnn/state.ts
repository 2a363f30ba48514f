/**
 * The recurrent state a model carries between calls: h (L, B, H) for every cell type, plus c (L, B, H)
 * for an LSTM. It lives in ordinary JavaScript memory, so states of several streams can be kept,
 * cloned and reordered (beam search) without touching the model's WASM memory.
 */
export class RecurrentState {
  private _batch: number;
  private h: Float32Array; // (L, B, H)
  private c: Float32Array | null; // (L, B, H) for an LSTM

  constructor(readonly numLayers: number, readonly hiddenSize: number, batch: number, readonly hasCell: boolean) {
    if (!Number.isInteger(batch) || batch <= 0) {
      throw new RangeError(`RecurrentState: batch must be a positive integer, got ${batch}`);
    }
    this._batch = batch;
    this.h = new Float32Array(numLayers * batch * hiddenSize);
    this.c = hasCell ? new Float32Array(numLayers * batch * hiddenSize) : null;
  }

  get batch(): number {
    return this._batch;
  }

  /** Back to all zeros. */
  reset(): void {
    this.h.fill(0);
    this.c?.fill(0);
  }

  clone(): RecurrentState {
    const copy = new RecurrentState(this.numLayers, this.hiddenSize, this._batch, this.hasCell);
    copy.loadArrays(this.toArrays());
    return copy;
  }

  /** New row i = old row index[i]; the batch becomes index.length. */
  select(index: Int32Array): void {
    if (index.length === 0) throw new RangeError('RecurrentState.select: index must not be empty');
    for (const i of index) {
      if (!Number.isInteger(i) || i < 0 || i >= this._batch) {
        throw new RangeError(`RecurrentState.select: row index ${i} is outside [0, ${this._batch})`);
      }
    }
    const pick = (src: Float32Array): Float32Array => {
      const H = this.hiddenSize;
      const out = new Float32Array(this.numLayers * index.length * H);
      for (let l = 0; l < this.numLayers; l++) {
        for (let r = 0; r < index.length; r++) {
          const from = (l * this._batch + index[r]) * H;
          out.set(src.subarray(from, from + H), (l * index.length + r) * H);
        }
      }
      return out;
    };
    this.h = pick(this.h);
    if (this.c) this.c = pick(this.c);
    this._batch = index.length;
  }

  /** Copies: [h] or [h, c], each (L, B, H). */
  toArrays(): Float32Array[] {
    return this.c ? [this.h.slice(), this.c.slice()] : [this.h.slice()];
  }

  /** Loads [h] or [h, c] of the same sizes as toArrays() gives. */
  loadArrays(arrays: Float32Array[]): void {
    const want = this.c ? 2 : 1;
    const size = this.h.length;
    if (arrays.length !== want || arrays.some((a) => !(a instanceof Float32Array) || a.length !== size)) {
      throw new RangeError(`RecurrentState.loadArrays: expected ${want} Float32Array(s) of ${size} ` +
        `(layers ${this.numLayers} x batch ${this._batch} x hidden ${this.hiddenSize}), got ` +
        `[${arrays.map((a) => a?.length).join(', ')}]`);
    }
    this.h.set(arrays[0]);
    if (this.c) this.c.set(arrays[1]);
  }

  /** Layer l's h rows (B, H), live (for the model to read and write). */
  hiddenOf(layer: number): Float32Array {
    const n = this._batch * this.hiddenSize;
    return this.h.subarray(layer * n, (layer + 1) * n);
  }

  /** Layer l's c rows (B, H), live; null unless LSTM. */
  cellOf(layer: number): Float32Array | null {
    const n = this._batch * this.hiddenSize;
    return this.c ? this.c.subarray(layer * n, (layer + 1) * n) : null;
  }
}
