// The speed limit the GEMM is measured against: independent multiply-add chains on registers only
// (no memory traffic). Twelve chains hide the multiply-add latency, so the loop is bound by
// throughput, as a well-fed GEMM inner loop is.

import { madd } from './simd';

/** Runs `iterations` rounds of 12 four-lane multiply-adds (96 flops per round) and returns a lane
 *  sum so the work cannot be optimized away. */
export function fma_peak(iterations: i32): f32 {
  const m = f32x4.splat(0.999999);
  const d = f32x4.splat(1e-7);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    a0 = madd(a0, m, d); a1 = madd(a1, m, d); a2 = madd(a2, m, d); a3 = madd(a3, m, d);
    a4 = madd(a4, m, d); a5 = madd(a5, m, d); a6 = madd(a6, m, d); a7 = madd(a7, m, d);
    a8 = madd(a8, m, d); a9 = madd(a9, m, d); a10 = madd(a10, m, d); a11 = madd(a11, m, d);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
