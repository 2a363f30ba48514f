#!/usr/bin/env node
// Static server for the demo page and the browser tests, on 127.0.0.1 only.
// Every response is cross-origin isolated (COOP/COEP), which WASM threads need; every HTML page gets a
// strict Content Security Policy: scripts only from this origin (plus the page's own import map, allowed
// by its hash, since an import map can only be inline), WebAssembly compilation but no eval, no plugins.
//
//   node scripts/serve.mjs [--port 8080] [--root DIR] [--test-hooks]
// Prints `serving http://127.0.0.1:PORT/` once listening (port 0 picks a free one).
// --root DIR serves everything under DIR instead (your own page, e.g. one that imports
// /node_modules/textloom/dist/textloom.js), with the same headers and policy.
// --test-hooks (for the browser tests only; off by default) adds two routes: GET /__test/requests answers
// the paths requested so far, as JSON; /__test/cut/PATH serves PATH, but an .onnx file's body stops at
// half its announced Content-Length and the connection is dropped, as when a download is interrupted.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Of the repository only these trees are reachable; everything else (sources, .git, other packages) is 404.
const REPO_PREFIXES = [
  'web/',
  'dist/',
  'test/runtimes/',
  'test/fixtures/',
  'corpus/',
  'build/test/runtimes/',
  'build/test/web/',
  'node_modules/onnxruntime-web/dist/',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** The policy for one HTML page; `html` is scanned for inline import maps, the only inline script allowed. */
function contentSecurityPolicy(html) {
  const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)]
    .map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data: blob:",
    // Models may come from another origin (a URL the user types); nothing else leaves the page.
    "connect-src 'self' https: blob: data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What is served: a folder and the trees under it that may be read ('' for all of it). */
let site = { root: repoRoot, prefixes: REPO_PREFIXES };

/** Maps a request path to a file under a public prefix, or null. */
function publicFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const relativePath = normalize(decoded).replace(/^[/\\]+/, '');
  if (relativePath.split(sep).includes('..')) return null;
  const unixPath = relativePath.split(sep).join('/');
  if (!site.prefixes.some((p) => unixPath.startsWith(p))) return null;
  return join(site.root, relativePath);
}

const CUT_PREFIX = '/__test/cut/';

/** Test hooks' state: every request's path, in order of arrival (null while the hooks are off). */
let requestLog = null;

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let cut = false;
  if (requestLog !== null) {
    if (url.pathname === '/__test/requests') {
      res.writeHead(200, { 'Content-Type': TYPES['.json'], ...ISOLATION_HEADERS }).end(JSON.stringify(requestLog));
      return;
    }
    requestLog.push(url.pathname);
    if (url.pathname.startsWith(CUT_PREFIX)) {
      url.pathname = url.pathname.slice(CUT_PREFIX.length - 1);
      cut = url.pathname.endsWith('.onnx');
    }
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', ...ISOLATION_HEADERS }).end();
    return;
  }
  if (site.prefixes === REPO_PREFIXES && (url.pathname === '/' || url.pathname === '/web')) {
    res.writeHead(302, { Location: '/web/', ...ISOLATION_HEADERS }).end();
    return;
  }
  let file = publicFile(url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname);
  let info = file && (await stat(file).catch(() => null));
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!file || !info?.isFile()) {
    res.writeHead(404, { 'Content-Type': TYPES['.txt'], ...ISOLATION_HEADERS }).end('not found\n');
    return;
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const headers = { 'Content-Type': type, 'Content-Length': String(info.size), ...ISOLATION_HEADERS };
  if (extname(file) === '.html') {
    const html = await readFile(file, 'utf8');
    headers['Content-Security-Policy'] = contentSecurityPolicy(html);
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : html);
    return;
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (cut) {
    const body = await readFile(file);
    res.write(body.subarray(0, body.byteLength >> 1), () => res.destroy());
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export function startServer(port, options = {}) {
  requestLog = options.testHooks ? [] : null;
  site = options.root ? { root: resolve(options.root), prefixes: [''] } : { root: repoRoot, prefixes: REPO_PREFIXES };
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': TYPES['.txt'] });
      res.end(`server error: ${e.message}\n`);
    });
  });
  return new Promise((resolveListening, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListening(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portIndex = args.indexOf('--port');
  const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port expects an integer from 0 to 65535, got ${args[portIndex + 1]}`);
    process.exit(2);
  }
  const rootIndex = args.indexOf('--root');
  const siteRoot = rootIndex >= 0 ? args[rootIndex + 1] : undefined;
  if (rootIndex >= 0 && !(await stat(siteRoot ?? '').catch(() => null))?.isDirectory()) {
    console.error(`serve: --root expects a folder to serve, got ${siteRoot}`);
    process.exit(2);
  }
  const server = await startServer(port, { root: siteRoot, testHooks: args.includes('--test-hooks') }).catch((e) => {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}; pick another with --port`);
    process.exit(1);
  });
  const where = siteRoot ? `${resolve(siteRoot)} at /` : 'the demo page at /web/';
  console.log(`serving http://127.0.0.1:${server.address().port}/ (${where}; Ctrl-C stops)`);
}
