// The machine header of a bench run: what ran where, so that a table is never read without it.
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, existsSync } from 'node:fs';
import os from 'node:os';

export const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
export const PYTHON = '/usr/bin/python3';

function tryRun(cmd, args, env) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

function cpuFlags() {
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('flags'));
  return new Set(line ? line.split(':')[1].trim().split(/\s+/) : []);
}

/**
 * The OpenBLAS core type that matches this CPU's vector units, read from its flags rather than
 * from the vendor string: OpenBLAS 0.3.21 does not know recent CPUs and guesses low.
 */
export function openblasCoreFor(flags) {
  const avx512 = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];
  if (avx512.every((f) => flags.has(f))) return { core: 'SkylakeX', why: 'AVX-512 F/CD/BW/DQ/VL present' };
  if (flags.has('avx2') && flags.has('fma')) return { core: 'Haswell', why: 'AVX2 and FMA present, no AVX-512' };
  return { core: null, why: 'no AVX2: leave OpenBLAS to detect' };
}

export function machineInfo(root) {
  const flags = cpuFlags();
  const cpus = os.cpus();
  const blasAlternative = existsSync('/usr/lib/x86_64-linux-gnu/libblas.so.3')
    ? realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3')
    : null;
  const denoBin = `${root}/node_modules/.bin/deno`;
  const deno = existsSync(denoBin) ? tryRun(denoBin, ['--version'])?.split('\n')[0] : null;
  const torch = tryRun(PYTHON, ['-c', 'import torch; print(torch.__version__)']);
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    vectorFlags: ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16'].filter((f) => flags.has(f)),
    openblasCore: openblasCoreFor(flags),
    node: process.version,
    deno,
    python: tryRun(PYTHON, ['--version']),
    torch,
    systemLibblas: blasAlternative,
    openblasDir: existsSync(OPENBLAS_DIR) ? OPENBLAS_DIR : null,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function formatMachine(m) {
  return [
    `CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; vector flags: ${m.vectorFlags.join(' ')}`,
    `OpenBLAS core type for this CPU: ${m.openblasCore.core ?? 'none'} (${m.openblasCore.why})`,
    `Node ${m.node}; ${m.deno ?? 'deno not found'}; ${m.python ?? 'python3 not found'}; torch ${m.torch ?? 'not importable'}`,
    `System libblas.so.3 -> ${m.systemLibblas ?? 'none'}; OpenBLAS for PyTorch runs: ${m.openblasDir ?? 'not installed'}`,
    `Load average at start: ${m.loadAverage.join(' ')}`,
  ].join('\n');
}
