/**
 * Learning-rate schedules: an optional linear warmup from lr/warmup to lr, then constant, cosine decay
 * to zero, or linear decay to zero over the remaining steps.
 */

export type LrScheduleName = 'constant' | 'cosine' | 'linear';
/** The schedules TrainOptions.lrSchedule accepts. */
export const LR_SCHEDULES: readonly LrScheduleName[] = ['constant', 'cosine', 'linear'];

/** The learning rate for the 0-based global `step` of `totalSteps`. */
export function learningRate(
  schedule: LrScheduleName,
  baseLr: number,
  step: number,
  totalSteps: number,
  warmupSteps: number,
): number {
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return baseLr;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  if (schedule === 'cosine') return baseLr * 0.5 * (1 + Math.cos(Math.PI * progress));
  return baseLr * (1 - progress);
}
