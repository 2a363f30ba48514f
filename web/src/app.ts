/**
 * The demo page: wires the panels to one training Worker (dist/worker.js) and GPT-2 on the main thread.
 * Built by scripts/build-bundle.mjs into web/dist/app.js; the library itself is /dist/textloom.js.
 */
import { hasWebGpuAdapter, TrainingWorker } from '../../src/index.js';
import { CorpusPanel } from './corpus-panel.js';
import { byId, setStatus } from './dom.js';
import { GeneratePanel } from './generate-panel.js';
import { Gpt2Panel } from './gpt2-panel.js';
import { TrainPanel } from './train-panel.js';

let worker: TrainingWorker | null = null;
const trainingWorker = (): TrainingWorker => (worker ??= TrainingWorker.start());

const corpus = new CorpusPanel();
const generatePanel = new GeneratePanel(trainingWorker);
new TrainPanel(trainingWorker, () => corpus.text(), (phase, trained) => generatePanel.follow(phase, trained));
new Gpt2Panel();

const runtime = byId<HTMLElement>('runtime-status');
const gpu = await hasWebGpuAdapter();
setStatus(
  runtime,
  `ready · ${globalThis.crossOriginIsolated ? 'cross-origin isolated (WASM threads available)' : 'not cross-origin isolated'} · ` +
    `WebGPU ${gpu ? 'available' : 'not available, GPT-2 runs on WASM'}`,
);
document.body.dataset['ready'] = 'true';
