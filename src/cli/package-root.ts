/**
 * The folder of textloom's own package.json, found by walking up from this module: the CLI runs from
 * build/src/cli/ in the repository and from dist/cli.js in an installed package, so a fixed relative
 * path fits only one of them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'textloom';

export interface PackageInfo {
  /** The package's root folder (holds package.json and corpus/). */
  root: string;
  version: string;
}

let found: PackageInfo | undefined;

/** textloom's package, found from this module (cached: it does not move while the CLI runs). */
export function packageInfo(): PackageInfo {
  return (found ??= findPackage(import.meta.url));
}

/** Walks up from the module at `moduleUrl` to the nearest folder whose package.json is textloom's. */
function findPackage(moduleUrl: string): PackageInfo {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === PACKAGE_NAME) return { root: dir, version: String(manifest.version) };
    if (dirname(dir) === dir) {
      throw new Error(`no package.json named "${PACKAGE_NAME}" in ${start} or any folder above it; ` +
        'run the CLI from an installed textloom package or from the repository');
    }
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
