/**
 * GPT-2: load a model folder (picked from disk, read in place) or a URL prefix in the Hub's layout, show download
 * progress, then chat. Replies are appended as text nodes, never parsed as HTML.
 */
import { Gpt2Chat, loadGpt2, type Device, type DownloadProgress, type Gpt2Pipeline, type ModelFileSet } from '../../src/index.js';
import { byId, enable, errorMessage, setStatus } from './dom.js';

export class Gpt2Panel {
  private readonly status = byId<HTMLElement>('gpt2-status');
  private readonly progress = byId<HTMLProgressElement>('gpt2-progress');
  private readonly log = byId<HTMLElement>('chat-log');
  private readonly input = byId<HTMLInputElement>('chat-input');
  private readonly send = byId<HTMLButtonElement>('chat-send');
  private readonly loadButton = byId<HTMLButtonElement>('gpt2-load-url');
  private pipeline: Gpt2Pipeline | null = null;
  private chat: Gpt2Chat | null = null;

  constructor() {
    const folder = byId<HTMLInputElement>('gpt2-folder');
    folder.addEventListener('change', () => {
      if (!folder.files || folder.files.length === 0) return;
      // Taken before the input is cleared; the loader reads the files straight from disk.
      const files = Array.from(folder.files);
      const first = files[0]!.webkitRelativePath;
      void this.load(files, `the folder ${first.slice(0, first.indexOf('/'))}`);
      folder.value = '';
    });
    this.loadButton.addEventListener('click', () => {
      const url = byId<HTMLInputElement>('gpt2-url').value.trim();
      if (!/^https?:\/\//.test(url) && !url.startsWith('/')) {
        setStatus(this.status, `expected an http(s) URL or a path on this server (the folder holding config.json and onnx/), got "${url}"`, true);
        return;
      }
      void this.load(new URL(url, location.href).href, url);
    });
    byId<HTMLFormElement>('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.say();
    });
  }

  private async load(source: string | ModelFileSet, name: string): Promise<void> {
    enable(false, this.loadButton, this.input, this.send);
    setStatus(this.status, `loading ${name}…`);
    this.progress.value = 0;
    try {
      await this.pipeline?.release();
      this.pipeline = null;
      const device = byId<HTMLSelectElement>('gpt2-device').value as Device;
      this.pipeline = await loadGpt2(source, { device, onProgress: (p) => this.showProgress(p) });
      this.chat = new Gpt2Chat(this.pipeline, { generation: { maxNewTokens: 30, doSample: true, noRepeatNgramSize: 2 } });
      this.progress.value = 1;
      this.log.replaceChildren();
      const c = this.pipeline.config;
      setStatus(this.status, `${name}: ${c.nLayer} layers, ${c.nEmbd} wide, on ${this.pipeline.backend}`);
      enable(true, this.input, this.send);
      this.input.focus();
    } catch (e) {
      setStatus(this.status, errorMessage(e), true);
    } finally {
      enable(true, this.loadButton);
    }
  }

  private showProgress(p: DownloadProgress): void {
    const total = p.total ?? 0;
    if (total > 0) this.progress.value = p.loaded / total;
    const size = `${(p.loaded / 1048576).toFixed(1)}${total > 0 ? ` / ${(total / 1048576).toFixed(1)}` : ''} MiB`;
    setStatus(this.status, `${p.file}: ${size}${p.fromCache ? ' (cached)' : ''}${p.done ? ' ✓' : ''}`);
  }

  private async say(): Promise<void> {
    const text = this.input.value.trim();
    if (!this.chat || text === '') return;
    this.input.value = '';
    enable(false, this.input, this.send);
    this.turn('user', text);
    const reply = this.turn('model', '…');
    try {
      const answer = await this.chat.say(text);
      reply.textContent = answer.text.trim() || '(no reply)';
      if (answer.trimmedTurns > 0) setStatus(this.status, `${answer.trimmedTurns} old turn(s) dropped to fit the context`);
    } catch (e) {
      reply.textContent = '';
      setStatus(this.status, errorMessage(e), true);
    } finally {
      enable(true, this.input, this.send);
      this.input.focus();
    }
  }

  private turn(role: 'user' | 'model', text: string): HTMLElement {
    const el = document.createElement('div');
    el.className = `turn ${role}`;
    el.textContent = text;
    this.log.append(el);
    this.log.scrollTop = this.log.scrollHeight;
    return el;
  }
}
