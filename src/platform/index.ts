/** The one place where Node, Deno and browsers differ: runtime detection, files, URLs, scheduling. */
export { detectRuntime, hasFileSystem, environmentVariable, yieldToEventLoop, now } from './runtime.js';
export type { RuntimeName } from './runtime.js';
export {
  readBytes,
  readFileParts,
  localPath,
  readText,
  fileExists,
  isDirectory,
  listFiles,
  writeBytesAtomic,
  writeTextAtomic,
  cacheDirectory,
  fetchBytes,
  PlatformFileError,
} from './files.js';
