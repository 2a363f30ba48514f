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

/** Logistic sigmoid in float32. */
// @ts-ignore: decorator
@inline export function sigmoid(x: f32): f32 {
  return <f32>1 / (<f32>1 + Mathf.exp(-x));
}
