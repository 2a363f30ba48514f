/**
 * Downloading model files: streamed with progress, checked against Content-Length so that a cut-off
 * transfer is never taken for a whole file, retried a few times, and cached once complete (a cache
 * folder in Node and Deno, written atomically; the Cache API in browsers).
 */
import { cacheDirectory, hasFileSystem, readBytes, writeBytesAtomic, writeTextAtomic, fileExists } from '../platform/index.js';

/** Progress of one file; `total` is null when the server did not say. */
export interface DownloadProgress {
  /** The file, relative to the model root (e.g. `onnx/model.onnx`). */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Bytes of the whole file; null when the server did not say. */
  total: number | null;
  /** True once when the file is complete (also for files served from the cache). */
  done: boolean;
  /** True when the file came from the download cache instead of the network. */
  fromCache: boolean;
}

/** Receives the progress of each model file as it downloads. */
export type ProgressCallback = (progress: DownloadProgress) => void;

/**
 * A download that failed for good: an HTTP error other than 404 (which means the file is absent), or
 * network errors, 429/5xx answers or cut-off bodies on every attempt.
 */
export class DownloadError extends Error {
  /** The URL that could not be downloaded. */
  readonly url: string;
  /** The HTTP status of a refused request; undefined when the attempts ran out. */
  readonly status: number | undefined;
  constructor(message: string, url: string, status?: number) {
    super(message);
    this.name = 'DownloadError';
    this.url = url;
    this.status = status;
  }
}

/** Where complete downloads are kept. */
export interface DownloadCache {
  get(url: string): Promise<Uint8Array | null>;
  put(url: string, bytes: Uint8Array): Promise<void>;
}

export interface DownloadOptions {
  /** The name progress reports give the file; default: the URL's last two path segments. */
  file?: string | undefined;
  /** Attempts per file for network errors, 5xx answers and cut-off bodies. Default 3. */
  attempts?: number | undefined;
  /** Milliseconds before the second attempt; doubles each time. Default 200. */
  retryDelayMs?: number | undefined;
  onProgress?: ProgressCallback | undefined;
  cache?: DownloadCache | null | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds without a byte (or, before the body, without an answer) after which an attempt
   * counts as failed and is retried. Default 30000: browsers and Deno never give up on a connection
   * that stalls, and Node only after five minutes.
   */
  stallTimeoutMs?: number | undefined;
  /** Told when the cache cannot be read or written; the download goes on without it. Default console.warn. */
  onWarning?: ((message: string) => void) | undefined;
}

/** A URL path segment as the server reads it; one with a malformed escape (`%A`) stays as written. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A folder per URL under the cache directory: `<dir>/<host>/<path>`, so entries stay readable. Beside each
 * file, `<name>#record.json` holds its URL and size: the files are written atomically, but a copy of the
 * cache folder can still be cut short (an interrupted copy, a full disk), and such an entry must be
 * downloaded again rather than served. An entry without its record is not trusted either.
 */
export class FolderCache implements DownloadCache {
  constructor(private readonly directory: string) {}

  static async default(): Promise<FolderCache | null> {
    const dir = await cacheDirectory();
    return dir === undefined ? null : new FolderCache(`${dir}/models`);
  }

  private async pathOf(url: string): Promise<string> {
    const p = await import('node:path');
    const u = new URL(url);
    const parts = [u.host.replace(/[^\w.-]/g, '_'), ...u.pathname.split('/').filter((s) => s !== '')];
    // '..' and other odd segments must not walk out of the cache; '#', the records' mark, never survives.
    const safe = parts.map((s) => decodeSegment(s).replace(/[^\w.@=+-]/g, '_').replace(/^\.+/, '_'));
    return p.join(this.directory, ...safe);
  }

  async get(url: string): Promise<Uint8Array | null> {
    const path = await this.pathOf(url);
    const record = await readRecord(`${path}${RECORD}`);
    if (record === null || !(await fileExists(path))) return null;
    const bytes = await readBytes(path);
    if (bytes.byteLength !== record.size) {
      throw new Error(`the copy at ${path} has ${bytes.byteLength} bytes, not the ${record.size} it had when it was downloaded`);
    }
    return bytes;
  }

  async put(url: string, bytes: Uint8Array): Promise<void> {
    const path = await this.pathOf(url);
    const { mkdir } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    await mkdir(dirname(path), { recursive: true });
    await writeBytesAtomic(path, bytes);
    // Written after the file: an entry whose record is missing or stale is downloaded again.
    const record: CacheRecord = { url, size: bytes.byteLength };
    await writeTextAtomic(`${path}${RECORD}`, `${JSON.stringify(record)}\n`);
  }
}

/** The suffix of an entry's record; sanitized names never hold '#', so no cached file can collide with it. */
const RECORD = '#record.json';

interface CacheRecord {
  url: string;
  size: number;
}

/** The record at `path`, or null when it is missing or unreadable (the entry then counts as absent). */
async function readRecord(path: string): Promise<CacheRecord | null> {
  if (!(await fileExists(path))) return null;
  try {
    const record = JSON.parse(new TextDecoder().decode(await readBytes(path))) as Partial<CacheRecord>;
    return Number.isSafeInteger(record.size) ? (record as CacheRecord) : null;
  } catch {
    return null;
  }
}

/** The browser's Cache API; a response is only put there after its body arrived whole. */
export class BrowserCache implements DownloadCache {
  constructor(private readonly name = 'textloom-models') {}

  async get(url: string): Promise<Uint8Array | null> {
    const cache = await caches.open(this.name);
    const hit = await cache.match(url);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
  }

  async put(url: string, bytes: Uint8Array): Promise<void> {
    const cache = await caches.open(this.name);
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Length': String(bytes.byteLength) } }));
  }
}

/** The runtime's default cache, or null where there is none. */
export async function defaultCache(): Promise<DownloadCache | null> {
  if (hasFileSystem()) return FolderCache.default();
  if (typeof caches !== 'undefined') return new BrowserCache();
  return null;
}

function fileName(url: string): string {
  return new URL(url).pathname.split('/').slice(-2).join('/');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // Removed when the wait ends: a signal kept for many loads would otherwise collect one per retry.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** Where warnings go when the caller gives no onWarning. */
export function warnOnConsole(message: string): void {
  console.warn(`textloom: ${message}`);
}

/** An attempt that may succeed if repeated (network error, 5xx, cut-off body). */
class Transient extends Error {
  /** What the server asked to wait (Retry-After) before the next attempt, in milliseconds. */
  retryAfterMs = 0;
}

/** Longest Retry-After honoured; a server asking for more is reported at once rather than waited for. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After as milliseconds (it is seconds or an HTTP date), or 0 without one. */
function retryAfter(response: Response): number {
  const value = response.headers.get('retry-after');
  if (value === null) return 0;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

/** An error's message with its cause's: Node's fetch says only "fetch failed" and puts the reason (refused, unknown host, bad certificate) in `cause`. */
function reason(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && !e.message.includes(cause.message) ? `${e.message}: ${cause.message}` : e.message;
}

/**
 * The Hub names why a request failed in X-Error-Code. A repository or revision that does not exist is
 * no model at all, not one without an optional file, although the Hub answers 404 (or 401, for a
 * repository it will not show without a token) as for a missing file.
 */
function hubRefusal(url: string, response: Response): DownloadError | null {
  const code = response.headers.get('x-error-code');
  const said = response.headers.get('x-error-message');
  const status = `HTTP ${response.status}${said ? `: ${said}` : ''}`;
  if (code === 'RepoNotFound') {
    return new DownloadError(`cannot download ${url}: the Hub has no repository by this id, or it is private (${status}); check the id, or download a private model's files and pass the folder`, url, response.status);
  }
  if (code === 'RevisionNotFound') {
    return new DownloadError(`cannot download ${url}: the repository has no such revision (${status}); give an existing branch, tag or commit as the revision`, url, response.status);
  }
  return null;
}

async function attempt(url: string, options: DownloadOptions): Promise<Uint8Array | null> {
  options.signal?.throwIfAborted(); // an abort before this point fires no event
  const controller = new AbortController();
  const forward = (): void => controller.abort(options.signal!.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  const stallMs = options.stallTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Transient(`${url} sent nothing for ${stallMs / 1000} s`)), stallMs);
  };
  watch();
  try {
    return await attemptWatched(url, options, controller.signal, watch);
  } catch (e) {
    // The stall's own error, rather than the fetch's "This operation was aborted".
    if (!options.signal?.aborted && controller.signal.reason instanceof Transient) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

/** One attempt; `watch` is called as bytes arrive, and `signal` aborts on the caller's signal or a stall. */
async function attemptWatched(url: string, options: DownloadOptions, signal: AbortSignal, watch: () => void): Promise<Uint8Array | null> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (signal.aborted) throw e;
    throw new Transient(`cannot reach ${url}: ${reason(e as Error)}`);
  }
  const refusal = hubRefusal(url, response);
  if (refusal) {
    await response.body?.cancel();
    throw refusal;
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    const wait = retryAfter(response);
    if (wait > MAX_RETRY_AFTER_MS) {
      throw new DownloadError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}, and the server asks to wait ${Math.ceil(wait / 1000)} s before trying again`, url, response.status);
    }
    const busy = new Transient(`${url} answered HTTP ${response.status} ${response.statusText}${response.status === 429 ? ' (too many requests)' : ''}`);
    busy.retryAfterMs = wait;
    throw busy;
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint = response.status === 401 || response.status === 403
      ? ' (a gated or private repository needs an access token, which this loader does not send; download the files and pass the folder)'
      : '';
    throw new DownloadError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}${hint}`, url, response.status);
  }
  const encoded = response.headers.get('content-encoding');
  const lengthHeader = response.headers.get('content-length');
  // With a content encoding the header counts compressed bytes, not the bytes we receive.
  let total = lengthHeader !== null && (encoded === null || encoded === 'identity') ? Number(lengthHeader) : null;
  // A cross-origin response in a browser hides Content-Encoding unless the server exposes it, but
  // always shows Content-Length: a gzipped file then looks shorter than its body. There the length
  // only guides progress; the browser itself fails a body shorter than what the server sent.
  const exact = response.type !== 'cors';
  const file = options.file ?? fileName(url);
  // With a known length the bytes go straight into one buffer: a 500 MB model is not held twice.
  let buffer = new Uint8Array(total ?? 1 << 20);
  let loaded = 0;
  try {
    if (response.body === null) throw new Transient(`${url} sent no body`);
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watch();
      if (loaded + value.byteLength > buffer.byteLength) {
        if (total !== null && exact) throw new Transient(`${url} sent more than the ${total} bytes it announced`);
        total = null;
        const grown = new Uint8Array(Math.max(2 * buffer.byteLength, loaded + value.byteLength));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.byteLength;
      options.onProgress?.({ file, loaded, total, done: false, fromCache: false });
    }
  } catch (e) {
    if (signal.aborted || !(e instanceof Error)) throw e;
    if (e instanceof Transient) throw e;
    throw new Transient(`download of ${url} was interrupted after ${loaded}${total === null ? '' : ` of ${total}`} bytes: ${reason(e)}`);
  }
  if (total !== null && exact && loaded !== total) {
    throw new Transient(`download of ${url} was cut off: ${loaded} of ${total} bytes arrived`);
  }
  return loaded === buffer.byteLength ? buffer : buffer.slice(0, loaded);
}

/**
 * The bytes behind `url`, or null when the server says 404 (the file is not part of this model).
 * Served from the cache when present; stored there only when complete.
 */
export async function download(url: string, options: DownloadOptions = {}): Promise<Uint8Array | null> {
  const cache = options.cache ?? null;
  const warn = options.onWarning ?? warnOnConsole;
  // The cache only saves downloads: one that cannot be read (a browser that refuses the Cache API) or
  // written (a read-only folder, a full quota) must not fail a load whose files the server has.
  let cached: Uint8Array | null = null;
  try {
    cached = cache ? await cache.get(url) : null;
  } catch (e) {
    warn(`cannot read ${url} from the download cache (${(e as Error).message}); downloading it`);
  }
  if (cached) {
    options.onProgress?.({ file: options.file ?? fileName(url), loaded: cached.byteLength, total: cached.byteLength, done: true, fromCache: true });
    return cached;
  }
  const attempts = options.attempts ?? 3;
  let delay = options.retryDelayMs ?? 200;
  let last: Transient | undefined;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      // A rate-limited server says how long to wait; retrying sooner only meets another 429.
      await sleep(Math.max(delay, last!.retryAfterMs), options.signal);
      delay *= 2;
    }
    try {
      const bytes = await attempt(url, options);
      if (bytes === null) return null;
      options.onProgress?.({ file: options.file ?? fileName(url), loaded: bytes.byteLength, total: bytes.byteLength, done: true, fromCache: false });
      if (cache) {
        await cache.put(url, bytes).catch((e: unknown) => warn(
          `cannot keep ${url} in the download cache (${(e as Error).message}); it will be downloaded again next time `
          + '(set TEXTLOOM_CACHE to a writable folder, or turn the cache off with cache: null or --no-cache)',
        ));
      }
      return bytes;
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      last = e;
    }
  }
  throw new DownloadError(`${last!.message} (gave up after ${attempts} attempts; check the connection and try again)`, url);
}
