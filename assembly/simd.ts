// Shared SIMD helpers for the kernels. One source serves both builds: the relaxed build
// (compiled with relaxed-simd enabled) gets fused multiply-add, the plain build mul + add.
// Dimension legend: n the floats actually read or written at a pointer (a partial vector).

/** a * b + c on four lanes; fused (one rounding) where the relaxed build and the CPU allow it. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  }
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Loads the first `n` (0..4) floats at `ptr`, zero in the other lanes; never reads past them. */
// @ts-ignore: decorator
@inline export function loadPartial(ptr: usize, n: i32): v128 { // ptr (n)
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  if (n > 3) v = f32x4.replace_lane(v, 3, load<f32>(ptr, 12));
  return v;
}

/** Stores the first `n` (0..4) lanes of `v` at `ptr`; never writes past them. */
// @ts-ignore: decorator
@inline export function storePartial(ptr: usize, v: v128, n: i32): void { // ptr (n)
  if (n > 0) store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
  if (n > 3) store<f32>(ptr, f32x4.extract_lane(v, 3), 12);
}

/** Copies the first n (< 4) floats of `count` groups, `stride` bytes apart from `src`, into
 *  zero-padded 4-float slots side by side at `dst`: a partial group of units can then run through
 *  the same 4-lane code as the full ones, so that code is compiled once. */
export function stageTail(dst: usize, src: usize, stride: usize, count: i32, n: i32): void { // dst (count, 4)
  for (let i = 0; i < count; i++) v128.store(dst + <usize>i * 16, loadPartial(src + <usize>i * stride, n));
}

/** The way back: the first n floats of each slot at `src` to groups `stride` bytes apart from `dst`. */
export function unstageTail(dst: usize, stride: usize, src: usize, count: i32, n: i32): void { // src (count, 4)
  for (let i = 0; i < count; i++) storePartial(dst + <usize>i * stride, v128.load(src + <usize>i * 16), n);
}

/** Loads 8 floats (two vectors' worth) with only the first `n` (0..8) read. */
// @ts-ignore: decorator
@inline export function loadLo(ptr: usize, n: i32): v128 {
  return n >= 4 ? v128.load(ptr) : loadPartial(ptr, n);
}

// @ts-ignore: decorator
@inline export function loadHi(ptr: usize, n: i32): v128 {
  return n >= 8 ? v128.load(ptr, 16) : loadPartial(ptr + 16, n - 4);
}

// @ts-ignore: decorator
@inline export function storeLo(ptr: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(ptr, v); else storePartial(ptr, v, n);
}

// @ts-ignore: decorator
@inline export function storeHi(ptr: usize, v: v128, n: i32): void {
  if (n >= 8) v128.store(ptr, v, 16); else storePartial(ptr + 16, v, n - 4);
}

/** Logistic sigmoid on four lanes, 1 / (1 + e^-x) with expv: within a few ulp, saturating to 0
 *  and 1 far out. Plain arithmetic in both builds, so both give the same gates. */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

/** tanh on four lanes as sign(x) (1 - 2 / (e^2|x| + 1)): within 2e-7 absolute of the true value
 *  (a few ulp of 1; small |x| keeps that absolute bound, not a relative one), exact 1 far out. */
// @ts-ignore: decorator
@inline export function tanhv(x: v128): v128 {
  const one = f32x4.splat(1);
  const ax = f32x4.abs(x);
  const t = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expv(f32x4.add(ax, ax)), one)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

/** e^x on four lanes, within 2 ulp of the true value for x in [-87, 88] (clamped outside):
 *  x = n ln2 + r with |r| <= ln2/2, a degree-7 polynomial for e^r, and 2^n put in the exponent.
 *  Plain multiply-add in both builds, so both give the same softmax. */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  // pmin/pmax are single instructions where min/max must also order NaN and signed zeros, which
  // a clamp does not need (a NaN still comes out NaN).
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87)), f32x4.splat(88));
  // Adding 1.5 * 2^23 rounds x log2(e) to the nearest integer n (ties to even, as f32x4.nearest)
  // and leaves n in the low mantissa bits, which saves a float-to-int conversion.
  const y = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912));
  const n = f32x4.sub(y, f32x4.splat(12582912));
  // ln2 split in two so that n * ln2_hi is exact.
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  // (n + 127) << 23 is 2^n as a float; y's bits are 0x4B400000 + n.
  const scale = i32x4.shl(i32x4.sub(y, i32x4.splat(0x4B400000 - 127)), 23);
  return f32x4.mul(p, scale);
}

/** Largest of n floats (n >= 1). */
export function maxOf(ptr: usize, n: i32): f32 { // ptr (n)
  let m = load<f32>(ptr);
  let j = 0;
  if (n >= 4) {
    let mv = v128.load(ptr);
    for (j = 4; j + 4 <= n; j += 4) mv = f32x4.pmax(mv, v128.load(ptr + <usize>j * 4));
    m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < n; j++) m = max(m, load<f32>(ptr + <usize>j * 4));
  return m;
}

/** Sum of e^(x - shift) over n floats; with `out` nonzero the terms are also stored there. */
export function sumExp(ptr: usize, n: i32, shift: f32, out: usize): f32 { // ptr (n), out (n) or 0
  const sv = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = expv(f32x4.sub(v128.load(ptr + <usize>j * 4), sv));
    if (out != 0) v128.store(out + <usize>j * 4, e);
    acc = f32x4.add(acc, e);
  }
  let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; j < n; j++) {
    const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(ptr + <usize>j * 4) - shift)), 0);
    if (out != 0) store<f32>(out + <usize>j * 4, e);
    s += e;
  }
  return s;
}
