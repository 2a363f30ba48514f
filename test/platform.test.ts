import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { open } from 'node:fs/promises';
import { IO_CHUNK_BYTES, readInChunks, writeAll } from '../src/platform/files.js';
import {
  detectRuntime,
  readBytes,
  readText,
  fileExists,
  isDirectory,
  listFiles,
  writeBytesAtomic,
  cacheDirectory,
  yieldToEventLoop,
  fetchBytes,
  PlatformFileError,
} from '../src/platform/index.js';

test('detects Node', () => {
  assert.equal(detectRuntime(), 'node');
});

test('atomic write replaces the file and leaves no temporary behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-platform-'));
  const target = join(dir, 'out.bin');
  await writeBytesAtomic(target, new Uint8Array([1, 2, 3]));
  await writeBytesAtomic(target, [new Uint8Array([4, 5]), new Uint8Array([6])]);
  assert.deepEqual([...(await readBytes(target))], [4, 5, 6]);
  assert.deepEqual(readdirSync(dir), ['out.bin']);
  assert.equal(await fileExists(target), true);
  assert.equal(await fileExists(join(dir, 'missing')), false);
});

test('a write that fails midway keeps the previous file intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-platform-'));
  const target = join(dir, 'model.safetensors');
  writeFileSync(target, 'previous');
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode('half of the new');
    throw new Error('disk went away');
  }
  await assert.rejects(writeBytesAtomic(target, failing()), /cannot write .*model\.safetensors: disk went away/);
  assert.equal(readFileSync(target, 'utf8'), 'previous');
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('an atomic write to a symbolic link replaces the file it links to and keeps the link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-platform-'));
  mkdirSync(join(dir, 'runs', 'run3'), { recursive: true });
  writeFileSync(join(dir, 'runs', 'run3', 'model.safetensors'), 'old');
  symlinkSync('runs/run3/model.safetensors', join(dir, 'latest.safetensors'));
  await writeBytesAtomic(join(dir, 'latest.safetensors'), new TextEncoder().encode('new'));
  assert.equal(lstatSync(join(dir, 'latest.safetensors')).isSymbolicLink(), true);
  assert.equal(readFileSync(join(dir, 'runs', 'run3', 'model.safetensors'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(join(dir, 'runs', 'run3')), ['model.safetensors']);
  // A link in a linked folder, whose `..` is the parent of the folder linked to (runs/), not dir/.
  symlinkSync('runs/run3', join(dir, 'current'));
  symlinkSync('../model.safetensors', join(dir, 'runs', 'run3', 'up.safetensors'));
  writeFileSync(join(dir, 'runs', 'model.safetensors'), 'old');
  await writeBytesAtomic(join(dir, 'current', 'up.safetensors'), new TextEncoder().encode('up'));
  assert.equal(readFileSync(join(dir, 'runs', 'model.safetensors'), 'utf8'), 'up');
  // A dangling link: the file it names is created, as writeFile would.
  symlinkSync('runs/next.safetensors', join(dir, 'next.safetensors'));
  await writeBytesAtomic(join(dir, 'next.safetensors'), new TextEncoder().encode('next'));
  assert.equal(readFileSync(join(dir, 'runs', 'next.safetensors'), 'utf8'), 'next');
  assert.equal(lstatSync(join(dir, 'next.safetensors')).isSymbolicLink(), true);
});

test('file: URLs, as URL objects or strings, name the files of their paths (spaces and non-ASCII letters included)', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'textloom-platform-')), 'my models é');
  mkdirSync(dir);
  const url = pathToFileURL(join(dir, 'notes 1.txt'));
  assert.match(url.href, /my%20models%20%C3%A9\/notes%201\.txt$/);
  await writeBytesAtomic(url, new TextEncoder().encode('by URL'));
  assert.equal(readFileSync(join(dir, 'notes 1.txt'), 'utf8'), 'by URL');
  await writeBytesAtomic(url.href, new TextEncoder().encode('by its string'));
  assert.equal(await readText(url), 'by its string');
  assert.equal(await readText(url.href), 'by its string');
  assert.equal(await fileExists(url.href), true);
  assert.equal(await isDirectory(pathToFileURL(dir).href), true);
  assert.deepEqual(readdirSync(dir), ['notes 1.txt']);
  await assert.rejects(readText('file://example.com/notes.txt'), /file:\/\/example\.com\/notes\.txt is not a file URL of this system .*; give a file path or a file:\/\/\/ URL/);
});

test('listFiles counts a symbolic link to a file as a file, not one to a folder or to nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-platform-'));
  mkdirSync(join(dir, 'blobs'));
  mkdirSync(join(dir, 'snapshot'));
  writeFileSync(join(dir, 'blobs', '1f3a'), 'weights');
  writeFileSync(join(dir, 'snapshot', 'plain.txt'), 'text');
  symlinkSync('../blobs/1f3a', join(dir, 'snapshot', 'model.onnx'));
  symlinkSync('../blobs', join(dir, 'snapshot', 'folder-link'));
  symlinkSync('../blobs/missing', join(dir, 'snapshot', 'dangling.onnx'));
  mkdirSync(join(dir, 'snapshot', 'sub'));
  assert.deepEqual(await listFiles(join(dir, 'snapshot')), ['model.onnx', 'plain.txt']);
});

test('reading a missing file says which file and why', async () => {
  await assert.rejects(
    readText('/nonexistent/textloom/corpus.txt'),
    (e: unknown) => e instanceof PlatformFileError && e.code === 'ENOENT' && /corpus\.txt: no such file/.test(e.message),
  );
});

test('cache directory honours TEXTLOOM_CACHE', async () => {
  const saved = process.env['TEXTLOOM_CACHE'];
  process.env['TEXTLOOM_CACHE'] = '/tmp/tl-cache';
  try {
    assert.equal(await cacheDirectory(), '/tmp/tl-cache');
  } finally {
    if (saved === undefined) delete process.env['TEXTLOOM_CACHE'];
    else process.env['TEXTLOOM_CACHE'] = saved;
  }
});

test('yieldToEventLoop lets a pending timer run', async () => {
  let fired = false;
  setImmediate(() => (fired = true));
  await yieldToEventLoop();
  await yieldToEventLoop();
  assert.equal(fired, true);
});

test('URLs are fetched; an HTTP error names the status', async () => {
  assert.equal(await readText('data:text/plain,hello%20there'), 'hello there');
  const server = createServer((request, response) => {
    if (request.url === '/corpus.txt') response.end('served text');
    else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await readText(`http://127.0.0.1:${port}/corpus.txt`), 'served text');
    await assert.rejects(fetchBytes(`http://127.0.0.1:${port}/missing`), /cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404 Not Found/);
  } finally {
    server.close();
  }
});

test('files past the 2^31 - 1 bytes of one Node read or write go a chunk at a time', async () => {
  // Chunks of 7 bytes stand in for the 1 GiB ones that a checkpoint of over 2 GiB needs.
  assert.equal(IO_CHUNK_BYTES, 2 ** 30);
  const dir = mkdtempSync(join(tmpdir(), 'textloom-chunks-'));
  const path = join(dir, 'bytes.bin');
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) % 251);
  const handle = await open(path, 'w');
  await writeAll(handle, bytes, 7);
  await handle.close();
  assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
  const reader = await open(path, 'r');
  assert.deepEqual(await readInChunks(reader, 100, 7), bytes);
  // A file that is shorter than its size said gives what it holds.
  assert.deepEqual(await readInChunks(reader, 120, 7), bytes);
  await reader.close();
  rmSync(dir, { recursive: true });
});
