/** The text to train on: pasted, dropped, opened from a file, or the built-in sample. */
import { byId, errorMessage, setStatus } from './dom.js';

const SAMPLE_URL = '/corpus/pride-and-prejudice-volume-1.txt';

export class CorpusPanel {
  private readonly area = byId<HTMLTextAreaElement>('corpus');
  private readonly stats = byId<HTMLElement>('corpus-stats');

  constructor() {
    const zone = byId<HTMLElement>('drop-zone');
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      const file = e.dataTransfer?.files[0];
      if (file) void this.readFile(file);
    });
    const input = byId<HTMLInputElement>('corpus-file');
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.readFile(file);
    });
    byId<HTMLButtonElement>('sample').addEventListener('click', () => void this.loadSample());
    this.area.addEventListener('input', () => this.describe());
    this.describe();
  }

  /** The text, or an error telling the user what to do. */
  text(): string {
    const text = this.area.value;
    if (text.trim().length === 0) throw new Error('there is no text yet: paste one, drop a .txt file, or use the sample');
    return text;
  }

  private async readFile(file: File): Promise<void> {
    try {
      this.area.value = await file.text();
      this.describe(file.name);
    } catch (e) {
      setStatus(this.stats, `cannot read ${file.name}: ${errorMessage(e)}`, true);
    }
  }

  private async loadSample(): Promise<void> {
    try {
      const response = await fetch(SAMPLE_URL);
      if (!response.ok) throw new Error(`GET ${SAMPLE_URL} answered ${response.status}`);
      this.area.value = await response.text();
      this.describe('Pride and Prejudice, Volume I');
    } catch (e) {
      setStatus(this.stats, `cannot load the sample: ${errorMessage(e)}`, true);
    }
  }

  private describe(name?: string): void {
    const text = this.area.value;
    const words = text.split(/\s+/).filter(Boolean).length;
    setStatus(this.stats, text ? `${name ? `${name}: ` : ''}${text.length.toLocaleString()} characters, ${words.toLocaleString()} words` : '');
  }
}
