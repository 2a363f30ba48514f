/**
 * A live line chart of training and validation loss on a canvas. Points are appended as progress
 * arrives; drawing is coalesced to one frame so a fast trainer cannot flood the main thread. A line of
 * text under it says the same for screen readers (first and last loss of each series).
 */
export interface Series {
  label: string;
  color: string;
  points: Array<[step: number, loss: number]>;
}

const PAD = { left: 52, right: 12, top: 12, bottom: 30 };

export class LossChart {
  readonly series: Series[];
  private pending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly summary: HTMLElement,
  ) {
    this.series = [
      { label: 'training', color: '#2f6fdf', points: [] },
      { label: 'validation', color: '#e0662b', points: [] },
    ];
    this.draw();
  }

  add(seriesIndex: 0 | 1, step: number, loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.series[seriesIndex]!.points.push([step, loss]);
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  clear(): void {
    for (const s of this.series) s.points.length = 0;
    this.draw();
  }

  private describe(): void {
    this.summary.textContent = this.series
      .filter((s) => s.points.length > 0)
      .map((s) => {
        const first = s.points[0]!;
        const last = s.points.at(-1)!;
        return `${s.label} loss ${first[1].toFixed(3)} (step ${first[0]}) → ${last[1].toFixed(3)} (step ${last[0]})`;
      })
      .join(' · ');
  }

  private draw(): void {
    this.describe();
    const ratio = globalThis.devicePixelRatio || 1;
    const width = this.canvas.clientWidth || this.canvas.width;
    const height = this.canvas.clientHeight || this.canvas.height;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    const g = this.canvas.getContext('2d');
    if (!g) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#666';

    const all = this.series.flatMap((s) => s.points);
    if (all.length === 0) {
      g.fillText('loss appears here while training', PAD.left, height / 2);
      return;
    }
    const maxStep = Math.max(1, ...all.map((p) => p[0]));
    let lo = Math.min(...all.map((p) => p[1]));
    let hi = Math.max(...all.map((p) => p[1]));
    if (hi - lo < 1e-6) {
      lo -= 0.5;
      hi += 0.5;
    }
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const x = (step: number): number => PAD.left + (step / maxStep) * plotW;
    const y = (loss: number): number => PAD.top + (1 - (loss - lo) / (hi - lo)) * plotH;

    g.strokeStyle = '#ddd';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const v = lo + ((hi - lo) * i) / 4;
      g.beginPath();
      g.moveTo(PAD.left, y(v));
      g.lineTo(width - PAD.right, y(v));
      g.stroke();
      g.fillText(v.toFixed(2), 6, y(v) + 4);
    }
    g.fillText('step', width - PAD.right - 26, height - 8);
    g.fillText(String(maxStep), x(maxStep) - 24, height - 18);
    g.fillText('0', PAD.left, height - 18);

    let legendX = PAD.left + 8;
    for (const s of this.series) {
      if (s.points.length === 0) continue;
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      s.points.forEach(([step, loss], i) => (i === 0 ? g.moveTo(x(step), y(loss)) : g.lineTo(x(step), y(loss))));
      if (s.points.length === 1) g.arc(x(s.points[0]![0]), y(s.points[0]![1]), 2, 0, 2 * Math.PI);
      g.stroke();
      g.fillStyle = s.color;
      g.fillRect(legendX, PAD.top + 4, 10, 3);
      g.fillText(`${s.label} ${s.points.at(-1)![1].toFixed(3)}`, legendX + 14, PAD.top + 9);
      legendX += 130;
    }
  }
}
