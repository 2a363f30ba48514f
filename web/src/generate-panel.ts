/** Sampling controls, streamed output, and saving / loading the model as a .safetensors file. */
import type { TrainingWorker } from '../../src/index.js';
import { byId, download, enable, errorMessage, numberField, setStatus } from './dom.js';

export class GeneratePanel {
  private readonly output = byId<HTMLElement>('output');
  private readonly status = byId<HTMLElement>('model-status');
  private readonly generateButton = byId<HTMLButtonElement>('generate');
  private readonly saveButton = byId<HTMLButtonElement>('save');
  private readonly loadInput = byId<HTMLInputElement>('load');
  private generating = false;
  private phase: 'idle' | 'running' | 'paused' = 'idle';
  private hasModel = false;

  constructor(private readonly worker: () => TrainingWorker) {
    this.generateButton.addEventListener('click', () => void this.generate());
    this.saveButton.addEventListener('click', () => void this.save());
    this.loadInput.addEventListener('change', () => void this.load());
  }

  /**
   * Follows the training panel: generating and saving wait while the trainer steps, and loading until the
   * run has ended (the worker refuses it while one is paused). `trained` says the worker now holds the run's
   * model; a run that failed leaves the model it had, so it changes nothing.
   */
  follow(phase: 'idle' | 'running' | 'paused', trained: boolean): void {
    this.phase = phase;
    if (trained) this.hasModel = true;
    this.refresh();
  }

  private refresh(): void {
    const ready = this.hasModel && this.phase !== 'running' && !this.generating;
    enable(ready, this.generateButton, this.saveButton);
    enable(this.phase === 'idle' && !this.generating, this.loadInput);
  }

  private async generate(): Promise<void> {
    try {
      const options = {
        maxNewTokens: numberField('length'),
        doSample: true,
        temperature: numberField('temperature'),
        topK: numberField('top-k'),
        topP: numberField('top-p'),
        seed: numberField('gen-seed'),
      };
      const seed = byId<HTMLInputElement>('prompt').value;
      this.generating = true;
      this.refresh();
      this.output.textContent = seed;
      setStatus(this.status, 'generating…');
      const result = await this.worker().generate(seed, options, (piece) => this.output.append(piece));
      const warnings = result.warnings.length ? ` · ${result.warnings.join('; ')}` : '';
      setStatus(this.status, `${Math.round(result.tokensPerSecond)} tokens/s, ended by ${result.finishReason}${warnings}`);
    } catch (e) {
      setStatus(this.status, errorMessage(e), true);
    } finally {
      this.generating = false;
      this.refresh();
    }
  }

  private async save(): Promise<void> {
    try {
      const bytes = await this.worker().save();
      download(bytes, 'textloom-model.safetensors');
      setStatus(this.status, `saved ${(bytes.length / 1024).toFixed(0)} KiB`);
    } catch (e) {
      setStatus(this.status, errorMessage(e), true);
    }
  }

  private async load(): Promise<void> {
    const file = this.loadInput.files?.[0];
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const m = await this.worker().load(bytes);
      this.hasModel = true;
      this.refresh();
      setStatus(this.status, `loaded ${file.name}: ${m.cell.toUpperCase()} ${m.numLayers}×${m.hiddenSize}, ${m.vocabSize} ${m.tokenizer}s`);
    } catch (e) {
      setStatus(this.status, `cannot load ${file.name}: ${errorMessage(e)}`, true);
    } finally {
      this.loadInput.value = '';
    }
  }
}
