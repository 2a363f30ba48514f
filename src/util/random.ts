/** Seeds are taken as 32 bits: a wider one would silently share a narrower one's sequence. */
export const SEED_RANGE = 'an integer from -2147483648 to 4294967295';

export function isSeed(seed: unknown): seed is number {
  return Number.isInteger(seed) && (seed as number) >= -0x80000000 && (seed as number) <= 0xffffffff;
}

/**
 * Seeded pseudo-random numbers that give the same sequence in every runtime: integer-only state
 * (xoshiro128**, seeded by splitmix32), so Node, Deno and browsers sample the same text from the
 * same seed. State can be saved and restored for an exact training resume.
 *
 * `const random = new Random(42); random.uniform(); await generate(gpt2.model, [ids], { doSample: true, random });`
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** A generator seeded with `seed`, an integer from -2^31 to 2^32 - 1 (default 0); the same seed gives the same sequence everywhere. */
  constructor(seed: number = 0) {
    if (!isSeed(seed)) throw new RangeError(`Random: seed must be ${SEED_RANGE}, got ${seed}`);
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness (exactly representable, so identical everywhere). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296 && Number.isInteger(n))) {
      throw new RangeError(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller; Math.log/cos/sin may differ in the last bit between engines). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Snapshot of the generator state, for checkpoints. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Continues from a state that getState() returned (4 unsigned 32-bit integers). */
  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new TypeError(`Random.setState: expected 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    // xoshiro's one fixed point: from an all-zero state every draw is 0. getState() never returns it.
    if (state.every((v) => v === 0)) throw new RangeError('Random.setState: the state is all zeros, which xoshiro128** never leaves; pass a state from getState()');
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0) as [number, number, number, number];
    this.spareNormal = null;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
