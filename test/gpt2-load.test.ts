/**
 * Loading GPT-2 models: folders, URL prefixes and Hub ids (served from 127.0.0.1), the download cache,
 * interrupted downloads, and the errors for models that are missing, foreign or contradict their config.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FolderCache, type DownloadProgress } from '../src/gpt2/download.js';
import { loadGpt2Model, type LoadModelOptions } from '../src/gpt2/load.js';
import type { ModelFileSet, NamedBlob } from '../src/gpt2/file-set.js';
import { loadGpt2 } from '../src/gpt2/pipeline.js';
import { startHubServer } from './helpers/hub-server.js';
import { maxAbsDiff, NOT_DECODER, reference, referenceLogits, TINY, TINY_TOKENIZER_JSON } from './helpers/gpt2-fixtures.js';

const server = await startHubServer({
  repos: { 'textloom-test/gpt2-tiny': TINY, 'textloom-test/gpt2-tiny-json': TINY_TOKENIZER_JSON },
  prefixes: { 'gpt2-tiny': TINY },
});
const temp = await mkdtemp(join(tmpdir(), 'textloom-gpt2-'));
after(async () => {
  await server.close();
  await rm(temp, { recursive: true, force: true });
});

const base: LoadModelOptions = { cache: null, threads: 1, retryDelayMs: 1 };

async function firstPromptLogits(source: string | URL | ModelFileSet, options: LoadModelOptions): Promise<Float32Array> {
  const { model } = await loadGpt2Model(source, { ...base, ...options });
  const ids = reference.prompts[0]!.ids;
  const logits = await model.prefill([Int32Array.from(ids)], [new Uint8Array(ids.length).fill(1)]);
  await model.release();
  return logits;
}

/** A copy of the tiny model folder with config.json edited. */
async function withConfig(name: string, edit: (config: Record<string, unknown>) => void): Promise<string> {
  const dir = join(temp, name);
  await cp(TINY, dir, { recursive: true, filter: (src) => !/decoder|fp16|quantized|reference/.test(src) });
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  edit(config);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

test('a folder loads by a relative path starting with ./, or with a trailing slash', async () => {
  for (const folder of [`./${relative(process.cwd(), TINY)}`, `${TINY}/`]) {
    const logits = await firstPromptLogits(folder, {});
    assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4, folder);
  }
});

test('a folder of symbolic links, as in the Hugging Face cache (snapshots/<rev>/ linking into blobs/), loads', async () => {
  const repo = join(temp, 'models--textloom-test--gpt2-tiny');
  const snapshot = join(repo, 'snapshots', '0123abc');
  await mkdir(join(repo, 'blobs'), { recursive: true });
  await mkdir(join(snapshot, 'onnx'), { recursive: true });
  for (const name of ['config.json', 'generation_config.json', 'onnx/model.onnx']) {
    const blob = join(repo, 'blobs', name.replace('/', '-'));
    await cp(join(TINY, name), blob);
    await symlink(relative(join(snapshot, name, '..'), blob), join(snapshot, name));
  }
  const logits = await firstPromptLogits(snapshot, {});
  assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4);
});

test('a folder loads by its file: URL, as a URL object or its string, also with spaces and non-ASCII letters in it', async () => {
  const folder = join(temp, 'my models é', 'gpt2 tiny');
  await cp(TINY, folder, { recursive: true, filter: (src) => !/decoder|fp16|quantized|reference/.test(src) });
  for (const source of [pathToFileURL(folder), pathToFileURL(folder).href, `${pathToFileURL(folder).href}/`]) {
    const logits = await firstPromptLogits(source, {});
    assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4, String(source));
  }
  await assert.rejects(firstPromptLogits(pathToFileURL(join(temp, 'nowhere')), {}), /model source ".*nowhere" is neither an existing folder/);
});

test('a URL prefix loads the model over HTTP', async () => {
  const logits = await firstPromptLogits(`${server.url}/files/gpt2-tiny`, {});
  assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4);
});

/** The fixture folder as a folder picker gives it: every file with a path that starts with the folder's name. */
async function pickedFolder(): Promise<NamedBlob[]> {
  const names = (await readdir(TINY, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(TINY.length + 1));
  return Promise.all(names.map(async (name) => {
    const bytes = await readFile(join(TINY, name));
    return { name: name.split('/').at(-1)!, webkitRelativePath: `gpt2-tiny/${name}`, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  }));
}

test('a picked folder\'s Files or a Map of names to bytes load the model without any fetch', async () => {
  const picked = await pickedFolder();
  const fromPicked = await firstPromptLogits(picked, {});
  assert.ok(maxAbsDiff(fromPicked, referenceLogits('')[0]!) < 1e-4);
  const map = new Map<string, Uint8Array>();
  for (const name of ['config.json', 'generation_config.json', 'vocab.json', 'merges.txt', 'onnx/model.onnx']) map.set(name, await readFile(join(TINY, name)));
  const fromMap = await firstPromptLogits(map, {});
  assert.deepEqual(fromMap, fromPicked);
  // The whole pipeline: tokenizer files come from the set too.
  const gpt2 = await loadGpt2(picked, base);
  const prompt = reference.prompts[0]!;
  assert.deepEqual((await gpt2.generate(prompt.text, { maxNewTokens: reference.max_new_tokens })).result.sequences[0], prompt.greedy);
  await gpt2.release();
  await assert.rejects(loadGpt2Model(new Map([['model/vocab.json', new Uint8Array(1)]]), base), /model files: none is config\.json \(got 1 files: model\/vocab\.json\); pass the model folder/);
  map.delete('onnx/model.onnx');
  await assert.rejects(loadGpt2Model(map, base), /the given files: no ONNX model for dtype fp32/);
});

test('a Hub id resolves to {hub}/{id}/resolve/{revision}/{file}, from the option or TEXTLOOM_HUB_URL', async () => {
  const logits = await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, dtype: 'q8' });
  assert.ok(maxAbsDiff(logits, referenceLogits('_quantized')[0]!) < 1e-4);
  assert.ok(server.requests.some((r) => r.path === '/textloom-test/gpt2-tiny/resolve/main/onnx/model_quantized.onnx'));
  process.env.TEXTLOOM_HUB_URL = server.url;
  try {
    const { model, onnxFiles } = await loadGpt2Model('textloom-test/gpt2-tiny-json', { ...base, dtype: 'q8', revision: 'v1' });
    assert.deepEqual(onnxFiles, ['onnx/model_quantized.onnx']);
    await model.release();
  } finally {
    delete process.env.TEXTLOOM_HUB_URL;
  }
  assert.ok(server.requests.some((r) => r.path === '/textloom-test/gpt2-tiny-json/resolve/v1/config.json'));
});

test('a Hub base URL that is not http(s) is an error naming it and where it came from, before any request', async () => {
  const before = server.requests.length;
  const load = (): Promise<unknown> => loadGpt2Model('textloom-test/gpt2-tiny', base);
  await assert.rejects(loadGpt2Model('textloom-test/gpt2-tiny', { ...base, hubUrl: 'notaurl' }),
    /the Hub base URL "notaurl" \(from the hubUrl option\) is not an http\(s\) URL; set it to one such as https:\/\/huggingface\.co/);
  try {
    process.env.TEXTLOOM_HUB_URL = 'garbage';
    process.env.HF_ENDPOINT = server.url;
    await assert.rejects(load(), /"garbage" \(from \$TEXTLOOM_HUB_URL\)/);
    delete process.env.TEXTLOOM_HUB_URL;
    process.env.HF_ENDPOINT = 'ftp://x';
    await assert.rejects(load(), /"ftp:\/\/x" \(from \$HF_ENDPOINT\) is not an http\(s\) URL/);
  } finally {
    delete process.env.TEXTLOOM_HUB_URL;
    delete process.env.HF_ENDPOINT;
  }
  assert.equal(server.requests.length, before);
});

test('a URL with a malformed percent-escape reaches the server and the cache', async () => {
  const cache = new FolderCache(join(temp, 'cache-escapes'));
  const url = `${server.url}/files/%E0%A4%A`;
  await assert.rejects(loadGpt2Model(url, { ...base, cache }), /files\/%E0%A4%A has no config\.json/);
  await cache.put(`${url}/config.json`, Uint8Array.of(1, 2));
  assert.deepEqual([...(await cache.get(`${url}/config.json`))!], [1, 2]);
});

test('a download cut off once is retried; progress reports the whole file', async () => {
  const before = server.requests.length;
  server.cutOff('/gpt2-tiny/onnx/model_fp16.onnx', 1);
  const progress: DownloadProgress[] = [];
  await firstPromptLogits(`${server.url}/files/gpt2-tiny`, { dtype: 'fp16', onProgress: (p) => progress.push(p) });
  const gets = server.requests.slice(before).filter((r) => r.path.endsWith('model_fp16.onnx'));
  assert.equal(gets.length, 2, 'one cut-off transfer and one complete');
  const done = progress.find((p) => p.file === 'onnx/model_fp16.onnx' && p.done)!;
  assert.equal(done.loaded, done.total);
  assert.equal(done.total, (await readFile(join(TINY, 'onnx/model_fp16.onnx'))).byteLength);
});

test('progress names each file relative to the model root, with one final report per file', async () => {
  const progress: DownloadProgress[] = [];
  await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, onProgress: (p) => progress.push(p) });
  assert.deepEqual(progress.filter((p) => p.done).map((p) => p.file), ['config.json', 'generation_config.json', 'onnx/model.onnx']);
});

test('a download that keeps failing is reported and never cached', async () => {
  const cacheDir = join(temp, 'cache-failing');
  server.cutOff('/gpt2-tiny/onnx/model_quantized.onnx', 3);
  await assert.rejects(
    loadGpt2Model(`${server.url}/files/gpt2-tiny`, { ...base, dtype: 'q8', downloadAttempts: 3, cache: new FolderCache(cacheDir) }),
    /download of .*model_quantized\.onnx was (cut off|interrupted).*gave up after 3 attempts/,
  );
  const files = await readdir(join(cacheDir, `127.0.0.1_${new URL(server.url).port}`, 'files', 'gpt2-tiny'), { recursive: true });
  assert.ok(files.includes('config.json'), 'complete files are cached');
  assert.ok(!files.some((f) => String(f).includes('model_quantized')), `no partial file in the cache: ${files.join(', ')}`);
});

test('the download cache serves a second load without requests', async () => {
  const cache = new FolderCache(join(temp, 'cache'));
  await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache });
  const before = server.requests.length;
  const progress: DownloadProgress[] = [];
  const logits = await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache, onProgress: (p) => progress.push(p) });
  assert.equal(server.requests.length, before);
  assert.ok(progress.some((p) => p.file === 'onnx/model.onnx' && p.fromCache && p.done));
  assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4);
});

test('a cache entry cut short after it was stored is downloaded again, with one warning; one without its record is not trusted', async () => {
  const dir = join(temp, 'cache-damaged');
  const cache = new FolderCache(dir);
  await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache });
  const entry = join(dir, `127.0.0.1_${new URL(server.url).port}`, 'textloom-test', 'gpt2-tiny', 'resolve', 'main');
  const whole = await readFile(join(entry, 'onnx', 'model.onnx'));
  assert.deepEqual(JSON.parse(await readFile(join(entry, 'onnx', 'model.onnx#record.json'), 'utf8')),
    { url: `${server.url}/textloom-test/gpt2-tiny/resolve/main/onnx/model.onnx`, size: whole.byteLength });
  // An interrupted copy of the cache folder: the model file stops halfway; config.json has lost its record.
  await writeFile(join(entry, 'onnx', 'model.onnx'), whole.subarray(0, whole.byteLength >> 1));
  await rm(join(entry, 'config.json#record.json'));
  const before = server.requests.length;
  const warnings: string[] = [];
  const logits = await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache, onWarning: (w) => warnings.push(w) });
  assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4);
  assert.deepEqual(server.requests.slice(before).map((r) => r.path.split('/').slice(-2).join('/')), ['main/config.json', 'onnx/model.onnx']);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, new RegExp(`cannot read .*model\\.onnx from the download cache \\(the copy at .*model\\.onnx has ${whole.byteLength >> 1} bytes, not the ${whole.byteLength} it had when it was downloaded\\); downloading it`));
  assert.deepEqual(await readFile(join(entry, 'onnx', 'model.onnx')), whole, 'the entry is whole again');
  const again = server.requests.length;
  await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache });
  assert.equal(server.requests.length, again, 'and served from the cache afterwards');
});

test('a cache folder that cannot be written is one warning, and the model still loads', async () => {
  // A file where the folder should be fails even for root, which ignores permissions.
  const blocked = join(temp, 'cache-blocked');
  await writeFile(blocked, 'not a folder');
  const warnings: string[] = [];
  process.env.TEXTLOOM_CACHE = blocked;
  try {
    const logits = await firstPromptLogits('textloom-test/gpt2-tiny', { hubUrl: server.url, cache: undefined, onWarning: (w) => warnings.push(w) });
    assert.ok(maxAbsDiff(logits, referenceLogits('')[0]!) < 1e-4);
  } finally {
    delete process.env.TEXTLOOM_CACHE;
  }
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /cannot keep .*config\.json in the download cache .*set TEXTLOOM_CACHE to a writable folder/);
});

test('an aborted load rejects with the abort reason and downloads nothing', async () => {
  const before = server.requests.length;
  const controller = new AbortController();
  controller.abort(new Error('user went away'));
  await assert.rejects(loadGpt2Model(`${server.url}/files/gpt2-tiny`, { ...base, signal: controller.signal }), /user went away/);
  assert.equal(server.requests.length, before);
});

test('an unknown Hub repository is an error naming the missing file', async () => {
  await assert.rejects(loadGpt2Model('textloom-test/missing', { ...base, hubUrl: server.url }), /textloom-test\/missing has no config\.json/);
});

test('a folder without ONNX files is an error that says what was looked for', async () => {
  const dir = join(temp, 'no-onnx');
  await cp(join(TINY, 'config.json'), join(dir, 'config.json'));
  await assert.rejects(loadGpt2Model(dir, base), /no ONNX model for dtype fp32: looked for onnx\/model\.onnx, .*decoder_model_merged.*; it has no onnx\/\*\.onnx files at all/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, dtpye: 'fp16' } as never), /loadGpt2: unknown option "dtpye"; did you mean dtype\?/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, dtype: 'q4' }), /looked for onnx\/model_q4\.onnx.*; it has onnx\/decoder_model\.onnx/);
});

test('an ONNX model whose inputs are not GPT-2\'s is an error listing expected and found names', async () => {
  await assert.rejects(
    loadGpt2Model(NOT_DECODER, base),
    /not a GPT-2 decoder.*input input_ids is missing.*Expected input_ids, attention_mask.*has inputs \[pixel_values\] and outputs \[probabilities\]/,
  );
});

test('a config that contradicts the model is an error naming the field', async () => {
  await assert.rejects(loadGpt2Model(await withConfig('layers', (c) => { c.n_layer = 3; }), base), /n_layer is 3 but .* has 2 layers/);
  await assert.rejects(loadGpt2Model(await withConfig('heads', (c) => { c.n_head = 2; }), base), /n_head is 2 but past_key_values\.0\.key has 4 heads/);
  const vocab = await loadGpt2Model(await withConfig('vocab', (c) => { c.vocab_size = 50000; c.bos_token_id = c.eos_token_id = 0; }), base);
  await assert.rejects(vocab.model.prefill([Int32Array.of(1)], [Uint8Array.of(1)]), /vocab_size is 50000 but logits have 50257 entries/);
  await vocab.model.release();
  await assert.rejects(loadGpt2Model(await withConfig('type', (c) => { c.model_type = 'llama'; }), base), /model_type is "llama", expected "gpt2"/);
  await assert.rejects(loadGpt2Model(await withConfig('missing', (c) => { delete c.n_embd; }), base), /missing n_embd/);
});

test('bad sources and options are errors that say what would be valid', async () => {
  await assert.rejects(loadGpt2Model(join(temp, 'nowhere/at/all'), base), /is neither an existing folder, an http\(s\) URL nor a Hub id/);
  await assert.rejects(loadGpt2Model(join(TINY, 'config.json'), base), /is a file, not a model folder/);
  await assert.rejects(loadGpt2Model('ftp://x/gpt2', base), /model source "ftp:\/\/x\/gpt2" is not a valid http\(s\) URL; give an http\(s\) URL prefix/);
  await assert.rejects(loadGpt2Model('http://', base), /model source "http:\/\/" is not a valid http\(s\) URL/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, dtype: 'fp8' as never }), /dtype must be one of fp32, fp16, q8/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, layout: 'double' as never }), /layout must be 'auto', 'single', 'merged' or 'pair'/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, device: 'tpu' as never }), /device must be 'auto', 'wasm', 'webgpu' or 'native'/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, device: 'webgpu' }), /no WebGPU adapter/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, threads: 2 }), /already runs with 1 thread\(s\) in this process and cannot change to 2/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, downloadAttempts: 0 }), /loadGpt2: downloadAttempts must be an integer >= 1 \(default 3\), got 0/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, retryDelayMs: -1 }), /loadGpt2: retryDelayMs must be a number of milliseconds >= 0/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, stallTimeoutMs: '30s' as never }), /loadGpt2: stallTimeoutMs must be a number of milliseconds > 0 \(default 30000\), got "30s"/);
  await assert.rejects(loadGpt2Model(TINY, { ...base, onWarning: 'log' as never }), /loadGpt2: onWarning must be a function/);
});
