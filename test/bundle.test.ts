// Properties of the built bundle in dist/ (npm run build:bundle) that every runtime relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleUrl, repoRoot } from './runtimes/paths.js';
import { DENO_PATH } from './runtimes/deno.js';

const dist = (name: string): string => fileURLToPath(new URL(`dist/${name}`, repoRoot));
const read = (name: string): string => readFileSync(dist(name), 'utf8');

/** `import x from '...'` / `export ... from '...'` / `import '...'` at the top level (not `import(...)`). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/^\s*(?:import|export)\s[^;()]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)]
    .map((m) => m[1] ?? m[2]!);
}

test('textloom.js has no static imports: it loads in a browser without an import map', () => {
  assert.deepEqual(staticImports(read('textloom.js')), []);
});

test('onnxruntime and node: modules are only imported lazily, never bundled', () => {
  const code = read('textloom.js');
  const lazy = [...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  for (const specifier of lazy) {
    assert.match(specifier, /^(node:|onnxruntime-(web|node)(\/|$))/, `unexpected dynamic import of ${specifier}`);
  }
  // ORT's own sources would bring these identifiers along.
  assert.doesNotMatch(code, /ort-wasm-simd-threaded|OrtCreateSession/);
});

test('sizes, raw and gzipped (onnxruntime not included): the core bundle stays under 150 kB gzipped', (t) => {
  const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  const gzipped = new Map<string, number>();
  for (const name of ['textloom.js', 'worker.js', 'cli.js']) {
    const bytes = readFileSync(dist(name));
    gzipped.set(name, gzipSync(bytes, { level: 9 }).length);
    t.diagnostic(`${name}: ${kib(bytes.length)} raw, ${kib(gzipped.get(name)!)} gzip`);
  }
  // Each kernel build is inlined as base64; once one passes gzip's 32 KiB window, the four nearly
  // identical builds stop compressing against each other and the bundle grows by about a quarter.
  const core = gzipped.get('textloom.js')!;
  assert.ok(core < 150_000, `dist/textloom.js is ${core} bytes gzipped, over the 150 kB (150,000 bytes) budget (BENCHMARKS.md)`);
});

test('the kernels are inlined', () => {
  // The four builds (SIMD and relaxed SIMD, each single-threaded and threaded) as base64, beginning with
  // the WASM magic number "\0asm" (AGFzbQ in base64).
  const inlined = read('textloom.js').match(/["']AGFzbQ[A-Za-z0-9+/=]{1000,}["']/g) ?? [];
  assert.equal(inlined.length, 4);
});

test('importing the bundle has no side effects: no globals, timers, workers, fetches or WASM', () => {
  // A fresh process: count every way a module could act at import time, then import the bundle.
  const probe = `
    const calls = [];
    for (const [owner, names] of [[globalThis, ['setTimeout', 'setInterval', 'queueMicrotask', 'fetch', 'Worker', 'addEventListener']],
                                  [WebAssembly, ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming', 'Module', 'Instance']]]) {
      for (const name of names) {
        const original = owner[name];
        if (typeof original !== 'function') continue;
        owner[name] = new Proxy(original, {
          apply(t, self, args) { calls.push(name); return Reflect.apply(t, self, args); },
          construct(t, args) { calls.push(name); return Reflect.construct(t, args); },
        });
      }
    }
    const before = new Set(Reflect.ownKeys(globalThis));
    const lib = await import(${JSON.stringify(bundleUrl.href)});
    const added = Reflect.ownKeys(globalThis).filter((k) => !before.has(k)).map(String);
    console.log(JSON.stringify({ calls, added, exports: Object.keys(lib).length }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  const result = JSON.parse(out) as { calls: string[]; added: string[]; exports: number };
  assert.deepEqual(result.calls, []);
  assert.deepEqual(result.added, []);
  assert.ok(result.exports > 10, `the bundle exports only ${result.exports} names`);
});

test('without onnxruntime-web, loading GPT-2 is an error that says how to install it, in Node and in Deno', (t) => {
  // The bundle alone in a folder of its own: no node_modules, so onnxruntime-web does not resolve.
  const dir = mkdtempSync(join(tmpdir(), 'textloom-no-ort-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(dist('textloom.js'), join(dir, 'textloom.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const model = fileURLToPath(new URL('test/fixtures/gpt2-tiny', repoRoot));
  writeFileSync(join(dir, 'load.js'), `
    import { loadGpt2 } from './textloom.js';
    try {
      await loadGpt2(${JSON.stringify(model)}, { device: 'wasm', threads: 1, cache: null });
      console.log(JSON.stringify({ loaded: true }));
    } catch (e) {
      console.log(JSON.stringify({ name: e.name, message: e.message }));
    }
  `);
  const node = JSON.parse(execFileSync(process.execPath, ['load.js'], { cwd: dir, encoding: 'utf8' }));
  assert.equal(node.name, 'RuntimeError');
  assert.match(node.message, /^GPT-2 runs on onnxruntime-web, an optional peer dependency, and Node cannot import it here: install it beside textloom: npm install onnxruntime-web \(onnxruntime-web: Cannot find package/);
  const deno = JSON.parse(execFileSync(DENO_PATH, ['run', '--allow-read', '--allow-env', '--allow-sys', 'load.js'], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
  }));
  assert.equal(deno.name, 'RuntimeError');
  assert.match(deno.message, /and Deno cannot import it here: run from a folder whose package\.json lists it \(npm install onnxruntime-web\), or map it in deno\.json: "imports": \{ "onnxruntime-web": "npm:onnxruntime-web@\^1\.30\.0" \} \(onnxruntime-web: [^\n]*\)$/);
});

test('worker.js reuses textloom.js instead of carrying a second copy of the library', () => {
  const code = read('worker.js');
  assert.deepEqual(staticImports(code), ['./textloom.js']);
  assert.doesNotMatch(code, /AGFzbQ[A-Za-z0-9+/=]{1000,}/, 'worker.js inlines the kernels again');
});

test('cli.js reuses textloom.js: it bundles only the command line and the file helpers', () => {
  const code = read('cli.js');
  const imports = new Set(staticImports(code));
  assert.ok(imports.has('./textloom.js'), 'cli.js does not import ./textloom.js');
  for (const specifier of imports) assert.match(specifier, /^(node:|\.\/textloom\.js$)/, `cli.js imports ${specifier}`);
  assert.doesNotMatch(code, /AGFzbQ[A-Za-z0-9+/=]{1000,}/, 'cli.js inlines the kernels again');
  const sources = (JSON.parse(read('cli.js.map')) as { sources: string[] }).sources;
  const library = sources.filter((s) => !/(^|\/)src\/(cli|platform)\//.test(s));
  assert.deepEqual(library, [], 'cli.js carries library modules of its own');
  assert.ok(statSync(dist('cli.js')).size < statSync(dist('textloom.js')).size / 3);
});

test('cli.js starts with a shebang', () => {
  assert.ok(read('cli.js').startsWith('#!/usr/bin/env node\n'));
});

test('textloom.d.ts declares the public API', () => {
  assert.equal(read('textloom.d.ts').trim(), "export * from './types/index.js';");
  const declarations = read('types/index.d.ts');
  for (const name of ['Random', 'train', 'generate', 'RNNModel', 'TrainingWorker']) {
    assert.match(declarations, new RegExp(`\\b${name}\\b`), `${name} is not declared`);
  }
  assert.ok(statSync(dist('types/worker/protocol.d.ts')).size > 0);
});

/**
 * Every name a declaration file exports, following `export ... from` into the files that declare them,
 * with whether its declaration has the doc comment that an editor shows on hover.
 */
function documentedExports(path: string): Map<string, boolean> {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const names = new Map<string, boolean>();
  lines.forEach((line, i) => {
    const name = /^export (?:declare )?(?:abstract )?(?:class|function|interface|type|const|enum) (\w+)/.exec(line)?.[1];
    if (name === undefined) return;
    let above = i - 1;
    while (above >= 0 && /^\s*(\/\/.*)?$/.test(lines[above]!)) above--;
    names.set(name, names.get(name) === true || (above >= 0 && lines[above]!.trimEnd().endsWith('*/')));
  });
  for (const m of text.matchAll(/^export (?:type )?(\*|\{([^}]*)\}) from '(\.[^']+)\.js';/gm)) {
    const from = documentedExports(join(dirname(path), `${m[3]}.d.ts`));
    if (m[1] === '*') {
      for (const [name, documented] of from) names.set(name, documented);
      continue;
    }
    for (const spec of m[2]!.split(',').map((s) => s.trim().replace(/^type /, '')).filter(Boolean)) {
      const [local, , alias] = spec.split(/\s+/);
      names.set(alias ?? local!, from.get(local!) === true);
    }
  }
  return names;
}

test('every name textloom exports has a doc comment for editors to show', () => {
  const names = documentedExports(dist('types/index.d.ts'));
  assert.ok(names.size > 150 && names.has('RNNModel') && names.has('RNNChatOptions'), `only ${names.size} exports found`);
  assert.deepEqual([...names].filter(([, documented]) => !documented).map(([name]) => name), []);
});

test('the fields of what progress callbacks, streams, results and the TrainingWorker hand over have doc comments too', () => {
  const types = dist('types');
  const files = readdirSync(types, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts')).map((f) => read(`types/${f}`));
  const undocumented: string[] = [];
  const worker = ['ModelSpec', 'ModelSummary', 'TrainingSummary', 'GenerationSummary'];
  for (const name of ['StepProgress', 'EpochProgress', 'TrainResult', 'DownloadProgress', 'TokenEvent', 'GenerateResult', ...worker]) {
    const text = files.find((f) => f.includes(`export interface ${name} {`));
    assert.ok(text, `${name} is not declared`);
    const lines = text.slice(text.indexOf(`export interface ${name} {`)).split('\n');
    for (let i = 1; lines[i] !== '}'; i++) {
      const field = /^ {4}(?:readonly )?(\w+)\??:/.exec(lines[i]!)?.[1];
      if (field !== undefined && !lines[i - 1]!.trimEnd().endsWith('*/')) undocumented.push(`${name}.${field}`);
    }
  }
  assert.deepEqual(undocumented, []);
});
