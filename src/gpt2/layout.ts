/**
 * Recognizing a GPT-2 decoder by its inputs and outputs (Optimum's names) and checking it against
 * config.json. Three Hub layouts exist:
 * - 'single': `model.onnx`, past inputs always given (empty at the start);
 * - 'merged': `decoder_model_merged.onnx`, the same plus `use_cache_branch`;
 * - 'pair': `decoder_model.onnx` (no past) + `decoder_with_past_model.onnx`.
 * `position_ids` is optional in all three (older exports count positions from the cache length).
 */
import type { Gpt2Config } from './config.js';

/**
 * A Hub ONNX export of GPT-2: 'single' (`model.onnx`), 'merged' (`decoder_model_merged.onnx`) or 'pair'
 * (`decoder_model.onnx` + `decoder_with_past_model.onnx`).
 */
export type LayoutKind = 'single' | 'merged' | 'pair';
export type KvType = 'float32' | 'float16';

/** What one session looks like from outside. */
export interface SessionInfo {
  file: string;
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** name -> element type and shape (numbers for fixed dims), where the runtime reports it. */
  inputs: Map<string, { type: string; shape: readonly (number | string)[] }>;
}

export interface DecoderSignature {
  kind: LayoutKind;
  hasPositionIds: boolean;
  nLayer: number;
  kvType: KvType;
  pastNames: string[];
  presentNames: string[];
}

/** An ONNX model that is not a GPT-2 decoder in Optimum's layout, or that contradicts its config.json. */
export class Gpt2LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Gpt2LayoutError';
  }
}

const PRESENT = /^present\.(\d+)\.(key|value)$/;

function kvNames(prefix: string, n: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(`${prefix}.${i}.key`, `${prefix}.${i}.value`);
  return names;
}

function layerCount(names: readonly string[], pattern: RegExp): number {
  let n = 0;
  for (const name of names) {
    const m = pattern.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function expectation(withPast: boolean, merged: boolean): string {
  return [
    'input_ids', 'attention_mask', '[position_ids]',
    ...(withPast ? ['past_key_values.{i}.key', 'past_key_values.{i}.value'] : []),
    ...(merged ? ['use_cache_branch'] : []),
  ].join(', ') + ' -> logits, present.{i}.key, present.{i}.value';
}

function describe(info: SessionInfo): string {
  return `${info.file} has inputs [${info.inputNames.join(', ')}] and outputs [${info.outputNames.join(', ')}]`;
}

/** Checks one session: a GPT-2 decoder with or without past inputs. Returns its layer count. */
function checkSession(info: SessionInfo, withPast: boolean, merged: boolean): { nLayer: number; hasPositionIds: boolean } {
  const fail = (why: string): never => {
    throw new Gpt2LayoutError(
      `${info.file} is not a GPT-2 decoder in Optimum's layout: ${why}. Expected ${expectation(withPast, merged)}; ` +
      `${describe(info)}. Export the model with Optimum (task text-generation-with-past) or use a Hub ONNX repository`,
    );
  };
  const inputs = new Set(info.inputNames);
  const outputs = new Set(info.outputNames);
  for (const name of ['input_ids', 'attention_mask']) if (!inputs.has(name)) fail(`input ${name} is missing`);
  if (!outputs.has('logits')) fail('output logits is missing');
  const nLayer = layerCount(info.outputNames, PRESENT);
  if (nLayer === 0) fail('it returns no present.{i}.key/value (no KV cache)');
  for (const name of kvNames('present', nLayer)) if (!outputs.has(name)) fail(`output ${name} is missing`);
  if (withPast) {
    for (const name of kvNames('past_key_values', nLayer)) if (!inputs.has(name)) fail(`input ${name} is missing`);
  }
  if (merged && !inputs.has('use_cache_branch')) fail('input use_cache_branch is missing');
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', ...(withPast ? kvNames('past_key_values', nLayer) : [])]);
  const unknown = info.inputNames.filter((n) => !known.has(n));
  if (unknown.length > 0) fail(`it needs input(s) this loader cannot provide: ${unknown.join(', ')}`);
  return { nLayer, hasPositionIds: inputs.has('position_ids') };
}

function kvTypeOf(info: SessionInfo, name: string): KvType {
  const type = info.inputs.get(name)?.type ?? 'float32';
  if (type !== 'float32' && type !== 'float16') {
    throw new Gpt2LayoutError(`${info.file}: ${name} has element type ${type}; only float32 and float16 caches are supported`);
  }
  return type;
}

/** Recognizes the layout of one session (single or merged) or of the pair [no past, with past]. */
export function recognize(sessions: readonly SessionInfo[]): DecoderSignature {
  if (sessions.length === 2) {
    const first = checkSession(sessions[0]!, false, false);
    const second = checkSession(sessions[1]!, true, false);
    if (first.nLayer !== second.nLayer || first.hasPositionIds !== second.hasPositionIds) {
      throw new Gpt2LayoutError(`${sessions[0]!.file} and ${sessions[1]!.file} do not belong together: ${describe(sessions[0]!)}; ${describe(sessions[1]!)}`);
    }
    return {
      kind: 'pair', hasPositionIds: first.hasPositionIds, nLayer: first.nLayer,
      kvType: kvTypeOf(sessions[1]!, 'past_key_values.0.key'),
      pastNames: kvNames('past_key_values', first.nLayer), presentNames: kvNames('present', first.nLayer),
    };
  }
  const info = sessions[0]!;
  const merged = info.inputNames.includes('use_cache_branch');
  const found = checkSession(info, true, merged);
  return {
    kind: merged ? 'merged' : 'single', hasPositionIds: found.hasPositionIds, nLayer: found.nLayer,
    kvType: kvTypeOf(info, 'past_key_values.0.key'),
    pastNames: kvNames('past_key_values', found.nLayer), presentNames: kvNames('present', found.nLayer),
  };
}

/** Checks config.json against what the graph declares (layers, heads, head size where the shape is fixed). */
export function checkAgainstConfig(signature: DecoderSignature, sessions: readonly SessionInfo[], config: Gpt2Config, configName: string): void {
  const contradiction = (what: string): never => {
    throw new Gpt2LayoutError(`${configName} contradicts the ONNX model: ${what}. Use the config.json that came with the model`);
  };
  if (signature.nLayer !== config.nLayer) {
    contradiction(`n_layer is ${config.nLayer} but ${sessions[0]!.file} has ${signature.nLayer} layers of present.{i}.key/value`);
  }
  const withPast = sessions[sessions.length - 1]!;
  const shape = withPast.inputs.get('past_key_values.0.key')?.shape;
  if (shape && shape.length === 4) {
    const [, heads, , headDim] = shape;
    if (typeof heads === 'number' && heads !== config.nHead) {
      contradiction(`n_head is ${config.nHead} but past_key_values.0.key has ${heads} heads (shape [${shape.join(', ')}])`);
    }
    if (typeof headDim === 'number' && headDim * config.nHead !== config.nEmbd) {
      contradiction(`n_embd / n_head is ${config.nEmbd / config.nHead} but past_key_values.0.key has head size ${headDim}`);
    }
  }
}

/** Checks the shapes of a run's outputs, for runtimes that do not report input shapes in advance. */
export function checkOutputShapes(logitsDims: readonly number[], presentDims: readonly number[], config: Gpt2Config, configName: string): void {
  const vocab = logitsDims[logitsDims.length - 1];
  if (vocab !== config.vocabSize) {
    throw new Gpt2LayoutError(`${configName} contradicts the ONNX model: vocab_size is ${config.vocabSize} but logits have ${vocab} entries per position`);
  }
  const headDim = config.nEmbd / config.nHead;
  if (presentDims.length !== 4 || presentDims[1] !== config.nHead || presentDims[3] !== headDim) {
    throw new Gpt2LayoutError(
      `${configName} contradicts the ONNX model: n_head ${config.nHead} and n_embd ${config.nEmbd} give present shape [batch, ${config.nHead}, length, ${headDim}], ` +
      `but present.0.key is [${presentDims.join(', ')}]`,
    );
  }
}
