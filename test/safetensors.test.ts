import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSafetensors, readSafetensorsData, readSafetensorsHeader, serializeSafetensors, halfToFloat, SafetensorsError } from '../src/io/safetensors.js';

const fixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/rnn/${path}`, import.meta.url)));

/** Builds a file from a raw header object and data bytes, to feed the parser malformed input. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('reads the PyTorch fixture: names, shapes, values, metadata', () => {
  const { tensors, metadata } = parseSafetensors(fixture('lstm_tiny/init.safetensors'));
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual(
    [...tensors.keys()].sort(),
    ['embed.weight', 'linear.bias', 'linear.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0'],
  );
  assert.deepEqual(tensors.get('embed.weight')!.shape, [50, 8]);
  assert.deepEqual(tensors.get('rnn.weight_ih_l0')!.shape, [64, 8]);
  assert.deepEqual(tensors.get('linear.bias')!.shape, [50]);
  const embed = tensors.get('embed.weight')!.data;
  assert.equal(embed.length, 400);
  assert.equal(embed[0], Math.fround(-1.1258398294448853));
  assert.equal(embed[2], Math.fround(-0.2505785822868347));
  const bias = tensors.get('linear.bias')!.data;
  assert.equal(bias[48], Math.fround(0.15275567770004272));
  assert.equal(bias[49], Math.fround(-0.23065313696861267));
});

test('serialize then parse round-trips exactly, with 8-byte aligned data and sorted names', () => {
  const tensors = new Map([
    ['b', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-30, -0, Infinity]) }],
    ['a', { shape: [1], data: new Float32Array([Math.PI]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
  const bytes = serializeSafetensors(tensors, { format: 'pt', z: 'last', a: 'first' });
  const headerLength = new DataView(bytes.buffer).getUint32(0, true);
  assert.equal((8 + headerLength) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  assert.deepEqual(Object.keys(header), ['__metadata__', 'a', 'b', 'empty']);
  assert.deepEqual(header.a.data_offsets, [0, 4]);
  assert.deepEqual(header.b.data_offsets, [4, 28]);
  const parsed = parseSafetensors(bytes);
  assert.deepEqual(parsed.metadata, { a: 'first', format: 'pt', z: 'last' });
  for (const [name, t] of tensors) {
    const got = parsed.tensors.get(name)!;
    assert.equal(got.dtype, 'F32');
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual([...got.data], [...t.data]);
  }
  assert.deepEqual(serializeSafetensors(new Map([...tensors].reverse()), { format: 'pt', z: 'last', a: 'first' }), bytes);
});

test('re-serializing the fixture keeps every value bit for bit', () => {
  const original = parseSafetensors(fixture('gru_tiny/final.safetensors'));
  const again = parseSafetensors(serializeSafetensors(original.tensors, original.metadata));
  for (const [name, t] of original.tensors) assert.deepEqual(again.tensors.get(name)!.data, t.data);
});

test('F16 tensors are widened to F32 exactly', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  const data = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x35]);
  const { tensors } = parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, data));
  const h = tensors.get('h')!;
  assert.equal(h.dtype, 'F16');
  assert.deepEqual([...h.data], [1, -2, 0.3125]);
});

test('foreign and corrupt files are refused with a message naming the problem', () => {
  const bad = (bytes: Uint8Array, pattern: RegExp): void =>
    assert.throws(() => parseSafetensors(bytes), (e: unknown) => e instanceof SafetensorsError && pattern.test(e.message));
  bad(new Uint8Array(5), /shorter than the 8-byte header length/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setUint32(4, 1, true);
  bad(huge, /exceeds the 100000000-byte limit/);
  bad(rawFile('{"a": 1}').subarray(0, 12), /truncated/);
  bad(rawFile('{not json'), /not valid JSON/);
  bad(rawFile('[1, 2]'), /must be a JSON object/);
  bad(rawFile({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "I64" is not supported/);
  bad(rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape must be/);
  bad(rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)), /data_offsets must be/);
  bad(rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /run past the 8 data bytes/);
  bad(rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets span 8/);
  bad(
    rawFile(
      { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    ),
    /"x" \[0, 8\) and "y" \[4, 12\) overlap/,
  );
  bad(rawFile({ __metadata__: { n: 3 } }), /__metadata__\["n"\] must be a string/);
  const text = new TextEncoder().encode('Once upon a time there was a plain text file.');
  bad(text, /exceeds|truncated/);
});

test('the header reads without the data, whose extent is checked before any tensor is copied', () => {
  // 2^28 floats (1 GiB) declared, 8 bytes present.
  const bytes = rawFile({ __metadata__: { k: 'v' }, big: { dtype: 'F32', shape: [2 ** 28], data_offsets: [0, 2 ** 30] } }, new Uint8Array(8));
  const header = readSafetensorsHeader(bytes);
  assert.deepEqual(header.entries, new Map([['big', { dtype: 'F32', shape: [2 ** 28], begin: 0, end: 2 ** 30 }]]));
  assert.deepEqual(header.metadata, { k: 'v' });
  assert.equal(header.dataStart, bytes.length - 8);
  assert.throws(() => readSafetensorsData(bytes, header), /tensor "big": data_offsets \[0, 1073741824\) run past the 8 data bytes; the file is truncated/);
});

test('serialize rejects inconsistent tensors', () => {
  assert.throws(
    () => serializeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]])),
    /shape \[2, 2\] \(4 values\) but 3 values/,
  );
  assert.throws(() => serializeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]])), /reserved/);
});
