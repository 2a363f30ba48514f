/**
 * Reading and writing files and URLs the same way in every runtime. Node modules are imported lazily
 * (`await import('node:...')`) so a browser bundle never loads them; in a browser, paths are URLs and
 * only reading is possible.
 */
import { detectRuntime, environmentVariable, hasFileSystem } from './runtime.js';

type FsPromises = typeof import('node:fs/promises');
type PathModule = typeof import('node:path');

/** A file or URL that could not be read or written; `code` carries the system error code if any. */
export class PlatformFileError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'PlatformFileError';
    this.code = code;
  }
}

async function fs(): Promise<FsPromises> {
  if (!hasFileSystem()) {
    throw new PlatformFileError(
      `file access is not available in ${detectRuntime()}; pass bytes or a URL instead of a file path`,
    );
  }
  return import('node:fs/promises');
}

async function path(): Promise<PathModule> {
  return import('node:path');
}

function isUrl(location: string | URL): boolean {
  if (location instanceof URL) return location.protocol !== 'file:';
  return /^(https?|blob|data):/i.test(location);
}

/**
 * The file path of a location given as a path or as a file: URL, a URL object or its string
 * (`import.meta.resolve('./model.safetensors')`, `new URL('./notes.txt', import.meta.url)`). Node's fs
 * reads a string as a path, so a file: URL string would otherwise be looked for as a folder named
 * `file:` and reported as missing.
 */
export async function localPath(location: string | URL): Promise<string> {
  if (!(location instanceof URL) && !/^file:/i.test(location)) return location;
  const { fileURLToPath } = await import('node:url');
  try {
    return fileURLToPath(location);
  } catch (e) {
    throw new PlatformFileError(`${String(location)} is not a file URL of this system (${(e as Error).message}); give a file path or a file:/// URL`);
  }
}

/** Bytes of a file (Node, Deno) or of an http(s)/blob/data URL (anywhere). */
export async function readBytes(location: string | URL): Promise<Uint8Array> {
  if (isUrl(location) || !hasFileSystem()) return fetchBytes(location);
  const f = await fs();
  const file = await localPath(location);
  try {
    const { size } = await f.stat(file);
    if (size < READ_FILE_MAX_BYTES) {
      const buffer = await f.readFile(file);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    refuseBeyondOneArray(location, size);
    const handle = await f.open(file, 'r');
    try {
      return await readInChunks(handle, size);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw wrapSystemError(e, `cannot read ${String(location)}`);
  }
}

/** A local file being read in parts: an array of its size, zero until `fill` reads a range into it. */
export interface FileParts {
  bytes: Uint8Array;
  /** Reads the file's bytes [begin, end) (cut at its end) into `bytes` at the same offsets. */
  fill(begin: number, end: number): Promise<void>;
}

/**
 * Runs `use` on a local file (Node, Deno) that it reads only the parts of it needs, so that the bytes of
 * a file it skips are never read (and the zero pages of a large array are never touched). Null for a URL,
 * or where there is no file system: the caller reads those whole.
 */
export async function readFileParts<T>(location: string | URL, use: (file: FileParts) => Promise<T>): Promise<T | null> {
  if (isUrl(location) || !hasFileSystem()) return null;
  const f = await fs();
  const file = await localPath(location);
  let handle: FileHandle;
  let bytes: Uint8Array;
  try {
    const { size } = await f.stat(file);
    refuseBeyondOneArray(location, size);
    handle = await f.open(file, 'r');
    bytes = new Uint8Array(size);
  } catch (e) {
    throw wrapSystemError(e, `cannot read ${String(location)}`);
  }
  const fill = async (begin: number, end: number): Promise<void> => {
    const stop = Math.min(end, bytes.length);
    if (begin >= stop) return;
    try {
      await readInChunks(handle, stop - begin, IO_CHUNK_BYTES, bytes.subarray(begin, stop), begin);
    } catch (e) {
      throw wrapSystemError(e, `cannot read ${String(location)}`);
    }
  };
  try {
    return await use({ bytes, fill });
  } finally {
    await handle.close();
  }
}

function refuseBeyondOneArray(location: string | URL, size: number): void {
  if (size > MAX_BYTE_ARRAY) {
    throw new PlatformFileError(`cannot read ${String(location)}: it is ${size} bytes, more than the ${MAX_BYTE_ARRAY} ` +
      '(4 GiB) that one JavaScript byte array holds', 'ETOOLARGE');
  }
}

/** Node's readFile refuses files of 2 GiB and more (ERR_FS_FILE_TOO_LARGE), a resumable checkpoint
 *  of a model with 180 million parameters among them: those are read a chunk at a time. */
const READ_FILE_MAX_BYTES = 2 ** 31 - 1;
/** Bytes one read or write call moves: Node's take at most 2^31 - 1 (ERR_OUT_OF_RANGE past it). */
export const IO_CHUNK_BYTES = 2 ** 30;
/** The longest Uint8Array V8 makes. */
export const MAX_BYTE_ARRAY = 2 ** 32;

type FileHandle = Awaited<ReturnType<FsPromises['open']>>;

// What chunked reading and writing use of a FileHandle: declared here, so that the published types
// do not need Node's.
interface ReadableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}
interface WritableHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/** `size` bytes of an open file from `start` (fewer if it ends before), read `chunk` bytes a call into one
 *  array (`out`, or a new one). */
export async function readInChunks(
  handle: ReadableHandle, size: number, chunk = IO_CHUNK_BYTES, out: Uint8Array = new Uint8Array(size), start = 0,
): Promise<Uint8Array> {
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(out, position, Math.min(chunk, size - position), start + position);
    if (bytesRead === 0) break;
    position += bytesRead;
  }
  return position === size ? out : out.subarray(0, position);
}

/** Writes all of `bytes` at the handle's position, `chunk` bytes a call. */
export async function writeAll(handle: WritableHandle, bytes: Uint8Array, chunk = IO_CHUNK_BYTES): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, at, Math.min(chunk, bytes.length - at));
    at += bytesWritten;
  }
}

/** A UTF-8 text file or URL; a byte-order mark is dropped. */
export async function readText(location: string | URL): Promise<string> {
  const bytes = await readBytes(location);
  return new TextDecoder('utf-8').decode(bytes);
}

export async function fileExists(location: string | URL): Promise<boolean> {
  if (isUrl(location) || !hasFileSystem()) return false;
  const f = await fs();
  try {
    await f.access(await localPath(location));
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a file so that readers only ever see the old or the complete new content: the bytes go to a
 * temporary file in the same directory (a rename across file systems is not atomic), are flushed to
 * disk, then renamed over the target (over the file it links to, where the target is a symbolic link).
 * If anything fails the temporary file is removed and the previous file is untouched. `content` may be
 * chunks, produced lazily, so large files need not be built in memory.
 */
export async function writeBytesAtomic(
  target: string | URL,
  content: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const f = await fs();
  const p = await path();
  const file = await localPath(target).then((local) => linkedFile(f, p, local)).catch((e: unknown) => {
    throw wrapSystemError(e, `cannot write ${String(target)}`);
  });
  const dir = p.dirname(file);
  const temp = p.join(dir, `.${p.basename(file)}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await f.open(temp, 'wx');
    const chunks = content instanceof Uint8Array ? [content] : content;
    for await (const chunk of chunks) await writeAll(handle, chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await f.rename(temp, file);
  } catch (e) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await f.rm(temp, { force: true }).catch(() => undefined);
    throw wrapSystemError(e, `cannot write ${String(target)}`);
  }
}

/**
 * The absolute path of the file that a write to `target` replaces. Where `target` is a symbolic link
 * (possibly dangling, possibly to another link), that is the file it points to, as with a plain
 * writeFile: renaming over the link itself would turn it into a regular file and leave the file it
 * pointed to with the old content.
 */
async function linkedFile(f: FsPromises, p: PathModule, target: string): Promise<string> {
  // resolve() drops a trailing slash, which would turn `models/` into a file named `models`.
  if (/[\\/]$/.test(target)) {
    throw new PlatformFileError(`cannot write ${target}: a path ending in a slash names a folder; give a file path such as ${target}model.safetensors`, 'EISDIR');
  }
  let file = p.resolve(target);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = await f.readlink(file);
    } catch {
      return file; // not a link (or not there): the file itself
    }
    // Relative to the link's folder as the system resolves it: `..` in the link leaves a linked folder
    // for the parent of the folder it links to, which resolving the path as written would not.
    file = p.resolve(await f.realpath(p.dirname(file)), link);
  }
  throw new PlatformFileError(`cannot write ${target}: too many levels of symbolic links`, 'ELOOP');
}

export async function writeTextAtomic(target: string | URL, text: string): Promise<void> {
  await writeBytesAtomic(target, new TextEncoder().encode(text));
}

/** The names of the regular files directly inside a directory, sorted. Names rather than joined paths:
 *  joining normalizes (`./m/onnx` becomes `m/onnx`), so a caller could not strip the prefix it gave.
 *  A symbolic link to a file counts as a file: the Hugging Face cache's snapshot folders hold nothing
 *  else (every file links into blobs/), and a corpus folder may link to texts kept elsewhere. */
export async function listFiles(directory: string): Promise<string[]> {
  const f = await fs();
  const p = await path();
  try {
    const entries = await f.readdir(directory, { withFileTypes: true });
    const names: string[] = [];
    for (const e of entries) {
      if (e.isFile()) names.push(e.name);
      else if (e.isSymbolicLink() && (await f.stat(p.join(directory, e.name)).catch(() => null))?.isFile()) names.push(e.name);
    }
    return names.sort();
  } catch (e) {
    throw wrapSystemError(e, `cannot list ${directory}`);
  }
}

export async function isDirectory(location: string | URL): Promise<boolean> {
  if (isUrl(location) || !hasFileSystem()) return false;
  const f = await fs();
  try {
    return (await f.stat(await localPath(location))).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where downloads are cached: `TEXTLOOM_CACHE`, else `$XDG_CACHE_HOME/textloom`, else
 * `~/.cache/textloom`. Undefined in a browser (which has its own HTTP cache).
 */
export async function cacheDirectory(): Promise<string | undefined> {
  if (!hasFileSystem()) return undefined;
  const p = await path();
  const explicit = environmentVariable('TEXTLOOM_CACHE');
  if (explicit) return p.resolve(explicit);
  const xdg = environmentVariable('XDG_CACHE_HOME');
  if (xdg) return p.join(xdg, 'textloom');
  const { homedir } = await import('node:os');
  return p.join(homedir(), '.cache', 'textloom');
}

/** Bytes behind a URL with the runtime's fetch; a non-2xx status is an error naming the status. */
export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  if (typeof fetch !== 'function') {
    throw new PlatformFileError(`cannot fetch ${String(url)}: this runtime has no fetch()`);
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new PlatformFileError(`cannot fetch ${String(url)}: ${(e as Error).message}`);
  }
  if (!response.ok) {
    throw new PlatformFileError(`cannot fetch ${String(url)}: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

function wrapSystemError(e: unknown, what: string): PlatformFileError {
  if (e instanceof PlatformFileError) return e;
  const code = (e as { code?: string }).code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'ENOSPC' ? 'no space left on the device'
    : (e as Error).message;
  return new PlatformFileError(`${what}: ${reason}`, code);
}
