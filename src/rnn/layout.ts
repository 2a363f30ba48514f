/**
 * Model configuration checks and the parameter table: PyTorch state_dict names and shapes, in
 * state_dict order, each with its offset in the one flat parameter block (the same offsets index
 * the gradient and Adam moment blocks).
 */
export type CellType = 'rnn' | 'lstm' | 'gru';

/**
 * The shape of an RNN language model. RNNModel.create checks it: every size must be a positive integer
 * (a RangeError names each bad field).
 */
export interface ModelConfig {
  /** The recurrent layer: 'rnn' (Elman), 'lstm' or 'gru', as torch.nn.RNN, LSTM and GRU. */
  cell: CellType;
  /** Number of token ids: rows of the embedding and outputs of the final Linear (the tokenizer's vocabSize). */
  vocabSize: number;
  /** Length of each embedding vector, the first recurrent layer's input size. */
  embedSize: number;
  /** Units of every recurrent layer. */
  hiddenSize: number;
  /** Recurrent layers stacked on each other. */
  numLayers: number;
}

export interface ParamSpec {
  readonly name: string;
  readonly shape: number[];
  /** Offset in floats within the parameter block. */
  readonly offset: number;
  readonly length: number;
  /** PyTorch's default init: N(0, 1) for the embedding, U(-bound, bound) elsewhere. */
  readonly init: { kind: 'normal' } | { kind: 'uniform'; bound: number };
}

/** Gate rows per hidden unit: 1 (Elman), 4 (LSTM i, f, g, o), 3 (GRU r, z, n). */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Throws a message naming every bad field; returns a normalized copy. */
export function validateConfig(config: ModelConfig): ModelConfig {
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`ModelConfig: expected an object, got ${String(config)}`);
  }
  const problems: string[] = [];
  if (!['rnn', 'lstm', 'gru'].includes(config.cell)) {
    problems.push(`cell must be 'rnn', 'lstm' or 'gru', got ${JSON.stringify(config.cell)}`);
  }
  for (const key of ['vocabSize', 'embedSize', 'hiddenSize', 'numLayers'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v <= 0) problems.push(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (problems.length) throw new RangeError(`Invalid ModelConfig: ${problems.join('; ')}`);
  const { cell, vocabSize, embedSize, hiddenSize, numLayers } = config;
  return { cell, vocabSize, embedSize, hiddenSize, numLayers };
}

export function parameterSpecs(config: ModelConfig): ParamSpec[] {
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = config;
  const GH = gateCount(config.cell) * H;
  const bound = 1 / Math.sqrt(H);
  const specs: ParamSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], init: ParamSpec['init']) => {
    const length = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset, length, init });
    offset += length;
  };
  add('embed.weight', [V, E], { kind: 'normal' });
  for (let l = 0; l < L; l++) {
    const uniform = { kind: 'uniform', bound } as const;
    add(`rnn.weight_ih_l${l}`, [GH, l === 0 ? E : H], uniform);
    add(`rnn.weight_hh_l${l}`, [GH, H], uniform);
    add(`rnn.bias_ih_l${l}`, [GH], uniform);
    add(`rnn.bias_hh_l${l}`, [GH], uniform);
  }
  add('linear.weight', [V, H], { kind: 'uniform', bound });
  add('linear.bias', [V], { kind: 'uniform', bound });
  return specs;
}
