// Builds what users get, into dist/:
//   textloom.js  one ESM file for Node, Deno and browsers (platform neutral, kernels inlined as base64,
//                onnxruntime-web/-node and node:* left as imports that only run when needed);
//   worker.js    the Web Worker entry for training off the main thread; it imports ./textloom.js rather
//                than carrying a second copy of the library;
//   cli.js       the `textloom` command, with a shebang; it reaches the library only through src/index.ts,
//                which becomes an import of ./textloom.js (about 48 KiB instead of a 305 KiB second copy);
//   textloom.d.ts + types/  declarations emitted by tsc from src/;
// and the demo page's script, web/dist/app.js, which loads the library from /dist/textloom.js.
// Then prints the size of each file, raw and gzipped.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(root, 'dist');
const publicEntry = resolve(root, 'src/index.ts');

if (!existsSync(resolve(root, 'src/wasm/binaries.generated.ts'))) {
  console.error('build-bundle: src/wasm/binaries.generated.ts is missing; run `npm run build:wasm` first.');
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  // Neutral platform resolves no package fields by default; the few bundled dependencies are ESM.
  mainFields: ['module', 'main'],
  external: ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node', 'node:*'],
  legalComments: 'none',
  logLevel: 'warning',
  sourcemap: 'linked',
};

// The worker, the CLI and the page reach the library through src/index.ts; at run time that is the bundle
// (`bundlePath`, relative to the output), so the kernels and the library are loaded once.
const publicApiIsTheBundle = (bundlePath) => ({
  name: 'public-api-is-the-bundle',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      return target === publicEntry ? { path: bundlePath, external: true } : undefined;
    });
  },
});

await build({ ...common, entryPoints: { textloom: publicEntry }, outdir: dist });
await build({
  ...common,
  entryPoints: { worker: resolve(root, 'src/worker/worker.ts') },
  outdir: dist,
  plugins: [publicApiIsTheBundle('./textloom.js')],
});
// esbuild keeps an entry's own shebang; add one only where the source has none.
const cliEntry = resolve(root, 'src/cli/main.ts');
await build({
  ...common,
  entryPoints: { cli: cliEntry },
  outdir: dist,
  plugins: [publicApiIsTheBundle('./textloom.js')],
  ...(!readFileSync(cliEntry, 'utf8').startsWith('#!') && { banner: { js: '#!/usr/bin/env node' } }),
});
await build({
  ...common,
  platform: 'browser',
  entryPoints: { app: resolve(root, 'web/src/app.ts') },
  outdir: resolve(root, 'web/dist'),
  plugins: [publicApiIsTheBundle('../../dist/textloom.js')],
});

emitDeclarations();
report();

function emitDeclarations() {
  // A throwaway config so that only what src/index.ts reaches gets declarations.
  const config = resolve(root, 'build/tsconfig.declarations.json');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, JSON.stringify({
    extends: '../tsconfig.json',
    compilerOptions: {
      rootDir: '../src',
      outDir: '../dist/types',
      declaration: true,
      emitDeclarationOnly: true,
      sourceMap: false,
      noEmit: false,
    },
    include: [],
    files: ['../src/index.ts'],
  }));
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'pipe' });
  } catch (e) {
    // Type errors are build:ts's to report; declarations are still emitted and are what we need here.
    console.warn(`build-bundle: tsc reported type errors while emitting declarations:\n${e.stdout}`);
  }
  markOptionalPeerImports(resolve(dist, 'types'));
  const entry = resolve(dist, 'types/index.d.ts');
  if (!existsSync(entry)) {
    console.error('build-bundle: tsc emitted no dist/types/index.d.ts');
    process.exit(1);
  }
  const out = resolve(dist, 'textloom.d.ts');
  writeFileSync(`${out}.tmp`, "export * from './types/index.js';\n");
  renameSync(`${out}.tmp`, out);
}

// onnxruntime is an optional peer: a user who only trains RNNs has no onnxruntime-web, and its type
// imports would be errors in their type check. With @ts-ignore they are `any` there, and exact types
// wherever onnxruntime is installed.
function markOptionalPeerImports(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = resolve(dir, entry.name);
    if (entry.isDirectory()) {
      markOptionalPeerImports(path);
      continue;
    }
    if (!entry.name.endsWith('.d.ts')) continue;
    const text = readFileSync(path, 'utf8');
    const marked = text.replace(
      /^(import\b[^;]*?from\s*['"]onnxruntime-(?:web|node)(?:\/[^'"]*)?['"];)$/gm,
      '// @ts-ignore: onnxruntime-web is an optional peer dependency, absent where only RNNs are used\n$1',
    );
    if (marked !== text) writeFileSync(path, marked);
  }
}

function report() {
  const rows = ['textloom.js', 'worker.js', 'cli.js'].map((name) => {
    const bytes = readFileSync(resolve(dist, name));
    return { file: relative(root, resolve(dist, name)), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const r of rows) console.log(`${r.file.padEnd(20)} ${kib(r.raw).padStart(10)} raw ${kib(r.gzip).padStart(10)} gzip`);
}
