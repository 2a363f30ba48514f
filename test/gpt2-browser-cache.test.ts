// The GPT-2 download cache in a real page (headless Chromium, dist/textloom.js served by
// scripts/serve.mjs with its test hooks): a model loaded by URL lands in the Cache API, a second load
// takes the ONNX file from there without asking the server, and an ONNX download cut off halfway fails
// with an error that says so and leaves no entry behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { reference, TINY } from './helpers/gpt2-fixtures.js';
import { openBlankPage, requestedPaths, type BlankPage, type Server } from './runtimes/chromium.js';

const MODEL_PATH = '/test/fixtures/gpt2-tiny';
const ONNX_FILE = 'onnx/model.onnx';
const CUT_PREFIX = '/__test/cut';
const onnxBytes = statSync(`${TINY}/${ONNX_FILE}`).size;
const prompt = reference.prompts[0]!;

interface PageProgress { loaded: number; total: number | null; done: boolean; fromCache: boolean }

interface PageLoad {
  /** Greedy ids for the prompt, or null when the load failed. */
  greedy: number[] | null;
  error: string | null;
  /** Progress reports for the ONNX file, in order. */
  onnxProgress: PageProgress[];
}

/** Loads the model at `modelUrl` in the page with the default cache and decodes the prompt greedily. */
function loadInPage(page: Page, modelUrl: string): Promise<PageLoad> {
  return page.evaluate(async ({ bundle, modelUrl, text, maxNewTokens }) => {
    const lib = (await import(bundle)) as typeof import('../src/index.js');
    const onnxProgress: PageProgress[] = [];
    const onProgress = (p: PageProgress & { file: string }): void => {
      if (p.file.endsWith('.onnx')) onnxProgress.push({ loaded: p.loaded, total: p.total, done: p.done, fromCache: p.fromCache });
    };
    try {
      // Retries stay on (the default three attempts) but wait only briefly.
      const gpt2 = await lib.loadGpt2(modelUrl, { device: 'wasm', threads: 1, retryDelayMs: 10, onProgress });
      try {
        const out = await gpt2.generate(text, { maxNewTokens });
        return { greedy: Array.from(out.result.sequences[0]!), error: null, onnxProgress };
      } finally {
        await gpt2.release();
      }
    } catch (e) {
      return { greedy: null, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), onnxProgress };
    }
  }, { bundle: '/dist/textloom.js', modelUrl, text: prompt.text, maxNewTokens: reference.max_new_tokens });
}

/** Every entry of every cache the page holds: its cache's name, URL and body size. */
function cacheEntries(page: Page): Promise<{ cache: string; url: string; bytes: number }[]> {
  return page.evaluate(async () => {
    const entries: { cache: string; url: string; bytes: number }[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        entries.push({ cache: name, url: request.url, bytes: (await response!.arrayBuffer()).byteLength });
      }
    }
    return entries;
  });
}

describe('GPT-2 downloads in Chromium and the Cache API', { timeout: 120_000 }, () => {
  let blank: BlankPage;
  let server: Server;
  let page: Page;
  let errors: string[];

  /** Requests the server saw for paths ending in `.onnx` since `from` (an index into its log). */
  async function onnxRequestsSince(from: number): Promise<string[]> {
    return (await requestedPaths(server)).slice(from).filter((path) => path.endsWith('.onnx'));
  }

  before(async () => {
    blank = await openBlankPage({ testHooks: true });
    ({ server, page, errors } = blank);
  });

  after(() => blank?.close());

  test('the first load downloads the model, gives the reference greedy ids and caches the ONNX file', async () => {
    assert.deepEqual(await cacheEntries(page), [], 'a fresh page starts with an empty Cache API');
    const logStart = (await requestedPaths(server)).length;
    const load = await loadInPage(page, `${server.origin}${MODEL_PATH}`);
    assert.equal(load.error, null);
    assert.deepEqual(load.greedy, prompt.greedy);
    assert.deepEqual(await onnxRequestsSince(logStart), [`${MODEL_PATH}/${ONNX_FILE}`]);
    const last = load.onnxProgress.at(-1)!;
    assert.deepEqual(last, { loaded: onnxBytes, total: onnxBytes, done: true, fromCache: false });
    assert.ok(load.onnxProgress.length > 1, 'no progress before the ONNX file was complete');
    const cached = (await cacheEntries(page)).filter((e) => e.url.endsWith('.onnx'));
    assert.deepEqual(cached, [{ cache: 'textloom-models', url: `${server.origin}${MODEL_PATH}/${ONNX_FILE}`, bytes: onnxBytes }]);
  });

  test('a second load takes the ONNX file from the Cache API: the server is not asked for it again', async () => {
    const logStart = (await requestedPaths(server)).length;
    const load = await loadInPage(page, `${server.origin}${MODEL_PATH}`);
    assert.equal(load.error, null);
    assert.deepEqual(load.greedy, prompt.greedy);
    assert.deepEqual(await onnxRequestsSince(logStart), []);
    assert.deepEqual(load.onnxProgress, [{ loaded: onnxBytes, total: onnxBytes, done: true, fromCache: true }]);
  });

  test('an ONNX download cut off halfway fails after its retries, saying so, and is never cached', async () => {
    const logStart = (await requestedPaths(server)).length;
    const modelUrl = `${server.origin}${CUT_PREFIX}${MODEL_PATH}`;
    const load = await loadInPage(page, modelUrl);
    assert.equal(load.greedy, null, 'a model whose ONNX file arrived half was used');
    assert.match(load.error ?? '', /^DownloadError: download of http:\S+\/__test\/cut\/test\/fixtures\/gpt2-tiny\/onnx\/model\.onnx was (cut off|interrupted)/);
    assert.match(load.error ?? '', /of \d+ bytes.*gave up after 3 attempts; check the connection and try again/);
    const cutPath = `${CUT_PREFIX}${MODEL_PATH}/${ONNX_FILE}`;
    assert.deepEqual(await onnxRequestsSince(logStart), [cutPath, cutPath, cutPath], 'three attempts, no more');
    assert.ok(load.onnxProgress.every((p) => !p.done && p.loaded < onnxBytes), 'a cut-off file was reported done');
    const entries = await cacheEntries(page);
    // The same load did cache its complete files, so the cache was in use when the ONNX file was refused.
    assert.ok(entries.some((e) => e.url === `${modelUrl}/config.json`), `config.json of the cut load is not cached: ${JSON.stringify(entries)}`);
    assert.deepEqual(entries.filter((e) => e.url.startsWith(modelUrl) && e.url.endsWith('.onnx')), []);
  });

  test('no page errors beyond the expected 404s', () => {
    // The loader asks for tokenizer.json before vocab.json + merges.txt; this fixture has the latter.
    const expected = new Set([`HTTP 404 ${MODEL_PATH}/tokenizer.json`, `HTTP 404 ${CUT_PREFIX}${MODEL_PATH}/tokenizer.json`]);
    assert.deepEqual(errors.filter((e) => !expected.has(e)), []);
  });
});
