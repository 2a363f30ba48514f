/**
 * The tiny GPT-2 fixtures made by scripts/fixtures/make_gpt2.py and their PyTorch references.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TINY = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny', import.meta.url));
export const TINY_TOKENIZER_JSON = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny-tokenizer-json', import.meta.url));
export const NOT_DECODER = fileURLToPath(new URL('../../../test/fixtures/gpt2-tiny-not-decoder', import.meta.url));

export interface PromptReference {
  text: string;
  ids: number[];
  greedy: number[];
  no_repeat_ngram_size_2: number[];
  repetition_penalty_1_3: number[];
  beam_3: number[][];
  beam_3_no_repeat_ngram_size_2: number[][];
}

export interface Reference {
  config: { vocab_size: number; n_positions: number; n_embd: number; n_layer: number; n_head: number };
  max_new_tokens: number;
  prompts: PromptReference[];
  prompts_quantized: { ids: number[]; greedy: number[] }[];
}

export const reference: Reference = JSON.parse(readFileSync(`${TINY}/reference.json`, 'utf8'));

/** Reference last-position logits (P, V) of `reference_logits{suffix}.bin`, one Float32Array per prompt. */
export function referenceLogits(suffix: '' | '_fp16' | '_quantized'): Float32Array[] {
  const bytes = readFileSync(`${TINY}/reference_logits${suffix}.bin`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const v = reference.config.vocab_size;
  return reference.prompts.map((_, p) => all.subarray(p * v, (p + 1) * v));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
