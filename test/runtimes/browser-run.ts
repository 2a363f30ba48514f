/** Runs test/runtimes/browser.html in headless Chromium and returns the scenario's outcome. */
import { launchChromium, recordPageErrors, startServer } from './chromium.js';
import type { Outcome } from './scenario.js';

export async function runInChromium(options: { webgpu: boolean; timeoutMs: number }): Promise<Outcome> {
  const server = await startServer();
  const browser = await launchChromium({ webgpu: options.webgpu });
  try {
    const page = await browser.newPage();
    const errors = recordPageErrors(page);
    await page.goto(`${server.origin}/test/runtimes/browser.html${options.webgpu ? '?webgpu' : ''}`);
    const result = page.locator('#result:not([data-state="running"])');
    await result.waitFor({ state: 'attached', timeout: options.timeoutMs });
    const text = (await result.textContent()) ?? '';
    if ((await result.getAttribute('data-state')) !== 'done') {
      throw new Error(`the scenario failed in Chromium: ${text}\npage errors:\n${errors.join('\n')}`);
    }
    return JSON.parse(text) as Outcome;
  } finally {
    await browser.close();
    server.stop();
  }
}
