/**
 * Input checks that run before any kernel: token batches and tensor dictionaries. Each error says
 * what was expected, what came, and how to fix it.
 */
import { describeArgument } from '../util/arguments.js';
import type { ModelConfig } from './layout.js';
import type { RecurrentState } from './state.js';

/** What a function that takes an RNN model says it wants, for requireArgument. */
export const AN_RNN_MODEL = 'an RNNModel (from await RNNModel.create(config))';

/** Throws unless `ids` is an Int32Array; plain arrays would otherwise fail deep inside with an internal TypeError. */
export function requireInt32Array(where: string, label: string, ids: unknown, hint: string): void {
  if (!(ids instanceof Int32Array)) {
    throw new TypeError(`${where}: ${label} must be an Int32Array (${hint}), got ${describeArgument(ids)}`);
  }
}

/** Checks (T, B) against the arrays, every id against the vocabulary, and the state's shape. */
export function checkBatch(config: ModelConfig, where: string, inputs: Int32Array, targets: Int32Array | null,
                           T: number, B: number, state: RecurrentState): void {
  if (!Number.isInteger(T) || T <= 0 || !Number.isInteger(B) || B <= 0) {
    throw new RangeError(`${where}: T and B must be positive integers, got T=${T}, B=${B}`);
  }
  const check = (label: string, a: Int32Array | null) => {
    if (a === null) return;
    requireInt32Array(where, label, a, 'time-major, index t*B+b');
    if (a.length !== T * B) {
      throw new RangeError(`${where}: ${label} has ${a.length} ids but T*B = ${T}*${B} = ${T * B}; pass time-major (T, B) ids`);
    }
    const V = config.vocabSize;
    for (let i = 0; i < a.length; i++) {
      if (a[i] < 0 || a[i] >= V) {
        throw new RangeError(`${where}: ${label}[${i}] (t=${Math.floor(i / B)}, b=${i % B}) is ${a[i]}, outside the vocabulary [0, ${V})`);
      }
    }
  };
  check('inputs', inputs);
  check('targets', targets);
  const hasCell = config.cell === 'lstm';
  if (state.numLayers !== config.numLayers || state.hiddenSize !== config.hiddenSize || state.hasCell !== hasCell) {
    throw new RangeError(`${where}: the state has ${state.numLayers} layer(s) of ${state.hiddenSize}` +
      `${state.hasCell ? ' with cells' : ''} but the model needs ${config.numLayers} of ${config.hiddenSize}` +
      `${hasCell ? ' with cells' : ''}; create it with model.createState(batch)`);
  }
  if (state.batch !== B) {
    throw new RangeError(`${where}: the state holds ${state.batch} row(s) but the batch has B=${B}; ` +
      `use model.createState(${B}) or state.select(...)`);
  }
}

/** Requires exactly the expected names with the expected shapes and data lengths; lists every problem. */
export function checkTensorDict(where: string, expected: Map<string, number[]>,
                                dict: Map<string, { shape: number[]; data: Float32Array }>): void {
  if (!(dict instanceof Map)) throw new TypeError(`${where}: expected a Map of name -> { shape, data }, got ${String(dict)}`);
  const missing = [...expected.keys()].filter((n) => !dict.has(n));
  const extra = [...dict.keys()].filter((n) => !expected.has(n));
  const misshaped: string[] = [];
  for (const [name, shape] of expected) {
    if (!dict.has(name)) continue;
    const t = dict.get(name);
    if (t === null || typeof t !== 'object') {
      misshaped.push(`${name} is ${String(t)}, not { shape, data }`);
      continue;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const sameShape = Array.isArray(t.shape) && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    if (!sameShape) {
      misshaped.push(`${name} has shape [${t.shape}] but [${shape}] is expected`);
    } else if (!(t.data instanceof Float32Array) || t.data.length !== size) {
      misshaped.push(`${name} has ${t.data?.length} values but shape [${shape}] needs ${size} (as a Float32Array)`);
    }
  }
  if (missing.length || extra.length || misshaped.length) {
    const parts = [];
    if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
    if (extra.length) parts.push(`unexpected: ${extra.join(', ')}`);
    if (misshaped.length) parts.push(`wrong shape: ${misshaped.join('; ')}`);
    throw new RangeError(`${where}: the tensors do not match this model (${parts.join(' | ')}); ` +
      `a checkpoint must come from a model with the same cell, vocabSize, embedSize, hiddenSize and numLayers`);
  }
}
