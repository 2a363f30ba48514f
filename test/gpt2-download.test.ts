/**
 * download(): what servers really send beyond a plain 200 or 404 (compressed cross-origin bodies, Hub
 * error codes, rate limits, stalled bodies) and a cache that cannot be read or written.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
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
