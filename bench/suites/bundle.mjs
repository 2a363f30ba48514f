// The core bundle: its size raw and gzipped, and the time to import it and instantiate its kernels
// in a fresh Node or Deno process.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  ctx.log(`bundle: ${info.rawBytes} bytes, ${info.gzipBytes} gzipped; timing import + instantiate in Node and Deno`);
  const worker = fileURLToPath(new URL('../workers/bundle_load.mjs', import.meta.url));
  const url = pathToFileURL(file).href;
  const deno = `${ctx.root}/node_modules/.bin/deno`;
  const runtimes = [{ name: 'node', command: process.execPath, args: ['--experimental-wasm-relaxed-simd', worker, url] }];
  if (existsSync(deno)) runtimes.push({ name: 'deno', command: deno, args: ['run', '--allow-read', '--allow-env', worker, url] });
  const cases = runtimes.map((r) => ({ name: r.name, info, samples: [], error: null }));
  // Fresh processes, alternating runtimes, so that nothing is compiled or cached from a previous sample.
  for (let i = 0; i < (ctx.quick ? 3 : 9); i++) {
    for (const [j, r] of runtimes.entries()) {
      if (cases[j].error) continue;
      try {
        const out = execFileSync(r.command, r.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        cases[j].samples.push(JSON.parse(out.trim().split('\n').pop()));
      } catch (err) {
        cases[j].error = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' ');
      }
    }
  }
  return [{ cases }];
}
