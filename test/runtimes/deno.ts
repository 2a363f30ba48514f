/**
 * Runs a script under Deno (the npm package `deno`) and returns the JSON it prints on its last line.
 *
 * Bare `onnxruntime-web` resolves from node_modules because the script lies inside this package (Deno 2
 * finds package.json and uses its node_modules). A script outside any package needs
 * `--node-modules-dir=manual` and an import map that maps the name to a file: URL in node_modules.
 * Permissions: --allow-read (the bundle, fixtures, models), --allow-env (onnxruntime and the cache folder
 * read the environment) and --allow-sys (Deno's node:fs asks for the user id when it stats files).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './paths.js';

export const DENO_PATH = fileURLToPath(new URL('node_modules/.bin/deno', repoRoot));

/** `permissions` replaces the flags above (a script that reads /proc/self needs --allow-all). */
export function runDeno<T>(script: URL, args: string[] = [], timeoutMs = 120_000, permissions?: string[]): Promise<T> {
  // WebGPU's Vulkan loader wants a runtime directory; Deno warns on every adapter request without one.
  const runtimeDir = mkdtempSync(join(tmpdir(), 'textloom-deno-'));
  const root = fileURLToPath(repoRoot);
  const argv = ['run', ...(permissions ?? [`--allow-read=${root}`, '--allow-env', '--allow-sys']), fileURLToPath(script), ...args];
  return new Promise<T>((resolve, reject) => {
    execFile(
      DENO_PATH,
      argv,
      { cwd: root, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        rmSync(runtimeDir, { recursive: true, force: true });
        if (error) {
          reject(new Error(`deno ${argv.join(' ')} failed (${error.message}):\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`deno printed no JSON result; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      },
    );
  });
}
