/**
 * The safetensors container: an 8-byte little-endian header length N, N bytes of JSON header
 * (`name -> {dtype, shape, data_offsets}` plus an optional `__metadata__` of string -> string), then the
 * raw little-endian tensor data; offsets are relative to the start of the data. textloom reads F32 and
 * F16 (widened to F32) and writes F32.
 *
 * A foreign file is checked completely (header size, JSON shape, dtypes, offsets, overlaps, sizes)
 * before any tensor is allocated, so a corrupt or hostile file costs nothing but an error. A reader
 * that has its own expectations of names and shapes (a checkpoint of a given config) reads the header
 * alone first, checks it, and only then copies the data (readSafetensorsHeader, readSafetensorsData).
 */

/** The tensor dtypes textloom reads: float32, and float16 (widened to float32 as it is read). */
export type SafetensorsDtype = 'F32' | 'F16';

/** One tensor of a parsed file: its dtype in the file, its shape, and its values as float32. */
export interface ParsedTensor {
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first; their product is data.length. */
  shape: number[];
  /** Values in row-major order, copied out of the file's bytes. */
  data: Float32Array;
}

/** One tensor for serializeSafetensors: its shape and its float32 values in row-major order. */
export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/** One tensor as the header describes it: dtype, shape, and where its bytes lie in the data section. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section, end exclusive. */
  begin: number;
  end: number;
}

/** What readSafetensorsHeader returns: the tensors' descriptions by name, in the header's order, the
 *  `__metadata__` strings ({} when absent), and where the data section starts in the file. */
export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

/** What parseSafetensors returns: the tensors by name, and the `__metadata__` strings ({} when absent). */
export interface ParsedSafetensors {
  tensors: Map<string, ParsedTensor>;
  metadata: Record<string, string>;
}

/** A file that is not valid safetensors, or a tensor set that cannot be written as one. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Same bound as the reference implementation: larger headers are refused before parsing. */
const MAX_HEADER_BYTES = 100_000_000;

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2 };
// Pure, so that a bundle that does not read or write safetensors drops it.
const LITTLE_ENDIAN_HOST = /* @__PURE__ */ (() => new Uint8Array(new Uint32Array([1]).buffer)[0] === 1)();

interface HeaderEntry extends SafetensorsEntry {
  name: string;
}

/**
 * Reads safetensors bytes: every tensor as float32 (F16 widened; the data is copied out of `bytes`) and
 * the `__metadata__` strings. Throws a SafetensorsError, before any tensor is allocated, for bytes that
 * are not a complete, consistent F32/F16 safetensors file.
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  const header = readSafetensorsHeader(bytes);
  return { tensors: readSafetensorsData(bytes, header), metadata: header.metadata };
}

/**
 * Reads and checks the header of safetensors bytes (length, JSON, dtypes, shapes against their
 * offsets, overlaps) without touching the data section, whose extent readSafetensorsData checks.
 * Throws a SafetensorsError for a header that is not valid.
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError(`safetensors: expected a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 4294967296 + low;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file`,
    );
  }
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(
      `safetensors: header claims ${headerLength} bytes but only ${bytes.length - 8} follow the length; the file is truncated`,
    );
  }
  const headerText = decodeHeader(bytes.subarray(8, 8 + headerLength));
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw new SafetensorsError(`safetensors: header is not valid JSON (${(e as Error).message}); the file is corrupt or not safetensors`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(`safetensors: header must be a JSON object, got ${describe(header)}`);
  }
  const { entries, metadata } = validateHeader(header as Record<string, unknown>);
  return { entries: new Map(entries.map(({ name, ...entry }) => [name, entry])), metadata, dataStart: 8 + headerLength };
}

/**
 * The tensors of `header` (as readSafetensorsHeader read it from `bytes`) as float32, F16 widened and
 * the data copied out of `bytes`: every one, or those whose name `keep` accepts, the others neither
 * copied nor looked at. Throws a SafetensorsError, before any tensor is allocated, when the bytes of a
 * tensor to read run past the end of the file.
 */
export function readSafetensorsData(
  bytes: Uint8Array,
  header: SafetensorsHeader,
  keep: (name: string) => boolean = () => true,
): Map<string, ParsedTensor> {
  const dataLength = bytes.length - header.dataStart;
  const wanted = [...header.entries].filter(([name]) => keep(name));
  for (const [name, { begin, end }] of wanted) {
    if (end > dataLength) {
      throw new SafetensorsError(
        `safetensors: tensor "${name}": data_offsets [${begin}, ${end}) run past the ${dataLength} data bytes; the file is truncated`,
      );
    }
  }
  const tensors = new Map<string, ParsedTensor>();
  for (const [name, entry] of wanted) {
    const region = bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end);
    const data = entry.dtype === 'F32' ? readF32(region) : readF16(region);
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return tensors;
}

function decodeHeader(raw: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new SafetensorsError('safetensors: header is not valid UTF-8; the file is corrupt or not safetensors');
  }
}

function validateHeader(header: Record<string, unknown>): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SafetensorsError(`safetensors: __metadata__ must be an object of strings, got ${describe(value)}`);
      }
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text !== 'string') {
          throw new SafetensorsError(`safetensors: __metadata__["${key}"] must be a string, got ${describe(text)}`);
        }
        metadata[key] = text;
      }
      continue;
    }
    entries.push(validateEntry(name, value));
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.begin < prev.end) {
      throw new SafetensorsError(
        `safetensors: tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap; the header is corrupt`,
      );
    }
  }
  return { entries, metadata };
}

function validateEntry(name: string, value: unknown): HeaderEntry {
  const where = `safetensors: tensor "${name}"`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`${where}: expected {dtype, shape, data_offsets}, got ${describe(value)}`);
  }
  const info = value as Record<string, unknown>;
  const dtype = info['dtype'];
  if (dtype !== 'F32' && dtype !== 'F16') {
    throw new SafetensorsError(
      `${where}: dtype ${JSON.stringify(dtype)} is not supported; textloom reads F32 and F16 (convert the file to one of them)`,
    );
  }
  const shape = info['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const offsets = info['data_offsets'];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((a, d) => a * d, 1);
  const expected = elements * ITEM_BYTES[dtype];
  if (end - begin !== expected) {
    throw new SafetensorsError(
      `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

function readF32(region: Uint8Array): Float32Array {
  const out = new Float32Array(region.length / 4);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(region);
    return out;
  }
  const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function readF16(region: Uint8Array): Float32Array {
  const out = new Float32Array(region.length / 2);
  const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  return out;
}

/** IEEE 754 binary16 to a JS number, exactly (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * F32 safetensors bytes. Tensors are laid out in name order (so the same tensors always give the same
 * bytes), and the header is padded with spaces so the data starts on an 8-byte boundary.
 */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort()) {
      const text = metadata[key];
      if (typeof text !== 'string') {
        throw new SafetensorsError(`safetensors: metadata["${key}"] must be a string, got ${describe(text)}`);
      }
      meta[key] = text;
    }
    header['__metadata__'] = meta;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') {
      throw new SafetensorsError('safetensors: "__metadata__" is reserved and cannot name a tensor');
    }
    const { shape, data } = tensors.get(name)!;
    if (!(data instanceof Float32Array)) {
      throw new SafetensorsError(`safetensors: tensor "${name}" data must be a Float32Array, got ${describe(data)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`safetensors: tensor "${name}" shape must be non-negative integers, got ${describe(shape)}`);
    }
    const elements = shape.reduce((a, d) => a * d, 1);
    if (elements !== data.length) {
      throw new SafetensorsError(
        `safetensors: tensor "${name}" has shape [${shape.join(', ')}] (${elements} values) but ${data.length} values`,
      );
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + 4 * elements] };
    offset += 4 * elements;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 4294967296, true);
  view.setUint32(4, Math.floor(headerLength / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(position + 4 * i, data[i]!, true);
    }
    position += data.byteLength;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array ${JSON.stringify(value).slice(0, 60)}`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`.slice(0, 80);
}
