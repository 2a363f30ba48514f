/** A growable buffer of token ids: appending to an Int32Array is cheaper than to a number[]. */
export class IdBuffer {
  private ids: Int32Array; // (capacity)
  length = 0;

  constructor(capacity: number) {
    this.ids = new Int32Array(Math.max(16, capacity));
  }

  push(id: number): void {
    if (this.length === this.ids.length) this.grow(1);
    this.ids[this.length++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.length + ids.length > this.ids.length) this.grow(ids.length);
    this.ids.set(ids, this.length);
    this.length += ids.length;
  }

  toArray(): number[] {
    const out = new Array<number>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.ids[i];
    return out;
  }

  /** The ids, for a buffer that is done with: its own storage when that is exactly full, since a
   *  copy of a corpus's ids can be hundreds of MB. */
  toInt32Array(): Int32Array {
    return this.length === this.ids.length ? this.ids : this.ids.slice(0, this.length);
  }

  private grow(extra: number): void {
    const next = new Int32Array(Math.max(this.ids.length * 2, this.length + extra));
    next.set(this.ids.subarray(0, this.length));
    this.ids = next;
  }
}
