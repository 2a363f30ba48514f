/**
 * Corpus files for the CLI: the paths given (a directory stands for its *.txt files) or, with none, the
 * built-in public-domain corpus shipped in corpus/.
 */
import { join } from 'node:path';
import { isDirectory, listFiles } from '../platform/index.js';
import { CorpusError, readCorpusFiles } from '../index.js';
import { packageInfo } from './package-root.js';

/** The built-in corpus file, shipped in corpus/ at the package root. */
function builtinCorpusPath(): string {
  return join(packageInfo().root, 'corpus', 'pride-and-prejudice-volume-1.txt');
}
const BUILTIN_CORPUS_NAME = 'Pride and Prejudice, Volume I (Jane Austen, public domain)';

async function expandCorpusPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (await isDirectory(path)) {
      const texts = (await listFiles(path)).filter((f) => f.toLowerCase().endsWith('.txt'));
      if (texts.length === 0) throw new CorpusError(`directory ${path} has no .txt files; pass text files or a directory of them`);
      files.push(...texts);
    } else {
      files.push(path);
    }
  }
  return files;
}

/** The corpus text and a name for it (the one file, a count of files, or the built-in corpus). */
export async function loadCorpus(paths: readonly string[]): Promise<{ text: string; name: string }> {
  if (paths.length === 0) return { text: await readCorpusFiles([builtinCorpusPath()]), name: BUILTIN_CORPUS_NAME };
  const files = await expandCorpusPaths(paths);
  return { text: await readCorpusFiles(files), name: files.length === 1 ? files[0]! : `${files.length} files` };
}

/** FNV-1a over the ids, to tell on resume whether the corpus is the one the run started on. */
export function tokenFingerprint(ids: Int32Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) {
    hash = Math.imul(hash ^ ids[i]!, 0x01000193) >>> 0;
  }
  return `${ids.length}:${hash.toString(16).padStart(8, '0')}`;
}
