/**
 * Loading the PyTorch oracle runs in test/fixtures/rnn/<name>/: one run per train*.json, with the
 * batches, the initial weights and the final weights it names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseSafetensors } from '../src/io/safetensors.js';
import type { ModelConfig, TensorData } from '../src/rnn/model.js';

export const FIXTURES = new URL('../../test/fixtures/rnn/', import.meta.url);

export interface TrainRecord {
  model: { cell: string; vocab_size: number; embed_size: number; hidden_size: number; num_layers: number };
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  clip_grad_norm_max_norm: number | null;
  init_weights: string;
  final_weights: string;
  loss_per_step: number[];
  grad_total_norm_per_step: number[];
  step0_logits_shape: [number, number, number];
  step0_logits_first20: number[];
  step0_logits_sum: number;
  step0_logits_sumsq: number;
  final_hidden_first8: number[][];
  generation: { prefix: number[]; ids: number[]; top1_minus_top2_margin_per_step: number[] };
}

export interface Batches {
  seq_len: number;
  batch: number;
  steps: number;
  inputs: number[][][];
  targets: number[][][];
}

export interface FixtureRun {
  label: string;
  dir: URL;
  record: TrainRecord;
  batches: Batches;
  config: ModelConfig;
}

export function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

export function readTensors(url: URL): Map<string, TensorData> {
  const parsed = parseSafetensors(new Uint8Array(readFileSync(url)));
  return new Map([...parsed.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
}

/** Every (fixture directory, train*.json) pair present. */
export function fixtureRuns(): FixtureRun[] {
  const runs: FixtureRun[] = [];
  for (const name of readdirSync(FIXTURES).sort()) {
    const dir = new URL(`${name}/`, FIXTURES);
    const batches = readJson<Batches>(new URL('batches.json', dir));
    for (const file of readdirSync(dir).filter((f) => /^train.*\.json$/.test(f)).sort()) {
      const record = readJson<TrainRecord>(new URL(file, dir));
      const m = record.model;
      runs.push({
        label: `${name}/${file}`,
        dir,
        record,
        batches,
        config: {
          cell: m.cell.toLowerCase() as ModelConfig['cell'],
          vocabSize: m.vocab_size, embedSize: m.embed_size, hiddenSize: m.hidden_size, numLayers: m.num_layers,
        },
      });
    }
  }
  return runs;
}

/** Time-major (T, B) nested arrays flattened to index t*B+b. */
export function flatIds(rows: number[][]): Int32Array {
  return Int32Array.from(rows.flat());
}
