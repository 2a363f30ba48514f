/**
 * Training progress on the command line: a progress bar redrawn in place on a terminal, a line per
 * epoch otherwise (and a step line each minute of a long epoch), or every event as one JSON line
 * (`--json`) for programs.
 */
import type { TrainProgress, StepProgress } from '../index.js';
import type { Output } from './args.js';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
/** In a pipe or log, a plain step line at most this often: an epoch of a large corpus runs for hours. */
export const PLAIN_STEP_MS = 60_000;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatRate(tokensPerSecond: number): string {
  return tokensPerSecond >= 1000 ? `${(tokensPerSecond / 1000).toFixed(1)}k tok/s` : `${tokensPerSecond.toFixed(0)} tok/s`;
}

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return '[' + '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled) + ']';
}

function stepLine(e: StepProgress): string {
  const percent = ((100 * e.globalStep) / e.totalSteps).toFixed(0).padStart(3);
  return (
    `epoch ${e.epoch}/${e.epochs} ${bar(e.globalStep / e.totalSteps)} ${percent}% ` +
    `loss ${e.averageLoss.toFixed(3)} ppl ${Math.exp(e.averageLoss).toFixed(1)} ` +
    `${formatRate(e.tokensPerSecond)} ETA ${formatDuration(e.etaMs)}`
  );
}

/** The step line for a log: no bar, no redraw. */
function plainStepLine(e: StepProgress): string {
  const percent = ((100 * e.globalStep) / e.totalSteps).toFixed(0);
  return (
    `epoch ${e.epoch}/${e.epochs}, step ${e.step}/${e.stepsPerEpoch} (${percent}% of the run): ` +
    `loss ${e.averageLoss.toFixed(3)} ppl ${Math.exp(e.averageLoss).toFixed(1)}, ${formatRate(e.tokensPerSecond)}, ETA ${formatDuration(e.etaMs)}`
  );
}

export interface ProgressReporter {
  onProgress(event: TrainProgress): void;
  /** Ends a bar left on the line. */
  finish(): void;
}

export function progressReporter(output: Output, json: boolean): ProgressReporter {
  if (json) {
    return {
      onProgress: (event) => output.out(JSON.stringify(event) + '\n'),
      finish: () => undefined,
    };
  }
  let lastDraw = 0;
  let lastPlain = Date.now();
  let barShown = false;
  const clear = (): void => {
    if (barShown) output.err('\r\x1b[2K');
    barShown = false;
  };
  return {
    onProgress(event) {
      if (event.type === 'step') {
        const t = Date.now();
        if (!output.interactive) {
          // Without a bar, a run whose epochs are long would show nothing for hours after its start.
          if (t - lastPlain >= PLAIN_STEP_MS && event.step !== event.stepsPerEpoch) {
            lastPlain = t;
            output.err(plainStepLine(event) + '\n');
          }
          return;
        }
        if (t - lastDraw < REDRAW_MS && event.globalStep !== event.totalSteps) return;
        lastDraw = t;
        output.err('\r\x1b[2K' + stepLine(event));
        barShown = true;
        return;
      }
      clear();
      lastPlain = Date.now();
      const validation = event.valLoss === null ? '' : `, validation loss ${event.valLoss.toFixed(3)} ppl ${event.valPerplexity!.toFixed(1)}`;
      output.err(
        `epoch ${event.epoch}/${event.epochs}: train loss ${event.trainLoss.toFixed(3)} ppl ${event.trainPerplexity.toFixed(1)}` +
          `${validation}, ${formatRate(event.tokensPerSecond)}, ${formatDuration(event.elapsedMs)}\n`,
      );
    },
    finish: clear,
  };
}
