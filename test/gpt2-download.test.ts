/**
 * download(): what servers really send beyond a plain 200 or 404 (compressed cross-origin bodies, Hub
 * error codes, rate limits, stalled bodies) and a cache that cannot be read or written.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { download, type DownloadCache, type DownloadProgress } from '../src/gpt2/download.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => void res.writeHead(404).end();
const server = createServer((req, res) => handler(req, res));
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
const origin = `http://127.0.0.1:${address.port}`;
after(() => {
  server.closeAllConnections();
  server.close();
});

const json = new TextEncoder().encode(JSON.stringify({ n_embd: 16, note: 'x'.repeat(2000) }));

test('a gzipped cross-origin body whose Content-Encoding the browser hides is taken whole, not as a cut-off', async () => {
  handler = (_req, res) => {
    const body = gzipSync(json);
    res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(body.byteLength) }).end(body);
  };
  // What a page sees of a CORS response that does not expose Content-Encoding: the compressed
  // length, no encoding, and a decoded body.
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const headers = new Headers(response.headers);
    headers.delete('content-encoding');
    const hidden = new Response(response.body, { status: response.status, headers });
    Object.defineProperty(hidden, 'type', { value: 'cors' });
    return hidden;
  };
  try {
    const progress: DownloadProgress[] = [];
    const bytes = await download(`${origin}/m/config.json`, { file: 'config.json', attempts: 1, onProgress: (p) => progress.push(p) });
    assert.deepEqual(bytes, json);
    assert.deepEqual(progress.at(-1), { file: 'config.json', loaded: json.byteLength, total: json.byteLength, done: true, fromCache: false });
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('a cache that cannot be read or written is a warning: the file still downloads', async () => {
  handler = (_req, res) => void res.writeHead(200, { 'Content-Length': String(json.byteLength) }).end(json);
  const broken: DownloadCache = {
    get: () => Promise.reject(new DOMException('The operation is insecure.', 'SecurityError')),
    put: () => Promise.reject(new DOMException('Quota exceeded.', 'QuotaExceededError')),
  };
  const warnings: string[] = [];
  const bytes = await download(`${origin}/m/config.json`, { cache: broken, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(bytes, json);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /cannot read .*config\.json from the download cache \(The operation is insecure\.\); downloading it/);
  assert.match(warnings[1]!, /cannot keep .*config\.json in the download cache \(Quota exceeded\.\); it will be downloaded again next time/);
});

test('a Hub repository or revision that does not exist is an error saying which, not a missing file', async () => {
  // As the Hub answers: 401 for a repository it will not show, 404 for a revision, each with X-Error-Code.
  handler = (req, res) => {
    const revision = /\/resolve\/([^/]+)\//.exec(req.url ?? '')?.[1];
    if (req.url?.startsWith('/nobody/')) res.writeHead(401, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' }).end();
    else if (revision !== 'main') res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': `Invalid rev id: ${revision}` }).end();
    else res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found' }).end();
  };
  await assert.rejects(download(`${origin}/nobody/gpt2/resolve/main/config.json`), (e: Error) =>
    e.name === 'DownloadError' && /no repository by this id, or it is private \(HTTP 401: Repository not found\); check the id/.test(e.message));
  await assert.rejects(download(`${origin}/someone/gpt2/resolve/v9/config.json`), (e: Error) =>
    e.name === 'DownloadError' && /has no such revision \(HTTP 404: Invalid rev id: v9\); give an existing branch, tag or commit/.test(e.message));
  // A file that the revision lacks stays absent: generation_config.json and tokenizer.json are optional.
  assert.equal(await download(`${origin}/someone/gpt2/resolve/main/tokenizer.json`), null);
});

test('a server that cannot be reached is reported with the reason, not only "fetch failed"', async () => {
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((done) => closed.close(() => done()));
  await assert.rejects(download(`http://127.0.0.1:${port}/m/config.json`, { attempts: 2, retryDelayMs: 1 }), /cannot reach .*: fetch failed: connect ECONNREFUSED .*gave up after 2 attempts/);
});

test('a body that stalls is retried after stallTimeoutMs, and the retry gets the whole file', async () => {
  let requests = 0;
  handler = (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(json.byteLength) });
    // The first answer sends a little and then nothing, its connection left open.
    if (++requests === 1) res.write(json.subarray(0, 10));
    else res.end(json);
  };
  const bytes = await download(`${origin}/m/config.json`, { stallTimeoutMs: 200, retryDelayMs: 1 });
  assert.deepEqual(bytes, json);
  assert.equal(requests, 2);
  requests = 0;
  handler = (_req, res) => {
    requests++;
    res.writeHead(200, { 'Content-Length': String(json.byteLength) });
    res.write(json.subarray(0, 10));
  };
  await assert.rejects(download(`${origin}/m/config.json`, { stallTimeoutMs: 100, attempts: 2, retryDelayMs: 1 }), /config\.json sent nothing for 0\.1 s \(gave up after 2 attempts/);
  assert.equal(requests, 2);
});

test('an abort while the body arrives rejects with its reason at once', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(json.byteLength) });
    res.write(json.subarray(0, 10));
  };
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('user went away')), 50);
  const started = Date.now();
  await assert.rejects(download(`${origin}/m/config.json`, { signal: controller.signal }), /^Error: user went away$/);
  assert.ok(Date.now() - started < 5000);
});

test('retries leave no listener on the caller\'s signal: one signal serves any number of loads', async () => {
  let requests = 0;
  handler = (_req, res) => {
    // Every other request fails, so that each download waits once before its second attempt.
    if (requests++ % 2 === 0) res.writeHead(503).end();
    else res.writeHead(200, { 'Content-Length': String(json.byteLength) }).end(json);
  };
  const controller = new AbortController();
  for (let i = 0; i < 3; i++) assert.deepEqual(await download(`${origin}/m/config.json`, { signal: controller.signal, retryDelayMs: 1 }), json);
  assert.equal(requests, 6);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('a 429 with Retry-After is retried after the wait it asks for; a wait too long to make is reported at once', async () => {
  const times: number[] = [];
  handler = (_req, res) => {
    times.push(Date.now());
    if (times.length === 1) res.writeHead(429, { 'Retry-After': '1' }).end();
    else res.writeHead(200, { 'Content-Length': String(json.byteLength) }).end(json);
  };
  assert.deepEqual(await download(`${origin}/m/config.json`, { retryDelayMs: 1 }), json);
  assert.ok(times[1]! - times[0]! >= 950, `waited ${times[1]! - times[0]!} ms`);
  times.length = 0;
  handler = (_req, res) => {
    times.push(Date.now());
    res.writeHead(429, { 'Retry-After': '3600' }).end();
  };
  await assert.rejects(download(`${origin}/m/config.json`, { retryDelayMs: 1 }), (e: Error) =>
    e.name === 'DownloadError' && /HTTP 429 Too Many Requests, and the server asks to wait 3600 s before trying again/.test(e.message));
  assert.equal(times.length, 1);
});
