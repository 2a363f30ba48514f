// The WASM SIMD FMA-loop ceiling, the yardstick of the training targets.
import { nodeCase } from '../lib/cases.mjs';
import { interleave } from '../lib/interleave.mjs';

export async function peak(ctx) {
  ctx.log('fma-peak: the fma_peak kernel loop, one core');
  const cases = await interleave([nodeCase('wasm-fma-loop', 'fma_peak.mjs', { iterations: 20_000_000 })], { warmup: 1, rounds: ctx.quick ? 3 : 7, log: ctx.log });
  return [{ cases }];
}
