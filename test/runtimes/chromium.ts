/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
 * browser download), pages served by scripts/serve.mjs so they run cross-origin isolated under the same
 * strict CSP as the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './paths.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * WebGPU on SwiftShader, Chromium's software Vulkan. An adapter is only offered to secure contexts,
 * which http://127.0.0.1 is and about:blank is not.
 */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing; install Debian's chromium (apt-get install chromium), as .ci/run does`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...BASE_ARGS, ...(options.webgpu ? WEBGPU_ARGS : [])],
  });
}

export interface Server {
  origin: string;
  stop(): void;
}

/**
 * Starts scripts/serve.mjs on a free port. `testHooks` turns on its request log (read with
 * `requestedPaths`) and its /__test/cut/ route that interrupts .onnx downloads halfway; `root` serves
 * that folder instead of the repository's public trees.
 */
export async function startServer(options: { testHooks?: boolean; root?: string } = {}): Promise<Server> {
  const args = [
    fileURLToPath(new URL('scripts/serve.mjs', repoRoot)), '--port', '0',
    ...(options.root ? ['--root', options.root] : []),
    ...(options.testHooks ? ['--test-hooks'] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code} before listening: ${err}`)));
  });
  return { origin, stop: () => child.kill() };
}

/** A served blank page in Chromium: the server, the browser, the page and the page's recorded errors. */
export interface BlankPage {
  server: Server;
  browser: Browser;
  page: Page;
  errors: string[];
  /** Closes the browser and stops the server. */
  close(): Promise<void>;
}

/** Starts the server and Chromium and opens test/runtimes/blank.html, recording its errors. */
export async function openBlankPage(options: { testHooks?: boolean } = {}): Promise<BlankPage> {
  const server = await startServer(options);
  const browser = await launchChromium();
  const page = await browser.newPage();
  const errors = recordPageErrors(page);
  await page.goto(`${server.origin}/test/runtimes/blank.html`);
  return {
    server, browser, page, errors,
    close: async () => {
      await browser.close();
      server.stop();
    },
  };
}

/** Every path the server was asked for so far, in order; needs a server started with `testHooks`. */
export async function requestedPaths(server: Server): Promise<string[]> {
  const response = await fetch(`${server.origin}/__test/requests`);
  if (!response.ok) throw new Error(`GET /__test/requests: HTTP ${response.status}; start the server with startServer({ testHooks: true })`);
  return (await response.json()) as string[];
}

/**
 * Collects a page's uncaught errors, console errors and failed responses (with their URL, which the
 * console message lacks), so a failing test shows the page's own error rather than a timeout.
 */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console.error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
  });
  return errors;
}
