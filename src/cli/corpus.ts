/**
 * Corpus files for the CLI: the paths given (a directory stands for its *.txt files) or, with none, the
 * built-in public-domain corpus shipped in corpus/.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDirectory, listFiles } from '../platform/index.js';
import { CorpusError, readCorpusFiles } from '../index.js';
import { packageInfo } from './package-root.js';
import { UsageError } from './args.js';
import { requireWritableFolder } from './writable.js';

/** The built-in corpus file, shipped in corpus/ at the package root. */
function builtinCorpusPath(): string {
  return join(packageInfo().root, 'corpus', 'pride-and-prejudice-volume-1.txt');
}
const BUILTIN_CORPUS_NAME = 'Pride and Prejudice, Volume I (Jane Austen, public domain)';

async function expandCorpusPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (await isDirectory(path)) {
      const texts = (await listFiles(path)).filter((n) => n.toLowerCase().endsWith('.txt')).map((n) => join(path, n));
      if (texts.length === 0) {
        throw new CorpusError(`directory ${path} has no .txt files (subfolders are not searched); pass text files or a directory of them`);
      }
      files.push(...texts);
    } else {
      files.push(path);
    }
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const key = resolve(file);
    const first = seen.get(key);
    if (first !== undefined) throw new UsageError(`${file} is given twice (also as ${first}); a text read twice would be trained on twice`);
    seen.set(key, file);
  }
  return files;
}

/** The corpus text, a name for it (the one file, a count of files, or the built-in corpus) and its files. */
export async function loadCorpus(paths: readonly string[]): Promise<{ text: string; name: string; files: string[] }> {
  if (paths.length === 0) {
    const builtin = builtinCorpusPath();
    return { text: await readCorpusFiles([builtin]), name: BUILTIN_CORPUS_NAME, files: [builtin] };
  }
  const files = await expandCorpusPaths(paths);
  return { text: await readCorpusFiles(files), name: files.length === 1 ? files[0]! : `${files.length} files`, files };
}

/** Refuses, before any training, an output path that could not be written or would replace a corpus file. */
export async function checkOutputPath(output: string, corpusFiles: readonly string[]): Promise<void> {
  if (output === '') throw new UsageError('-o needs a file path, e.g. -o model.safetensors');
  const target = resolve(output);
  // Compared as files, not as path strings: through a linked folder (`-o link/corpus.txt`), a link to
  // the corpus or a hard link, a different path still names the corpus file.
  const existing = await stat(target).catch(() => null);
  for (const file of corpusFiles) {
    const samePath = resolve(file) === target;
    const corpus = samePath || existing === null ? null : await stat(file).catch(() => null);
    if (samePath || (corpus !== null && corpus.dev === existing!.dev && corpus.ino === existing!.ino)) {
      throw new UsageError(`-o ${output} is a corpus file${samePath ? '' : ` (${file})`}: the checkpoint would replace it; choose another path`);
    }
  }
  // A trailing slash names a folder even where none exists yet; the save would fail only after training.
  if (existing?.isDirectory() || /[\\/]$/.test(output)) {
    const what = existing?.isDirectory() ? 'is a directory' : 'ends in a slash, so it names a directory';
    throw new UsageError(`-o ${output} ${what}; give a file path such as ${join(output, 'model.safetensors')}`);
  }
  await requireWritableFolder(target, output);
}

/** FNV-1a over the ids, to tell on resume whether the corpus is the one the run started on. */
export function tokenFingerprint(ids: Int32Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) {
    hash = Math.imul(hash ^ ids[i]!, 0x01000193) >>> 0;
  }
  return `${ids.length}:${hash.toString(16).padStart(8, '0')}`;
}
