/** Where things are, seen from build/test/runtimes/ (where this file runs once compiled). */
export const repoRoot = new URL('../../../', import.meta.url);
export const bundleUrl = new URL('dist/textloom.js', repoRoot);
