/**
 * Where a model's files come from: a local folder, a URL prefix, or a Hugging Face Hub id, all in the
 * Hub's layout (`config.json`, tokenizer files, `onnx/*.onnx`). The rest of the loader only asks for
 * files by their name relative to the model root.
 */
import { environmentVariable, hasFileSystem, isDirectory, readBytes, fileExists, listFiles, localPath } from '../platform/index.js';
import { defaultCache, download, warnOnConsole, type DownloadCache, type ProgressCallback } from './download.js';

/** A model's files by name relative to its root, wherever they are (folder, URL prefix, Hub, files in hand). */
export interface ModelFiles {
  /** The folder, URL or Hub id, for messages. */
  readonly location: string;
  /** Bytes of `name` (relative to the model root), or null when the model has no such file. */
  read(name: string): Promise<Uint8Array | null>;
  /** The `.onnx` files under `onnx/` where the source can list them (folders), else null. */
  listOnnx(): Promise<string[] | null>;
}

/**
 * How a model's files are fetched. They matter for URL prefixes and Hub ids (hubUrl and revision for Hub
 * ids only); a folder or files in hand are read as they are.
 */
export interface SourceOptions {
  /** Hub base URL; default `TEXTLOOM_HUB_URL`, then `HF_ENDPOINT`, then https://huggingface.co. */
  hubUrl?: string | undefined;
  /** Branch, tag or commit of a Hub repository. Default 'main'. */
  revision?: string | undefined;
  /** Download cache; null disables caching. Default: a cache folder in Node/Deno, the Cache API in browsers. */
  cache?: DownloadCache | null | undefined;
  /** Called as each file downloads, and once for a file served from the cache. */
  onProgress?: ProgressCallback | undefined;
  /** Attempts per file before a download error is reported. Default 3. */
  downloadAttempts?: number | undefined;
  /** Milliseconds before the second attempt; doubles each time. Default 200. */
  retryDelayMs?: number | undefined;
  /** Milliseconds without a byte before a download attempt counts as failed and is retried. Default 30000. */
  stallTimeoutMs?: number | undefined;
  /** Aborts downloads in progress and the waits between attempts. */
  signal?: AbortSignal | undefined;
  /** Told once when the download cache cannot be read or written (the model still loads). Default console.warn. */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * A model that cannot be loaded from its source: not a folder, URL or Hub id, a required file missing,
 * no ONNX file for the dtype and layout, an invalid dtype or layout, an ONNX file onnxruntime cannot
 * open, or files that do not belong together.
 */
export class ModelSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSourceError';
  }
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

class FolderFiles implements ModelFiles {
  constructor(readonly location: string) {}

  async read(name: string): Promise<Uint8Array | null> {
    const path = `${this.location}/${name}`;
    return (await fileExists(path)) ? readBytes(path) : null;
  }

  async listOnnx(): Promise<string[] | null> {
    const dir = `${this.location}/onnx`;
    if (!(await isDirectory(dir))) return [];
    return (await listFiles(dir)).filter((n) => n.endsWith('.onnx')).map((n) => `onnx/${n}`);
  }
}

class RemoteFiles implements ModelFiles {
  /** A cache that fails for one file fails for the others: one warning says it. */
  private warned = false;

  constructor(
    readonly location: string,
    private readonly prefix: string,
    private readonly cache: DownloadCache | null,
    private readonly options: SourceOptions,
  ) {}

  read(name: string): Promise<Uint8Array | null> {
    return download(this.prefix + name, {
      // Relative to the model root: the URL's last segments would be `main/config.json` on the Hub.
      file: name,
      cache: this.cache,
      onProgress: this.options.onProgress,
      attempts: this.options.downloadAttempts,
      retryDelayMs: this.options.retryDelayMs,
      stallTimeoutMs: this.options.stallTimeoutMs,
      signal: this.options.signal,
      onWarning: (message) => {
        if (this.warned) return;
        this.warned = true;
        (this.options.onWarning ?? warnOnConsole)(message);
      },
    });
  }

  async listOnnx(): Promise<null> {
    return null;
  }
}

/** True when `text` parses as an absolute http: or https: URL, the only schemes downloads fetch. */
function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** The Hub base URL, checked here: a typo would otherwise surface as a network error after every retry. */
function hubBase(options: SourceOptions): string {
  const candidates: [string | undefined, string][] = [
    [options.hubUrl, 'the hubUrl option'],
    [environmentVariable('TEXTLOOM_HUB_URL'), '$TEXTLOOM_HUB_URL'],
    [environmentVariable('HF_ENDPOINT'), '$HF_ENDPOINT'],
    ['https://huggingface.co', 'the default'],
  ];
  const [base, origin] = candidates.find(([value]) => value !== undefined) as [string, string];
  if (!isHttpUrl(base)) {
    throw new ModelSourceError(`the Hub base URL ${JSON.stringify(base)} (from ${origin}) is not an http(s) URL; set it to one such as https://huggingface.co`);
  }
  return base.replace(/\/+$/, '');
}

/**
 * Resolves `source`: an http(s) URL (or, in a page, a path like ./models/gpt2) is a prefix under which the files lie; an existing folder,
 * as a path or a file: URL, is read directly (Node, Deno); `owner/name` is a Hub repository.
 */
export async function openModelSource(source: string | URL, options: SourceOptions = {}): Promise<ModelFiles> {
  if (source instanceof URL) source = source.href;
  // A file: URL names a folder like its path does (`import.meta.resolve('./gpt2')` in Node and Deno).
  if (typeof source === 'string' && /^file:/i.test(source) && hasFileSystem()) source = await localPath(source);
  if (typeof source !== 'string' || source.trim() === '') {
    throw new ModelSourceError(`model source must be a folder, a URL or a Hub id like "openai-community/gpt2", got ${JSON.stringify(source)}`);
  }
  const cache = options.cache === undefined ? await defaultCache() : options.cache;
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  const relative = !hasFileSystem() && page !== undefined && /^\.{0,2}\//.test(source);
  if (/^[a-z][a-z\d+.-]+:\/\//i.test(source) || relative) {
    // In a page, './models/gpt2' and '/models/gpt2' are URLs on the page's server.
    const url = relative ? new URL(source, page).href : source;
    if (!isHttpUrl(url)) {
      throw new ModelSourceError(`model source ${JSON.stringify(source)} is not a valid http(s) URL; give an http(s) URL prefix such as https://example.com/models/gpt2, or download the files and pass the folder`);
    }
    return new RemoteFiles(source, url.endsWith('/') ? url : `${url}/`, cache, options);
  }
  if (hasFileSystem() && (await isDirectory(source))) {
    return new FolderFiles(source.replace(/\/+$/, ''));
  }
  if (HUB_ID.test(source) && !(hasFileSystem() && (await fileExists(source)))) {
    const revision = encodeURIComponent(options.revision ?? 'main');
    return new RemoteFiles(source, `${hubBase(options)}/${source}/resolve/${revision}/`, cache, options);
  }
  const what = hasFileSystem() && (await fileExists(source)) ? 'is a file, not a model folder' : 'is neither an existing folder, an http(s) URL nor a Hub id (owner/name)';
  throw new ModelSourceError(`model source ${JSON.stringify(source)} ${what}; pass the folder that holds config.json and onnx/, a URL prefix, or a Hub id`);
}
