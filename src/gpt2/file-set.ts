/**
 * A model given as files in hand rather than a place to fetch them from: a folder picked in a page
 * (`<input type="file" webkitdirectory>` gives Files with a webkitRelativePath), files dropped on it,
 * or a Map of names to bytes built by the caller. The model root is the folder of config.json, so a
 * picked folder's own name (the first segment of each relative path) needs no special treatment.
 */
import { ModelSourceError, type ModelFiles } from './source.js';

/** What the loader needs of a Blob or File: its bytes (DOM Blob and File, Node's Blob all fit). */
export interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A File, as a folder picker or a drop gives it. */
export interface NamedBlob extends BlobLike {
  readonly name: string;
  /** Path under the picked folder, its name first ('gpt2/onnx/model.onnx'); '' when not from a folder. */
  readonly webkitRelativePath?: string;
}

/**
 * Files of a model: a Map from path (relative to the model folder or to a folder above it) to bytes,
 * or a list of Files (an array or a FileList).
 */
export type ModelFileSet = ReadonlyMap<string, Uint8Array | BlobLike> | ArrayLike<NamedBlob> | Iterable<NamedBlob>;

class FileSetFiles implements ModelFiles {
  constructor(
    readonly location: string,
    private readonly files: ReadonlyMap<string, Uint8Array | BlobLike>,
  ) {}

  async read(name: string): Promise<Uint8Array | null> {
    const file = this.files.get(name);
    if (file === undefined) return null;
    return file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
  }

  async listOnnx(): Promise<string[]> {
    return [...this.files.keys()].filter((name) => name.startsWith('onnx/') && name.endsWith('.onnx'));
  }
}

function entriesOf(set: ModelFileSet): [string, Uint8Array | BlobLike][] {
  if (set instanceof Map) return [...(set as ReadonlyMap<string, Uint8Array | BlobLike>)];
  return Array.from(set as ArrayLike<NamedBlob>, (file): [string, BlobLike] => {
    if (file === null || typeof file !== 'object' || typeof file.arrayBuffer !== 'function' || typeof file.name !== 'string') {
      throw new ModelSourceError(`model files: expected File objects (from a folder picker or a drop), got ${String(file)}`);
    }
    return [file.webkitRelativePath || file.name, file];
  });
}

/** The files under the folder of config.json, by their names relative to it. */
export function openFileSet(set: ModelFileSet): ModelFiles {
  const entries = entriesOf(set).map(([path, file]): [string, Uint8Array | BlobLike] => [path.replace(/\\/g, '/').replace(/^(\.?\/)+/, ''), file]);
  const configs = entries.map(([path]) => path).filter((path) => path === 'config.json' || path.endsWith('/config.json'));
  if (configs.length === 0) {
    const names = entries.slice(0, 5).map(([path]) => path).join(', ');
    throw new ModelSourceError(
      `model files: none is config.json (got ${entries.length} files${names ? `: ${names}${entries.length > 5 ? ', …' : ''}` : ''}); ` +
      'pass the model folder that holds config.json and onnx/',
    );
  }
  // The shallowest config.json is the model's; a deeper one belongs to something inside it.
  const config = configs.reduce((a, b) => (a.split('/').length <= b.split('/').length ? a : b));
  const root = config.slice(0, config.length - 'config.json'.length);
  const files = new Map(entries.filter(([path]) => path.startsWith(root)).map(([path, file]) => [path.slice(root.length), file]));
  return new FileSetFiles(root === '' ? `the given files` : `the files of ${root.slice(0, -1)}`, files);
}
