// The demo page (web/, served by scripts/serve.mjs) driven in headless Chromium like a user would:
// train a few hundred steps in the Worker while the page stays responsive, pause and resume, see the
// loss fall, generate (streamed), save the model, load it back and get the same text, load a model
// saved by the CLI, and chat with the tiny GPT-2 loaded by URL and from a picked folder. A screenshot
// goes to test-results/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, recordPageErrors, startServer, type Server } from './runtimes/chromium.js';
import { repoRoot } from './runtimes/paths.js';

const resultsDir = fileURLToPath(new URL('test-results/', repoRoot));
const corpus = readFileSync(new URL('corpus/pride-and-prejudice-volume-1.txt', repoRoot), 'utf8')
  .split(/\s+/)
  .slice(0, 20_000)
  .join(' ');

async function setFields(page: Page, values: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(values)) await page.fill(`#${id}`, value);
}

/** The numbers in the chart's text summary: first and last loss of the training series. */
async function trainingLosses(page: Page): Promise<{ first: number; last: number; lastStep: number }> {
  const summary = (await page.textContent('#chart-summary')) ?? '';
  const m = /training loss ([\d.]+) \(step \d+\) → ([\d.]+) \(step (\d+)\)/.exec(summary);
  assert.ok(m, `no training loss in the chart summary: ${JSON.stringify(summary)}`);
  return { first: Number(m[1]), last: Number(m[2]), lastStep: Number(m[3]) };
}

/** Generates with the page's controls and returns the output once done, with how many pieces streamed in. */
async function generate(page: Page): Promise<{ text: string; pieces: number }> {
  await page.evaluate(() => {
    const output = document.getElementById('output')!;
    const w = window as unknown as { pieces: number };
    w.pieces = 0;
    new MutationObserver((records) => (w.pieces += records.length)).observe(output, { childList: true, characterData: true });
  });
  await page.click('#generate');
  await page.waitForFunction(() => /tokens\/s/.test(document.getElementById('model-status')!.textContent ?? ''), null, { timeout: 60_000 });
  return {
    text: (await page.textContent('#output')) ?? '',
    pieces: await page.evaluate(() => (window as unknown as { pieces: number }).pieces),
  };
}

describe('the demo page', { timeout: 600_000 }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const work = mkdtempSync(join(tmpdir(), 'textloom-web-'));

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
    errors = recordPageErrors(page);
  });

  after(async () => {
    mkdirSync(resultsDir, { recursive: true });
    await page?.screenshot({ path: join(resultsDir, 'web-demo.png'), fullPage: true });
    await browser?.close();
    server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('loads under a strict CSP, cross-origin isolated', async () => {
    const response = await page.goto(`${server.origin}/web/`);
    const csp = response!.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[^']+'(;|$)/);
    assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.match((await page.textContent('#runtime-status')) ?? '', /^ready/);
  });

  test('trains a few hundred steps in the worker; the page stays responsive; pause and resume', async () => {
    await page.fill('#corpus', corpus);
    await page.selectOption('#cell', 'lstm');
    await setFields(page, { layers: '1', embed: '32', hidden: '64', epochs: '2', lr: '0.01', batch: '8', seq: '16', 'train-seed': '1' });
    await page.click('#train');
    await page.waitForFunction(() => /step \d+/.test(document.getElementById('train-status')!.textContent ?? ''), null, { timeout: 60_000 });

    // Pause at once: on an idle machine the whole run can finish within the responsiveness check below.
    await page.click('#pause');
    // The worker acknowledges the pause at its next step boundary, which a loaded machine can delay.
    await page.waitForSelector('#resume:not([disabled])', { timeout: 120_000 });
    // The chart draws (and summarizes) on the next frame; let progress that came before the pause land.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const paused = await trainingLosses(page);
    await page.waitForTimeout(500);
    assert.equal((await trainingLosses(page)).lastStep, paused.lastStep, 'training went on while paused');
    assert.match((await page.textContent('#train-status')) ?? '', /^paused/);
    // The worker refuses a load while a run is paused: the control says so by being off.
    assert.equal(await page.isDisabled('#load'), true, 'Load model is offered while the run is paused');
    await page.click('#resume');
    // The main thread keeps running timers on time while the worker trains.
    const worstGapMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let last = performance.now();
          let worst = 0;
          const timer = setInterval(() => {
            const t = performance.now();
            worst = Math.max(worst, t - last);
            last = t;
          }, 20);
          setTimeout(() => {
            clearInterval(timer);
            resolve(worst);
          }, 1500);
        }),
    );
    assert.ok(worstGapMs < 400, `the page froze for ${worstGapMs.toFixed(0)} ms while training`);

    await page.waitForFunction(() => /^completed after \d+ steps/.test(document.getElementById('train-status')!.textContent ?? ''), null, {
      timeout: 400_000,
    });
    const losses = await trainingLosses(page);
    assert.ok(losses.lastStep >= 150, `only ${losses.lastStep} steps`);
    assert.ok(losses.last < losses.first - 1, `the loss did not fall: ${losses.first} -> ${losses.last}`);
    assert.match((await page.textContent('#chart-summary')) ?? '', /validation loss [\d.]+ \(step \d+\) → [\d.]+/);
  });

  let firstText = '';

  test('generates text, streamed piece by piece, inserted as text', async () => {
    await setFields(page, { prompt: 'it is a truth', length: '30', temperature: '0.8', 'top-k': '20', 'top-p': '0.95', 'gen-seed': '42' });
    const { text, pieces } = await generate(page);
    firstText = text;
    assert.ok(text.startsWith('it is a truth'), text);
    assert.ok(text.split(' ').length >= 25, `short output: ${JSON.stringify(text)}`);
    assert.ok(pieces >= 10, `the text arrived in ${pieces} piece(s), not streamed`);
    assert.equal(await page.locator('#output *').count(), 0, 'the output holds elements, not just text');
  });

  test('a run that fails keeps the model: generate and save stay on, and it generates the same text', async () => {
    // One batch of 256 x 513 tokens is more than the corpus holds: the trainer refuses the run.
    await setFields(page, { batch: '256', seq: '512' });
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('train-status')!.classList.contains('error'), null, { timeout: 60_000 });
    assert.match((await page.textContent('#train-status')) ?? '', /one batch needs batchSize 256/);
    for (const id of ['#train', '#generate', '#save', '#load']) assert.equal(await page.isEnabled(id), true, `${id} is off after the failed run`);
    await setFields(page, { batch: '8', seq: '16' });
    assert.equal((await generate(page)).text, firstText);
  });

  test('saves the model to a file and loads it back: the same seed gives the same text', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    assert.equal(download.suggestedFilename(), 'textloom-model.safetensors');
    const saved = join(work, 'page-model.safetensors');
    await download.saveAs(saved);
    await page.setInputFiles('#load', saved);
    await page.waitForFunction(() => /^loaded page-model/.test(document.getElementById('model-status')!.textContent ?? ''));
    assert.match((await page.textContent('#model-status')) ?? '', /LSTM 1×64/);
    assert.equal((await generate(page)).text, firstText);
  });

  test('loads a model saved by the CLI', async () => {
    const corpusFile = join(work, 'corpus.txt');
    writeFileSync(corpusFile, corpus.slice(0, 20_000));
    const cliModel = join(work, 'cli-model.safetensors');
    execFileSync(process.execPath, [
      fileURLToPath(new URL('dist/cli.js', repoRoot)), 'train', corpusFile, '-o', cliModel,
      '--cell', 'gru', '--embed', '16', '--hidden', '24', '--epochs', '1', '--batch', '8', '--seq', '8', '--vocab-size', '300',
    ], { stdio: 'pipe', timeout: 120_000 });
    await page.setInputFiles('#load', cliModel);
    await page.waitForFunction(() => /^loaded cli-model/.test(document.getElementById('model-status')!.textContent ?? ''));
    assert.match((await page.textContent('#model-status')) ?? '', /GRU 1×24, \d+ words/);
    const { text } = await generate(page);
    assert.ok(text.split(' ').length >= 25, text);
  });

  test('loads the tiny GPT-2 by URL with progress, and chats', async () => {
    await page.fill('#gpt2-url', '/test/fixtures/gpt2-tiny');
    await page.click('#gpt2-load-url');
    await page.waitForFunction(() => /on (wasm|webgpu)$/.test(document.getElementById('gpt2-status')!.textContent ?? ''), null, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => (document.getElementById('gpt2-progress') as HTMLProgressElement).value), 1);
    await page.fill('#chat-input', 'Hello, how are you?');
    await page.click('#chat-send');
    await page.waitForFunction(() => {
      const replies = document.querySelectorAll('#chat-log .model');
      return replies.length === 1 && replies[0]!.textContent !== '…';
    }, null, { timeout: 120_000 });
    assert.equal(await page.locator('#chat-log .user').textContent(), 'Hello, how are you?');
    assert.ok(((await page.locator('#chat-log .model').textContent()) ?? '').length > 0);
  });

  test('loads the tiny GPT-2 from a folder picked on disk, reading its files in place', async () => {
    const requested: string[] = [];
    const record = (request: { url(): string }): void => void requested.push(new URL(request.url()).pathname);
    page.on('request', record);
    await page.setInputFiles('#gpt2-folder', fileURLToPath(new URL('test/fixtures/gpt2-tiny', repoRoot)));
    await page.waitForFunction(() => /^the folder gpt2-tiny: 2 layers, 16 wide, on wasm$/.test(document.getElementById('gpt2-status')!.textContent ?? ''), null, {
      timeout: 120_000,
    });
    page.off('request', record);
    assert.deepEqual(requested.filter((path) => !path.startsWith('/node_modules/onnxruntime-web/')), [], 'the picked model was fetched');
    assert.equal(await page.locator('#chat-log .turn').count(), 0, 'a new model starts a new conversation');
    await page.fill('#chat-input', 'Hello again');
    await page.click('#chat-send');
    await page.waitForFunction(() => {
      const reply = document.querySelector('#chat-log .model');
      return reply !== null && reply.textContent !== '…';
    }, null, { timeout: 120_000 });
  });

  test('no errors and no CSP violations in the page', () => {
    // The loader asks for tokenizer.json before vocab.json + merges.txt; this fixture has the latter.
    // A picked folder is read in place: no request at all.
    const expected = new Set(['HTTP 404 /test/fixtures/gpt2-tiny/tokenizer.json']);
    assert.deepEqual(errors.filter((e) => !expected.has(e)), []);
  });
});
