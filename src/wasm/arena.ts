/**
 * One model's slice of WASM memory: a bump allocator with a table of named regions. Fixed regions
 * (parameters, gradients, Adam moments, scratch) are allocated once; per-call activations sit above a
 * mark and are re-laid out whenever the batch shape changes. A fixed region that comes later (training's,
 * once a model that generated starts to train) takes the place of the dropped activations and moves the
 * mark above itself. Typed views are rebuilt whenever the memory has grown, since growing detaches the
 * old ArrayBuffer.
 */
import type { KernelExports } from './kernels.js';

export type RegionKind = 'params' | 'grads' | 'adam' | 'activations' | 'scratch';

export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  /** Byte offset in the instance's memory (what kernels take as a pointer). */
  readonly ptr: number;
  /** Size in 4-byte elements (float32 or int32). */
  readonly length: number;
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB at most (65536 pages). */
export const WASM32_MAX_BYTES = 4_294_967_296;
const ALIGN = 64;

export class Arena {
  readonly kernels: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly regions = new Map<string, Region>();
  /** Where the first region starts: below it lies the module's static data. */
  private readonly base: number;
  private top: number;
  private mark = -1;
  private peak: number;
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);

  /** `advice` completes the out-of-memory message: which configuration to shrink. */
  constructor(kernels: KernelExports, private readonly advice: string) {
    this.kernels = kernels;
    this.memory = kernels.memory;
    this.base = alignUp(kernels.heap_base());
    this.top = this.base;
    this.peak = this.top;
  }

  /** Highest byte offset any layout of this arena has reached. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Reserves `length` 4-byte elements under `name` (64-byte aligned, contents unspecified). A fixed
   *  region (any kind but 'activations') needs no activations laid out: resetActivations() drops them. */
  alloc(name: string, kind: RegionKind, length: number): Region {
    if (this.regions.has(name)) throw new Error(`Arena: region '${name}' already exists`);
    const fixed = kind !== 'activations';
    if (fixed && this.regionsOf('activations').length > 0) {
      throw new Error(`Arena: fixed region '${name}' cannot be allocated above activations; call resetActivations() first`);
    }
    const ptr = this.top;
    const end = alignUp(ptr + length * 4);
    this.ensure(end, `region '${name}'`);
    const region: Region = { name, kind, ptr, length };
    this.regions.set(name, region);
    this.top = end;
    if (fixed && this.mark >= 0) this.mark = end;
    this.peak = Math.max(this.peak, end);
    return region;
  }

  /** Where `lengths` (4-byte elements each) allocated one after another from here would end, in
   *  bytes, without reserving anything: a layout can be sized before it is chosen. */
  endAfter(lengths: number[]): number {
    return lengths.reduce((top, length) => alignUp(top + length * 4), this.top);
  }

  /**
   * Grows the memory, before anything is reserved, to hold regions of `lengths` (4-byte elements
   * each) allocated one after another from here; throws a RangeError naming `what` they are, the
   * bytes in all and the 4 GiB limit when they cannot fit, then `advice`.
   */
  requireRoom(lengths: number[], what: string, advice: string): void {
    const end = this.endAfter(lengths);
    if (end > WASM32_MAX_BYTES) {
      throw new RangeError(`${what} need ${mib(end - this.top)} of WASM memory` +
        (this.top > this.base ? ` on top of the ${mib(this.top)} already in use, ${mib(end)} in all` : '') +
        `, but wasm32 memory is limited to 4 GiB (${WASM32_MAX_BYTES} bytes). ${advice}`);
    }
    this.ensure(end, what, advice);
  }

  /** Drops every activation region, so the next batch shape can lay out its own. */
  resetActivations(): void {
    if (this.mark < 0) {
      this.mark = this.top;
      return;
    }
    for (const [name, region] of this.regions) {
      if (region.kind === 'activations') this.regions.delete(name);
    }
    this.top = this.mark;
  }

  region(name: string): Region {
    const region = this.regions.get(name);
    if (!region) throw new Error(`Arena: no region named '${name}'`);
    return region;
  }

  /** Regions of one kind in allocation order. */
  regionsOf(kind: RegionKind): Region[] {
    return [...this.regions.values()].filter((r) => r.kind === kind);
  }

  /** Float32 view of a region (valid until the next alloc). */
  f32(region: Region): Float32Array {
    this.refresh();
    return this.f32View.subarray(region.ptr >>> 2, (region.ptr >>> 2) + region.length);
  }

  /** Int32 view of a region (valid until the next alloc). */
  i32(region: Region): Int32Array {
    this.refresh();
    return this.i32View.subarray(region.ptr >>> 2, (region.ptr >>> 2) + region.length);
  }

  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
    }
  }

  private ensure(end: number, label: string, advice = this.advice): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const fail = (why: string) => new Error(
      `WASM memory cannot grow to ${mib(end)} for ${label} (it holds ${mib(have)}; ` +
      `${mib(end - have)} more was asked): ${why}. ${advice}`);
    if (end > WASM32_MAX_BYTES) {
      throw fail(`wasm32 memory is limited to 4 GiB (${WASM32_MAX_BYTES} bytes)`);
    }
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (err) {
      throw fail(`the runtime refused (${(err as Error).message})`);
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** `n` bytes rounded up to the alignment every region starts at. */
export function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
