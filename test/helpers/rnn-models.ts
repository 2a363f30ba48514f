/**
 * Real RNN models whose greedy output is set by hand, for tests of what generation and chat do with
 * given tokens.
 */
import { RNNModel } from '../../src/rnn/model.js';
import type { CharTokenizer, Tokenizer } from '../../src/text/index.js';

/**
 * A GRU whose output ignores its input: zero output weights and, for each character of `biases`, that
 * bias on its id, so greedy decoding writes the highest-biased character that is not banned.
 */
export async function biasedCharModel(tokenizer: CharTokenizer, biases: Record<string, number>): Promise<RNNModel> {
  const model = await RNNModel.create({ cell: 'gru', vocabSize: tokenizer.vocabSize, embedSize: 4, hiddenSize: 8, numLayers: 1 });
  const weights = model.stateDict();
  const bias = new Float32Array(tokenizer.vocabSize);
  for (const [char, value] of Object.entries(biases)) bias[tokenizer.vocabulary.id(char)] = value;
  weights.set('linear.weight', { shape: weights.get('linear.weight')!.shape, data: new Float32Array(weights.get('linear.weight')!.data.length) });
  weights.set('linear.bias', { shape: [tokenizer.vocabSize], data: bias });
  model.loadStateDict(weights);
  return model;
}

/**
 * A plain RNN whose greedy continuation of script[i] is script[i + 1] (its tokens must be distinct): each
 * token's embedding is a one-hot of its position, the cell copies it into the hidden state, and the
 * output layer maps position i to the next token.
 */
export async function scriptedModel(tokenizer: Tokenizer, script: readonly number[]): Promise<RNNModel> {
  const H = script.length;
  const model = await RNNModel.create({ cell: 'rnn', vocabSize: tokenizer.vocabSize, embedSize: H, hiddenSize: H, numLayers: 1 });
  const weights = model.stateDict();
  for (const [name, t] of weights) weights.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
  script.forEach((token, i) => {
    weights.get('embed.weight')!.data[token * H + i] = 1;
    weights.get('rnn.weight_ih_l0')!.data[i * H + i] = 10;
    if (i + 1 < H) weights.get('linear.weight')!.data[script[i + 1]! * H + i] = 20;
  });
  model.loadStateDict(weights);
  return model;
}
