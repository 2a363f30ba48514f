/**
 * The scenario in a page (test/runtimes/browser.html). The outcome, or the error, lands in #result with
 * data-state "done" or "failed" for the test to read. `?webgpu` adds the WebGPU run.
 */
import { bundleUrl } from './paths.js';
import { runScenario } from './scenario.js';

const out = document.getElementById('result')!;
try {
  const outcome = await runScenario({
    runtime: 'chromium',
    bundleUrl: bundleUrl.href,
    readFixture: async (path) => {
      const response = await fetch(`/${path}`);
      if (!response.ok) throw new Error(`GET /${path}: ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    gpt2Location: `${location.origin}/test/fixtures/gpt2-tiny`,
    gpt2Devices: new URLSearchParams(location.search).has('webgpu') ? ['wasm', 'webgpu'] : ['wasm'],
    kernels: ['simd', 'relaxed'],
  });
  out.textContent = JSON.stringify(outcome);
  out.dataset['state'] = 'done';
} catch (e) {
  out.textContent = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  out.dataset['state'] = 'failed';
}
