// The speed limit the GEMM is measured against: independent fused multiply-add chains on
// registers only (no memory traffic), 8 vectors wide like the GEMM's register block.

import { madd } from './simd';

/** Runs `iterations` rounds of 8 four-lane multiply-adds (64 flops per round)
 *  and returns a lane sum so the work cannot be optimized away. */
export function fma_peak(iterations: i32): f32 {
  const m = f32x4.splat(0.999999);
  const d = f32x4.splat(1e-7);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  for (let i = 0; i < iterations; i++) {
    a0 = madd(a0, m, d); a1 = madd(a1, m, d); a2 = madd(a2, m, d); a3 = madd(a3, m, d);
    a4 = madd(a4, m, d); a5 = madd(a5, m, d); a6 = madd(a6, m, d); a7 = madd(a7, m, d);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
