// Where a textloom training step spends its time: runs the bench's own textloom worker under
// `node --cpu-prof` for a few steps and prints the functions with the most self time.
//
//   node bench/profile.mjs [S|M|L] [rnn|lstm|gru] [steps]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureTokenFile } from './lib/data.mjs';
import { RNN_CONFIGS, CELLS } from './lib/rnn-configs.mjs';

const [configName = 'M', cell = 'lstm', stepsArg = '4'] = process.argv.slice(2);
const config = RNN_CONFIGS[configName];
if (!config || !CELLS.includes(cell)) {
  console.error(`usage: node bench/profile.mjs [${Object.keys(RNN_CONFIGS).join('|')}] [${CELLS.join('|')}] [steps]; got ${process.argv.slice(2).join(' ')}`);
  process.exit(1);
}
const dataFile = await ensureTokenFile(fileURLToPath(new URL(`./peers/data/tokens-${configName}.i32`, import.meta.url)), config, 1);
const dir = mkdtempSync(`${tmpdir()}/textloom-prof-`);
const opts = { mode: 'train', config, cell, threads: 1, dataFile, stepsPerSample: Number(stepsArg) };
// One warm-up sample and one measured sample: the profile covers both, compilation included.
execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--cpu-prof', `--cpu-prof-dir=${dir}`,
  fileURLToPath(new URL('./workers/textloom_rnn.mjs', import.meta.url)), JSON.stringify(opts)], { input: 'run\nrun\nexit\n', stdio: ['pipe', 'inherit', 'inherit'] });

/** Function index -> export name, from the export section of a WASM binary (the kernels import nothing). */
function wasmExportNames(b) {
  let at = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = b[at++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
      if (!(byte & 0x80)) return result >>> 0;
    }
  };
  const names = new Map();
  while (at < b.length) {
    const id = b[at++];
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        const name = b.toString('utf8', at, at + len);
        at += len;
        const kind = b[at++];
        const index = leb();
        if (kind === 0) names.set(index, name);
      }
    }
    at = end;
  }
  return names;
}

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
// The binary the worker ran is the one embedded in the build, not build/wasm/ (rebuilt separately).
const { resolveVariant } = await import('../build/src/wasm/kernels.js');
const embedded = await import('../build/src/wasm/binaries.generated.js');
const base64 = resolveVariant('auto') === 'relaxed' ? embedded.RELAXED_WASM_BASE64 : embedded.SIMD_WASM_BASE64;
const exportsOf = wasmExportNames(Buffer.from(base64, 'base64'));
const nameOf = (frame) => {
  const m = /^wasm-function\[(\d+)\]$/.exec(frame.functionName);
  if (!m) return `${frame.functionName || '(anonymous)'}  ${frame.url.replace(/^.*\/(build|bench|node_modules)\//, '$1/')}`;
  return `wasm ${exportsOf.get(Number(m[1])) ?? `internal function ${m[1]}`}`;
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
/** The outermost WASM export on the stack: the kernel call that JavaScript made. */
const kernelOf = (id) => {
  let kernel = null;
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const name = nameOf(byId.get(cur).callFrame);
    if (name.startsWith('wasm ') && !name.includes('internal')) kernel = name;
  }
  return kernel ?? '(not in a kernel)';
};
const self = new Map();
const kernels = new Map();
for (const id of profile.samples) {
  const name = nameOf(byId.get(id).callFrame);
  self.set(name, (self.get(name) ?? 0) + 1);
  const k = kernelOf(id);
  kernels.set(k, (kernels.get(k) ?? 0) + 1);
}
const total = profile.samples.length;
const top = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, c]) => `${((100 * c) / total).toFixed(1).padStart(6)}%  ${key}`);
console.log(`${configName} ${cell}: ${total} samples (${file} in ${dir})`);
console.log('\nSelf time by function:');
console.log(top(self, 15).join('\n'));
console.log('\nTime by kernel called from JavaScript (inner functions included):');
console.log(top(kernels, 15).join('\n'));
