/**
 * A bounded cache of BPE results per pre-token. Two generations approximate least-recently-used
 * eviction at the cost of one Map lookup: hits in the old generation move to the new one, and when
 * the new one is full the old one is dropped. At most 2 * generationSize entries are held.
 */
export class PieceCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly generationSize: number) {
    if (!(Number.isInteger(generationSize) && generationSize >= 1)) {
      throw new RangeError(`PieceCache: size must be an integer >= 1, got ${generationSize}`);
    }
  }

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
