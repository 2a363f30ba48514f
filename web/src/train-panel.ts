/** Model and training settings, the buttons that drive the worker, and the live loss chart. */
import type { ModelSpec, TrainingSpec, TrainingSummary, TrainingWorker, TrainProgress } from '../../src/index.js';
import { LossChart } from './chart.js';
import { byId, enable, errorMessage, numberField, setStatus } from './dom.js';

type Phase = 'idle' | 'running' | 'paused';

export class TrainPanel {
  private readonly chart = new LossChart(byId<HTMLCanvasElement>('chart'), byId<HTMLElement>('chart-summary'));
  private readonly status = byId<HTMLElement>('train-status');
  private readonly trainButton = byId<HTMLButtonElement>('train');
  private readonly pauseButton = byId<HTMLButtonElement>('pause');
  private readonly resumeButton = byId<HTMLButtonElement>('resume');
  private readonly stopButton = byId<HTMLButtonElement>('stop');
  /** So that validation points sit at the end of their epoch on the step axis. */
  private stepsPerEpoch = 1;

  /** `onPhase` lets the generate panel follow: it may only run while training is not; `trained` once the worker holds this run's model. */
  constructor(
    private readonly worker: () => TrainingWorker,
    private readonly text: () => string,
    private readonly onPhase: (phase: Phase, trained: boolean) => void,
  ) {
    this.trainButton.addEventListener('click', () => void this.train());
    this.pauseButton.addEventListener('click', () => void this.control('pause'));
    this.resumeButton.addEventListener('click', () => void this.control('resume'));
    this.stopButton.addEventListener('click', () => void this.control('stop'));
  }

  private specs(): { model: ModelSpec; training: TrainingSpec } {
    return {
      model: {
        cell: byId<HTMLSelectElement>('cell').value as ModelSpec['cell'],
        tokenizer: byId<HTMLSelectElement>('tokenizer').value as ModelSpec['tokenizer'],
        numLayers: numberField('layers'),
        embedSize: numberField('embed'),
        hiddenSize: numberField('hidden'),
        seed: numberField('train-seed'),
      },
      training: {
        epochs: numberField('epochs'),
        lr: numberField('lr'),
        batchSize: numberField('batch'),
        seqLen: numberField('seq'),
        clip: 1,
        seed: numberField('train-seed'),
      },
    };
  }

  private async train(): Promise<void> {
    let summary: TrainingSummary;
    try {
      const { model, training } = this.specs();
      const text = this.text();
      this.chart.clear();
      this.setPhase('running', false);
      setStatus(this.status, 'preparing the vocabulary and the model…');
      summary = await this.worker().train(text, model, training, (event) => this.progress(event));
    } catch (e) {
      this.setPhase('idle', false);
      setStatus(this.status, errorMessage(e), true);
      return;
    }
    this.setPhase('idle', true);
    const val = summary.valPerplexity === null ? '' : `, validation perplexity ${summary.valPerplexity.toFixed(1)}`;
    const m = summary.model;
    setStatus(
      this.status,
      `${summary.reason} after ${summary.steps} steps: loss ${summary.lastLoss?.toFixed(3) ?? '–'}${val} · ` +
        `${m.cell.toUpperCase()} ${m.numLayers}×${m.hiddenSize}, ${m.vocabSize} ${m.tokenizer}s, ${m.kernels} kernels`,
    );
  }

  private progress(event: TrainProgress): void {
    if (event.type === 'epoch') {
      if (event.valLoss !== null) this.chart.add(1, event.epoch * this.stepsPerEpoch, event.valLoss);
      return;
    }
    this.chart.add(0, event.globalStep, event.loss);
    this.stepsPerEpoch = event.stepsPerEpoch;
    const eta = event.etaMs > 0 && Number.isFinite(event.etaMs) ? ` · ${Math.ceil(event.etaMs / 1000)} s left` : '';
    setStatus(
      this.status,
      `epoch ${event.epoch}/${event.epochs} · step ${event.globalStep}/${event.totalSteps} · loss ${event.loss.toFixed(3)} · ` +
        `perplexity ${event.perplexity.toFixed(1)} · ${Math.round(event.tokensPerSecond).toLocaleString()} tokens/s${eta}`,
    );
  }

  private async control(action: 'pause' | 'resume' | 'stop'): Promise<void> {
    try {
      if (action === 'resume') this.setPhase('running', true);
      await this.worker()[action]();
      if (action === 'pause') {
        this.setPhase('paused', true);
        setStatus(this.status, `paused · ${this.status.textContent ?? ''}`);
      }
    } catch (e) {
      setStatus(this.status, errorMessage(e), true);
    }
  }

  private setPhase(phase: Phase, trained: boolean): void {
    enable(phase === 'idle', this.trainButton);
    enable(phase === 'running', this.pauseButton);
    enable(phase === 'paused', this.resumeButton);
    enable(phase !== 'idle', this.stopButton);
    this.onPhase(phase, trained || phase === 'paused');
  }
}
