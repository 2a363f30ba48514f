// The three RNN configurations of the benchmark and their matmul FLOPs, shared by every RNN case.

export const RNN_CONFIGS = {
  S: { vocabSize: 2000, embedSize: 64, hiddenSize: 128, numLayers: 1, seqLen: 32, batch: 16 },
  M: { vocabSize: 10000, embedSize: 128, hiddenSize: 256, numLayers: 2, seqLen: 64, batch: 32 },
  L: { vocabSize: 30000, embedSize: 256, hiddenSize: 512, numLayers: 2, seqLen: 64, batch: 64 },
};

export const CELLS = ['rnn', 'lstm', 'gru'];

const GATES = { rnn: 1, lstm: 4, gru: 3 };

/**
 * Matmul FLOPs of one token through the forward pass: every layer's input and recurrent
 * projections (G gates each) and the output head; embedding lookups, activations, softmax and Adam
 * are left out (they are O(H) or O(V) per token, not O(H^2) or O(HV)).
 */
export function forwardFlopsPerToken(config, cell) {
  const g = GATES[cell];
  if (!g) throw new Error(`unknown cell '${cell}': expected one of ${CELLS.join(', ')}`);
  const { embedSize: E, hiddenSize: H, numLayers, vocabSize: V } = config;
  let flops = 2 * H * V;
  for (let layer = 0; layer < numLayers; layer++) {
    const input = layer === 0 ? E : H;
    flops += 2 * g * H * (input + H);
  }
  return flops;
}

/** A trained token costs the forward pass plus a backward pass of twice its matmul work. */
export function trainFlopsPerToken(config, cell) {
  return 3 * forwardFlopsPerToken(config, cell);
}
