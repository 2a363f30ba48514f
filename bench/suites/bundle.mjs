// The core bundle: its size raw and gzipped, and the time to import it and instantiate its kernels
// in a fresh Node process.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

export async function bundle(ctx) {
  const file = `${ctx.root}/dist/textloom.js`;
  if (!existsSync(file) || statSync(file).mtimeMs < newestMtime(`${ctx.root}/src`)) {
    ctx.log('dist/textloom.js missing or older than src/: building it with scripts/build-bundle.mjs');
    try {
      execFileSync(process.execPath, [`${ctx.root}/scripts/build-bundle.mjs`], { cwd: ctx.root, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (err) {
      return [{ cases: [{ name: 'textloom.js', samples: [], skipped: `bundle build failed: ${err.message.split('\n')[0]}` }] }];
    }
  }
  const bytes = readFileSync(file);
  const info = { rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  ctx.log(`bundle: ${info.rawBytes} bytes, ${info.gzipBytes} gzipped; timing import + instantiate`);
  const samples = [];
  let error = null;
  const worker = new URL('../workers/bundle_load.mjs', import.meta.url).pathname;
  for (let i = 0; i < (ctx.quick ? 3 : 9); i++) {
    try {
      const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', worker, pathToFileURL(file).href], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      samples.push(JSON.parse(out.trim().split('\n').pop()));
    } catch (err) {
      error = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' ');
      break;
    }
  }
  return [{ cases: [{ name: 'textloom.js', info, samples, error }] }];
}
