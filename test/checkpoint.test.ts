import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, readdirSync, openSync, ftruncateSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  saveCheckpoint,
  loadCheckpoint,
  parameterShapes,
  inferConfig,
  modelContent,
  CheckpointError,
  type RNNConfig,
  type TensorMap,
} from '../src/rnn/checkpoint.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { PlatformFileError, readBytes } from '../src/platform/index.js';

const fixtureDir = (name: string): URL => new URL(`../../test/fixtures/rnn/${name}/`, import.meta.url);
const fixtureBytes = (name: string, file: string): Uint8Array => new Uint8Array(readFileSync(new URL(file, fixtureDir(name))));
const fixtureModel = (name: string): { parameter_names: string[]; parameter_shapes: Record<string, number[]> } =>
  JSON.parse(readFileSync(new URL('train.json', fixtureDir(name)), 'utf8')).model;

test('parameter names and shapes are exactly those of the PyTorch RNNModel fixtures', () => {
  const cases: [string, RNNConfig][] = [
    ['rnn_tiny', { cell: 'rnn', vocabSize: 50, embedSize: 8, hiddenSize: 16, numLayers: 1 }],
    ['lstm_tiny', { cell: 'lstm', vocabSize: 50, embedSize: 8, hiddenSize: 16, numLayers: 1 }],
    ['gru_deep', { cell: 'gru', vocabSize: 300, embedSize: 24, hiddenSize: 40, numLayers: 3 }],
    ['lstm_deep', { cell: 'lstm', vocabSize: 300, embedSize: 24, hiddenSize: 40, numLayers: 3 }],
  ];
  for (const [name, config] of cases) {
    const expected = fixtureModel(name);
    const shapes = parameterShapes(config);
    assert.deepEqual([...shapes.keys()], expected.parameter_names, name);
    assert.deepEqual(Object.fromEntries(shapes), expected.parameter_shapes, name);
  }
});

test('a PyTorch file loads: the config is read off the shapes', () => {
  for (const [name, cell, layers] of [['rnn_deep', 'rnn', 3], ['gru_tiny', 'gru', 1], ['lstm_deep', 'lstm', 3]] as const) {
    const checkpoint = decodeCheckpoint(fixtureBytes(name, 'final.safetensors'), name);
    const vocab = name.endsWith('deep') ? 300 : 50;
    assert.equal(checkpoint.config.cell, cell);
    assert.equal(checkpoint.config.numLayers, layers);
    assert.equal(checkpoint.config.vocabSize, vocab);
    assert.equal(checkpoint.tokenizer, null);
    assert.equal(checkpoint.training, null);
    assert.equal(checkpoint.weights.size, 3 + 4 * layers);
  }
});

/** A resumable checkpoint of the lstm_tiny fixture, with what went into it. */
function resumableCheckpoint() {
  const source = decodeCheckpoint(fixtureBytes('lstm_tiny', 'init.safetensors'));
  const tokenizer = { type: 'word', vocab: ['<unk>', 'the', 'cat'] };
  const moments: TensorMap = new Map([['m.embed.weight', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]);
  const trainer = {
    epoch: 1,
    batchIndex: 7,
    globalStep: 42,
    offset: 3,
    rng: [1, 2, 3, 4294967295],
    hidden: [new Float32Array([0.5, -0.5]), new Float32Array([0.25, 1])],
    epochLossSum: 12.5,
    bestValLoss: 3.25,
    epochsWithoutImprovement: 0,
  };
  const bytes = encodeCheckpoint({
    config: source.config,
    weights: source.weights,
    tokenizer,
    training: { optimizer: { step: 42, tensors: moments }, trainer, options: { lr: 0.01 } },
    metadata: { corpus: 'alice.txt' },
  });
  return { source, tokenizer, trainer, bytes };
}

test('a textloom checkpoint round-trips weights, config, tokenizer and the training snapshot', async () => {
  const { source, tokenizer, trainer, bytes } = resumableCheckpoint();
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, bytes);
  const loaded = await loadCheckpoint(path);
  assert.deepEqual(loaded.config, { cell: 'lstm', vocabSize: 50, embedSize: 8, hiddenSize: 16, numLayers: 1 });
  assert.deepEqual(loaded.tokenizer, tokenizer);
  assert.equal(loaded.metadata['textloom_format'], 'textloom.rnn');
  assert.equal(loaded.metadata['textloom_format_version'], '1');
  assert.equal(loaded.metadata['corpus'], 'alice.txt');
  assert.equal(loaded.metadata['format'], 'pt');
  for (const [name, t] of source.weights) assert.deepEqual(loaded.weights.get(name)!.data, t.data, name);
  assert.equal(loaded.weights.size, source.weights.size);
  assert.equal(loaded.training!.optimizer.step, 42);
  assert.deepEqual([...loaded.training!.optimizer.tensors.get('m.embed.weight')!.data], [1, 2, 3, 4]);
  assert.deepEqual(loaded.training!.trainer, trainer);
  assert.deepEqual(loaded.training!.options, { lr: 0.01 });
});

test('read with training: false, a resumable checkpoint gives the same weights and no training state', async () => {
  const { source, tokenizer, bytes } = resumableCheckpoint();
  const full = decodeCheckpoint(bytes);
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const path = join(dir, 'run.safetensors');
  writeFileSync(path, bytes);
  for (const light of [decodeCheckpoint(bytes, 'run', { training: false }), await loadCheckpoint(path, { training: false })]) {
    assert.equal(light.training, null);
    assert.deepEqual(light.config, full.config);
    assert.deepEqual(light.tokenizer, tokenizer);
    assert.deepEqual(light.metadata, full.metadata);
    assert.deepEqual([...light.weights.keys()].sort(), [...source.weights.keys()].sort());
    for (const [name, t] of full.weights) assert.deepEqual(light.weights.get(name), t, name);
  }
  assert.deepEqual(decodeCheckpoint(bytes, 'run', { training: true }).training, full.training);
  assert.throws(() => decodeCheckpoint(bytes, 'run', { optimizer: false } as never), /decodeCheckpoint: unknown option "optimizer"; known options: training/);
  assert.throws(() => decodeCheckpoint(bytes, 'run', { training: 'no' } as never), /decodeCheckpoint: training must be true or false, got string/);
  await assert.rejects(loadCheckpoint(path, { weightsOnly: true } as never), /loadCheckpoint: unknown option "weightsOnly"/);
});

test('read with training: false, damaged training tensors do not matter but a damaged header still does', async () => {
  const { bytes } = resumableCheckpoint();
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const dataStart = 8 + headerLength;
  // A NaN in a moment: refused when resuming, irrelevant to the weights.
  const nanMoment = bytes.slice();
  const [momentBegin] = header['optimizer.m.embed.weight'].data_offsets as [number, number];
  new DataView(nanMoment.buffer).setFloat32(dataStart + momentBegin + 4, Number.NaN, true);
  assert.throws(() => decodeCheckpoint(nanMoment, 'run'), /run: tensor optimizer\.m\.embed\.weight holds NaN at index 1; the file is corrupt/);
  assert.deepEqual(decodeCheckpoint(nanMoment, 'run', { training: false }).weights, decodeCheckpoint(bytes).weights);
  // Tensors are laid out by name, so the hidden state is last: a file cut inside it still has every weight.
  // (The moments lie between linear.* and rnn.*, so a file cut inside them has lost weights too.)
  const [hiddenBegin] = header['trainer.hidden.1'].data_offsets as [number, number];
  const cut = bytes.subarray(0, dataStart + hiddenBegin + 4);
  assert.throws(() => decodeCheckpoint(cut, 'run'), /run is not a readable checkpoint: tensor "trainer\.hidden\.1": data_offsets \[\d+, \d+\) run past/);
  assert.deepEqual(decodeCheckpoint(cut, 'run', { training: false }).weights, decodeCheckpoint(bytes).weights);
  // The header is checked whole: trainer metadata that does not match its tensors is refused either way.
  const [weightBegin] = header['rnn.weight_hh_l0'].data_offsets as [number, number];
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, dataStart + weightBegin + 4), 'run', { training: false }),
    /tensor "rnn\.weight_hh_l0": data_offsets \[\d+, \d+\) run past/);
  const { weights, metadata } = decodeCheckpoint(bytes);
  assert.throws(() => decodeCheckpoint(serializeSafetensors(weights, metadata), 'run', { training: false }),
    /run: expected 2 trainer\.hidden\.\* tensors, found 0/);

  // From a file, only the header and the weights are read: the same answers.
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const file = (name: string, content: Uint8Array): string => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  for (const damaged of [file('nan.safetensors', nanMoment), file('cut.safetensors', cut)]) {
    await assert.rejects(loadCheckpoint(damaged), CheckpointError);
    assert.deepEqual((await loadCheckpoint(damaged, { training: false })).weights, weights);
  }
  const short = file('short.safetensors', bytes.subarray(0, dataStart + weightBegin + 4));
  await assert.rejects(loadCheckpoint(short, { training: false }), (e: unknown) => e instanceof CheckpointError &&
    e.message.startsWith(`${short} is not a readable checkpoint: tensor "rnn.weight_hh_l0": data_offsets`));
  for (const [name, content, message] of [
    ['empty.safetensors', new Uint8Array(0), 'file is 0 bytes, shorter than the 8-byte header length'],
    ['header.safetensors', bytes.subarray(0, dataStart - 8), `header claims ${headerLength} bytes but only ${headerLength - 8} follow`],
  ] as const) {
    const path = file(name, content);
    await assert.rejects(loadCheckpoint(path, { training: false }), (e: unknown) => e instanceof CheckpointError &&
      e.message.startsWith(`${path} is not a readable checkpoint: ${message}`));
  }
});

test('a checkpoint without training state has only the PyTorch parameter tensors', () => {
  const source = decodeCheckpoint(fixtureBytes('gru_deep', 'init.safetensors'));
  const bytes = encodeCheckpoint({ config: source.config, weights: source.weights, tokenizer: { type: 'char' } });
  const headerLength = new DataView(bytes.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const expected = fixtureModel('gru_deep');
  assert.deepEqual(names.sort(), [...expected.parameter_names].sort());
  for (const name of names) assert.deepEqual(header[name].shape, expected.parameter_shapes[name]);
});

test('truncated, foreign and inconsistent files are refused with clear errors', () => {
  const good = fixtureBytes('rnn_tiny', 'init.safetensors');
  const refuse = (bytes: Uint8Array, pattern: RegExp): void =>
    assert.throws(() => decodeCheckpoint(bytes, 'm.safetensors'), (e: unknown) => e instanceof CheckpointError && pattern.test(e.message));
  refuse(good.subarray(0, good.length - 100), /m\.safetensors is not a readable checkpoint: .*truncated/);
  refuse(good.subarray(0, 4), /not a readable checkpoint: .*shorter than the 8-byte header/);
  refuse(new TextEncoder().encode('{"hello": "this is JSON, not a model"}'), /not a readable checkpoint/);
  refuse(
    serializeSafetensors(new Map([['weight', { shape: [2], data: new Float32Array(2) }]])),
    /not an RNN checkpoint: tensor "embed.weight" is missing \(found weight\)/,
  );
  refuse(
    serializeSafetensors(new Map(), { textloom_format: 'textloom.gpt2', textloom_format_version: '1' }),
    /is a "textloom.gpt2" file, not an RNN checkpoint/,
  );
  const source = decodeCheckpoint(good);
  const future = encodeCheckpoint({ config: source.config, weights: source.weights });
  const patched = new TextDecoder('latin1').decode(future).replace('"textloom_format_version":"1"', '"textloom_format_version":"9"');
  refuse(Uint8Array.from(patched, (c) => c.charCodeAt(0)), /format version 9; this textloom reads version 1/);
  // A textloom checkpoint's own config, inconsistent with its tensors.
  const ours = (config: string): Record<string, string> => ({ textloom_format: 'textloom.rnn', textloom_format_version: '1', config });
  const missing = new Map(source.weights);
  missing.delete('rnn.bias_hh_l0');
  refuse(
    serializeSafetensors(missing, ours(JSON.stringify(source.config))),
    /missing tensor "rnn.bias_hh_l0" \[16\] of a RNN \(vocab 50, embed 8, hidden 16, 1 layer\)/,
  );
  refuse(
    serializeSafetensors(source.weights, ours(JSON.stringify({ ...source.config, hiddenSize: 8 }))),
    /tensor "rnn.weight_ih_l0" has shape \[16, 8\] but a RNN .* needs \[8, 8\]/,
  );
  refuse(serializeSafetensors(source.weights, ours('{"cell":"transformer"}')), /config: Invalid ModelConfig: cell must be 'rnn', 'lstm' or 'gru', got "transformer"; vocabSize must be a positive integer/);
  assert.throws(() => inferConfig(new Map([['embed.weight', { shape: [5, 2] }], ['rnn.weight_hh_l0', { shape: [6, 3] }]])), /2 gates/);
});

test('a wrong file is refused from its header alone, before its data is read: the header error wins', () => {
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  const good = encodeCheckpoint({ config: source.config, weights: source.weights });
  const headerLength = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
  type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLength))) as Record<string, Entry>;
  // The header of `good`, embed.weight given `rows` rows, followed by `dataBytes` zero bytes of data.
  const withEmbedRows = (rows: number, dataBytes: number): Uint8Array => {
    const changed: Record<string, unknown> = {};
    let offset = 0;
    for (const [key, entry] of Object.entries(header)) {
      if (key === '__metadata__') {
        changed[key] = entry;
        continue;
      }
      const shape = key === 'embed.weight' ? [rows, entry.shape[1]!] : entry.shape;
      const size = 4 * shape.reduce((a, b) => a * b, 1);
      changed[key] = { ...entry, shape, data_offsets: [offset, offset + size] };
      offset += size;
    }
    const json = new TextEncoder().encode(JSON.stringify(changed));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    return out;
  };
  const refuse = (bytes: Uint8Array, pattern: RegExp): void =>
    assert.throws(() => decodeCheckpoint(bytes, 'm.safetensors'), (e: unknown) => e instanceof CheckpointError && pattern.test(e.message));
  // 50 million rows declare 1.6 GB of data that the file, ending with its header, does not have.
  refuse(withEmbedRows(50_000_000, 0),
    /^m\.safetensors: tensor "embed\.weight" has shape \[50000000, 8\] but a RNN \(vocab 50, embed 8, hidden 16, 1 layer\) needs \[50, 8\]$/);
  // With a header that is right, the missing data is what is wrong.
  refuse(withEmbedRows(50, 0), /^m\.safetensors is not a readable checkpoint: tensor "[^"]+": data_offsets \[0, \d+\) run past the 0 data bytes; the file is truncated$/);
  assert.deepEqual(decodeCheckpoint(withEmbedRows(50, good.length - 8 - headerLength)).config, source.config);
  // A config that does not match the tensors is named before a value in them that is not finite.
  const broken = new Map(source.weights);
  broken.set('linear.bias', { shape: [50], data: new Float32Array(50).fill(Number.NaN) });
  const metadata = { textloom_format: 'textloom.rnn', textloom_format_version: '1', config: JSON.stringify({ ...source.config, hiddenSize: 8 }) };
  refuse(serializeSafetensors(broken, metadata), /tensor "rnn\.weight_ih_l0" has shape \[16, 8\] but a RNN .* needs \[8, 8\]/);
});

test("a PyTorch file's own metadata is kept but not read as textloom's, whatever its keys", () => {
  // As save_file(model.state_dict(), path, metadata={...}) writes it: a "config" of the user's own run
  // was taken for textloom's config and the file refused as an invalid model.
  const source = decodeCheckpoint(fixtureBytes('gru_tiny', 'final.safetensors'));
  const metadata = {
    format: 'pt',
    config: JSON.stringify({ model: 'GRU', nhid: 16, lr: 0.01 }),
    tokenizer: 'words.txt',
    trainer: 'alice',
    optimizer_step: 'last',
  };
  const loaded = decodeCheckpoint(serializeSafetensors(source.weights, metadata), 'mine.safetensors');
  assert.deepEqual(loaded.config, source.config);
  assert.equal(loaded.tokenizer, null);
  assert.equal(loaded.training, null);
  assert.deepEqual(loaded.metadata, metadata);
  for (const [name, t] of source.weights) assert.deepEqual(loaded.weights.get(name)!.data, t.data, name);
});

test('a PyTorch layer built with bidirectional, proj_size or bias=False is refused naming that option', () => {
  // The state_dict names and shapes of nn.LSTM(8, 16, 2, ...) under the tutorial's module names.
  const zeros = (shapes: Record<string, number[]>): Map<string, { shape: number[]; data: Float32Array }> =>
    new Map(Object.entries(shapes).map(([n, shape]) => [n, { shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) }]));
  const lstm = (extra: Record<string, number[]>, drop: string[] = [], hh = 16, ih1 = 16): Uint8Array => {
    const shapes: Record<string, number[]> = { 'embed.weight': [50, 8], 'linear.weight': [50, 16], 'linear.bias': [50] };
    for (const l of [0, 1]) {
      Object.assign(shapes, {
        [`rnn.weight_ih_l${l}`]: [64, l === 0 ? 8 : ih1], [`rnn.weight_hh_l${l}`]: [64, hh],
        [`rnn.bias_ih_l${l}`]: [64], [`rnn.bias_hh_l${l}`]: [64],
      });
    }
    for (const name of drop) delete shapes[name];
    return serializeSafetensors(zeros({ ...shapes, ...extra }), { format: 'pt' });
  };
  const refuse = (bytes: Uint8Array, option: string): void =>
    assert.throws(() => decodeCheckpoint(bytes, 'm.safetensors'), (e: unknown) => e instanceof CheckpointError &&
      e.message.startsWith(`m.safetensors holds a recurrent layer built with ${option} (`) &&
      e.message.includes("which textloom's RNN, LSTM and GRU layers do not have; train the PyTorch model without it"));
  const reverse: Record<string, number[]> = {};
  for (const l of [0, 1]) {
    Object.assign(reverse, {
      [`rnn.weight_ih_l${l}_reverse`]: [64, l === 0 ? 8 : 32], [`rnn.weight_hh_l${l}_reverse`]: [64, 16],
      [`rnn.bias_ih_l${l}_reverse`]: [64], [`rnn.bias_hh_l${l}_reverse`]: [64],
    });
  }
  // Was: tensor "rnn.weight_ih_l1" has shape [64, 32] but a LSTM ... needs [64, 16].
  refuse(lstm(reverse, [], 16, 32), 'bidirectional=True');
  // Was: rnn.weight_hh_l0 has shape [64, 5], which is 12.8 gates.
  refuse(lstm({ 'rnn.weight_hr_l0': [5, 16], 'rnn.weight_hr_l1': [5, 16] }, [], 5, 5), 'proj_size');
  refuse(lstm({}, ['rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1']), 'bias=False');
  assert.equal(decodeCheckpoint(lstm({})).config.numLayers, 2);
});

test("a tied model as safetensors' save_model writes it loads: the dropped name is restored from the metadata", () => {
  // model.linear.weight = model.embed.weight, then save_model(model, path): embed.weight is stored once
  // and the metadata says {"linear.weight": "embed.weight"}. It was refused as missing linear.weight.
  const config: RNNConfig = { cell: 'gru', vocabSize: 7, embedSize: 4, hiddenSize: 4, numLayers: 1 };
  const weights: TensorMap = new Map();
  let seed = 1;
  for (const [name, shape] of parameterShapes(config)) {
    weights.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => (seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) });
  }
  weights.delete('linear.weight');
  const loaded = decodeCheckpoint(serializeSafetensors(weights, { 'linear.weight': 'embed.weight', note: 'linear.bias' }), 'tied.safetensors');
  assert.deepEqual(loaded.config, config);
  const embed = loaded.weights.get('embed.weight')!;
  assert.deepEqual(loaded.weights.get('linear.weight'), { shape: [7, 4], data: embed.data });
  assert.notEqual(loaded.weights.get('linear.weight')!.data, embed.data, 'a copy: the two train apart');
  assert.equal(loaded.weights.size, weights.size + 1, 'only a parameter name is restored, not "note"');
  assert.throws(() => decodeCheckpoint(serializeSafetensors(weights, { format: 'pt' }), 'untied.safetensors'),
    /untied\.safetensors is missing tensor "linear\.weight" \[7, 4\]/);
});

test('a NaN or infinite value is refused at load, naming the file, the tensor and the index, and never written', async () => {
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  const withValue = (tensor: string, index: number, value: number): TensorMap => {
    const weights = new Map(source.weights);
    const data = weights.get(tensor)!.data.slice();
    data[index] = value;
    weights.set(tensor, { shape: weights.get(tensor)!.shape, data });
    return weights;
  };
  // Written as another program would write them: encodeCheckpoint refuses such values itself.
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const path = join(dir, 'nan.safetensors');
  writeFileSync(path, serializeSafetensors(withValue('linear.bias', 12, Number.NaN)));
  await assert.rejects(loadCheckpoint(path), (e: unknown) =>
    e instanceof CheckpointError && e.message === `${path}: tensor linear.bias holds NaN at index 12; the file is corrupt`);
  const moments = new Map(source.weights).set('optimizer.m.embed.weight', { shape: [2], data: new Float32Array([0, Number.NEGATIVE_INFINITY]) });
  assert.throws(() => decodeCheckpoint(serializeSafetensors(moments), 'run.safetensors'), /run\.safetensors: tensor optimizer\.m\.embed\.weight holds -Infinity at index 1/);
  assert.throws(() => decodeCheckpoint(serializeSafetensors(withValue('embed.weight', 0, Infinity))),
    /checkpoint: tensor embed\.weight holds Infinity at index 0/);
  assert.throws(() => encodeCheckpoint({ config: source.config, weights: withValue('linear.bias', 12, Number.NaN) }),
    /encodeCheckpoint: tensor linear\.bias holds NaN at index 12 \(did training diverge\?\); nothing was written/);
});

test('a foreign safetensors file loaded from a path is named in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const path = join(dir, 'bert.safetensors');
  writeFileSync(path, serializeSafetensors(new Map([['encoder.weight', { shape: [2], data: new Float32Array(2) }]])));
  await assert.rejects(loadCheckpoint(path), (e: unknown) =>
    e instanceof CheckpointError && e.message.startsWith(`${path} is not an RNN checkpoint: tensor "embed.weight" is missing (found encoder.weight)`));
});

test('a checkpoint saves to and loads from a file: URL, as a URL object or its string', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'textloom-ckpt-')), 'runs é');
  mkdirSync(dir);
  const url = pathToFileURL(join(dir, 'my model.safetensors'));
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  await saveCheckpoint(url, { config: source.config, weights: source.weights });
  assert.deepEqual(readdirSync(dir), ['my model.safetensors']);
  for (const location of [url, url.href]) {
    const loaded = await loadCheckpoint(location);
    assert.deepEqual(loaded.config, source.config);
    assert.deepEqual(loaded.weights.get('linear.bias')!.data, source.weights.get('linear.bias')!.data);
  }
});

test('misspelt keys of checkpoint content are refused, not dropped', () => {
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  assert.throws(() => encodeCheckpoint({ config: source.config, weights: source.weights, tokeniser: {} } as never),
    /encodeCheckpoint: unknown option "tokeniser"; did you mean tokenizer\?/);
  const model = { stateDict: () => source.weights } as never;
  assert.throws(() => modelContent(model, source.config, { trainerState: {} } as never), /modelContent: unknown option "trainerState"; known options: tokenizer, trainer, options, metadata/);
});

test('metadata under a key the checkpoint writes itself is refused, not overwritten or written unreadable', () => {
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  const content = { config: source.config, weights: source.weights };
  for (const key of ['trainer', 'tokenizer', 'config', 'format', 'textloom_format']) {
    assert.throws(() => encodeCheckpoint({ ...content, metadata: { [key]: 'mine' } }),
      new RegExp(`encodeCheckpoint: metadata key "${key}" is written by the checkpoint itself .*; store your value under another name`));
  }
  assert.equal(decodeCheckpoint(encodeCheckpoint({ ...content, metadata: { trainer_name: 'alice' } })).metadata['trainer_name'], 'alice');
});

test('saving over a checkpoint is atomic: a failed save leaves the previous file intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-ckpt-'));
  const path = join(dir, 'model.safetensors');
  const source = decodeCheckpoint(fixtureBytes('rnn_tiny', 'init.safetensors'));
  await saveCheckpoint(path, { config: source.config, weights: source.weights });
  const before = readFileSync(path);
  const broken = new Map(source.weights);
  broken.set('linear.bias', { shape: [50], data: new Float32Array(49) });
  await assert.rejects(saveCheckpoint(path, { config: source.config, weights: broken }), /linear.bias/);
  await assert.rejects(saveCheckpoint(join(dir, 'no-such-dir', 'm.safetensors'), { config: source.config, weights: source.weights }), /no such file/);
  // A path ending in a slash is a folder: neither a file of the folder's name nor a bare ENOTDIR.
  await assert.rejects(saveCheckpoint(`${dir}/models/`, { config: source.config, weights: source.weights }),
    /cannot write .*\/models\/: a path ending in a slash names a folder; give a file path such as .*\/models\/model\.safetensors/);
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('a file past the 4 GiB a byte array holds is refused before it is read, as no checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'textloom-huge-'));
  const path = join(dir, 'huge.safetensors');
  // Sparse: the size is declared, no disk space is taken.
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 5 * 2 ** 30);
  closeSync(fd);
  await assert.rejects(loadCheckpoint(path), (err: Error) => {
    assert.ok(err instanceof CheckpointError);
    assert.equal(err.message, `cannot read ${path}: it is 5368709120 bytes, more than the 4294967296 (4 GiB) that one ` +
      'JavaScript byte array holds. No RNN checkpoint is this large: it stores 4 bytes a parameter, as many as the ' +
      'model takes in WASM memory to generate (12 with the optimizer state, and training takes more), and ' +
      "wasm32's memory holds 4 GiB; this file is something else");
    return true;
  });
  await assert.rejects(readBytes(path), (err: Error) => err instanceof PlatformFileError && err.code === 'ETOOLARGE');
  rmSync(dir, { recursive: true });
});
