// web/README.md's page, run as written: its index.html and app.js go into a folder with notes.txt and
// node_modules/textloom (where an install puts it), served by `scripts/serve.mjs --root` under the
// strict policy, and opened in headless Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium, recordPageErrors, startServer, type Server } from './runtimes/chromium.js';
import { repoRoot } from './runtimes/paths.js';

const root = fileURLToPath(repoRoot);
const readme = readFileSync(join(root, 'web', 'README.md'), 'utf8');
const html = /```html\n([\s\S]*?)```/.exec(readme)?.[1];
const script = /```js\n([\s\S]*?)```/.exec(readme)?.[1];

const site = mkdtempSync(join(tmpdir(), 'textloom-web-readme-'));
let server: Server;
let browser: Browser;

before(async () => {
  assert.ok(html?.includes('<!-- index.html -->') && script?.includes('// app.js'), 'web/README.md lost its index.html or app.js block');
  writeFileSync(join(site, 'index.html'), html!);
  writeFileSync(join(site, 'app.js'), script!);
  writeFileSync(join(site, 'notes.txt'), readFileSync(join(root, 'corpus', 'pride-and-prejudice-volume-1.txt'), 'utf8').slice(0, 20_000));
  mkdirSync(join(site, 'node_modules'));
  symlinkSync(root, join(site, 'node_modules', 'textloom'), 'dir');
  server = await startServer({ root: site });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  rmSync(site, { recursive: true, force: true });
});

test('the page of web/README.md trains in its Worker and streams generated text into the page', { timeout: 240_000 }, async () => {
  const page = await browser.newPage();
  const errors = recordPageErrors(page);
  const progress: string[] = [];
  page.on('console', (m) => m.type() === 'log' && progress.push(m.text()));
  const response = await page.goto(`${server.origin}/`);
  assert.match(response!.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  // An error in the page fails the test when it happens, not at the timeout.
  let watch: ReturnType<typeof setInterval> | undefined;
  const failed = new Promise<never>((_, reject) => {
    watch = setInterval(() => errors.length > 0 && reject(new Error(errors.join('\n'))), 200);
  });
  try {
    await Promise.race([
      page.waitForFunction(() => (document.getElementById('output')!.textContent ?? '').trim().split(/\s+/).length >= 20, null, { timeout: 200_000 }),
      failed,
    ]);
  } finally {
    clearInterval(watch);
  }
  assert.deepEqual(errors, []);
  assert.ok(progress.length > 0, 'the training progress was not logged');
  await page.close();
});
