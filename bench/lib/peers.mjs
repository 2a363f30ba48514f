// Installs the benchmark's peers at bench time, into bench/peers (ignored by git, never a
// dependency of the library), and says for each one whether it can run and, if not, why.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { OPENBLAS_DIR, PYTHON } from './machine.mjs';
import { PEERS_DIR, requirePeer } from './peer-import.mjs';

function ortWebVersion(root) {
  return JSON.parse(readFileSync(`${root}/node_modules/onnxruntime-web/package.json`, 'utf8')).version;
}

function npmPeers(root) {
  return {
    '@tensorflow/tfjs': '4.22.0',
    '@tensorflow/tfjs-backend-wasm': '4.22.0',
    // The same release as the onnxruntime-web that textloom uses, so that only the runtime differs.
    'onnxruntime-node': ortWebVersion(root),
    'js-tiktoken': '1.0.21',
    'gpt-tokenizer': '4.0.0',
    '@huggingface/tokenizers': '0.2.0',
  };
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(`${PEERS_DIR}node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return null;
  }
}

function npmInstall(specs, log) {
  // onnxruntime-node's install script would download GPU providers; the CPU build ships inside the package.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  try {
    execFileSync('npm', ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--save-exact', ...specs], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    return null;
  } catch (err) {
    const reason = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' ');
    log(`  npm install ${specs.join(' ')} failed: ${reason}`);
    return reason;
  }
}

/** Returns { name: { ok, version?, reason? } } for every npm peer. */
export function ensureNpmPeers(root, log) {
  const wanted = npmPeers(root);
  mkdirSync(PEERS_DIR, { recursive: true });
  const pkg = `${PEERS_DIR}package.json`;
  if (!existsSync(pkg)) {
    writeFileSync(`${pkg}.tmp`, JSON.stringify({ name: 'textloom-bench-peers', private: true }, null, 2) + '\n');
    renameSync(`${pkg}.tmp`, pkg);
  }
  const missing = Object.entries(wanted).filter(([name, v]) => installedVersion(name) !== v);
  const failures = {};
  if (missing.length) {
    log(`Installing peers into bench/peers: ${missing.map(([n, v]) => `${n}@${v}`).join(' ')}`);
    if (npmInstall(missing.map(([n, v]) => `${n}@${v}`), log)) {
      // Together they failed: one at a time tells which one cannot be had.
      for (const [n, v] of missing) {
        const reason = npmInstall([`${n}@${v}`], log);
        if (reason) failures[n] = reason;
      }
    }
  }
  const status = {};
  for (const [name, version] of Object.entries(wanted)) {
    if (failures[name]) {
      status[name] = { ok: false, reason: `npm install failed: ${failures[name]}` };
      continue;
    }
    try {
      requirePeer.resolve(name);
      status[name] = { ok: installedVersion(name) === version, version: installedVersion(name) };
      if (!status[name].ok) status[name].reason = `found ${installedVersion(name)}, wanted ${version}`;
    } catch (err) {
      status[name] = { ok: false, reason: `installed but not loadable: ${err.message.split('\n')[0]}` };
    }
  }
  return status;
}

/**
 * PyTorch must run on OpenBLAS, never on the reference BLAS: Debian's OpenBLAS (pthread build) is
 * installed with apt-get when missing, and each PyTorch case points LD_LIBRARY_PATH at it.
 */
export function ensureTorchPeer(log) {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: `${PYTHON} cannot import torch and numpy (apt-get install python3-torch)` };
  }
  if (!existsSync(`${OPENBLAS_DIR}/libblas.so.3`)) {
    log('OpenBLAS missing: installing libopenblas0-pthread with apt-get');
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'libopenblas0-pthread'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (err) {
      return { ok: false, reason: `apt-get install libopenblas0-pthread failed: ${String(err.stderr || err.message).trim().split('\n').pop()}` };
    }
  }
  if (!existsSync(`${OPENBLAS_DIR}/libblas.so.3`)) {
    return { ok: false, reason: `${OPENBLAS_DIR}/libblas.so.3 still missing after apt-get` };
  }
  return { ok: true };
}
