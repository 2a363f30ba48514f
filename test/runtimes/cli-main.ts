/**
 * The scenario in Node or Deno, in a fresh process: prints the outcome as one JSON line.
 *   node --experimental-wasm-relaxed-simd build/test/runtimes/cli-main.js [--webgpu]
 *   deno run --allow-read --allow-env build/test/runtimes/cli-main.js [--webgpu]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleUrl, repoRoot } from './paths.js';
import { runScenario } from './scenario.js';

interface DenoGlobal {
  Deno?: { args: string[] };
}

const deno = (globalThis as DenoGlobal).Deno;
const args = deno ? deno.args : process.argv.slice(2);
const outcome = await runScenario({
  runtime: deno ? 'deno' : 'node',
  bundleUrl: bundleUrl.href,
  readFixture: async (path) => new Uint8Array(await readFile(new URL(path, repoRoot))),
  gpt2Location: fileURLToPath(new URL('test/fixtures/gpt2-tiny', repoRoot)),
  gpt2Devices: args.includes('--webgpu') ? ['wasm', 'webgpu'] : ['wasm'],
  kernels: ['simd', 'relaxed'],
});
console.log(JSON.stringify(outcome));
