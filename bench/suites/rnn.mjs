// RNN training and generation: textloom against PyTorch (OpenBLAS detected and forced to this
// CPU's core type) and TensorFlow.js on WASM, on the same token file, interleaved per group.
import { ensureTokenFile } from '../lib/data.mjs';
import { nodeCase, torchCase } from '../lib/cases.mjs';
import { interleave } from '../lib/interleave.mjs';
import { RNN_CONFIGS, CELLS, trainFlopsPerToken, forwardFlopsPerToken } from '../lib/rnn-configs.mjs';

// Steps per sample keep one sample near a second or more for the slowest case of each config.
const STEPS = { S: 4, M: 2, L: 1 };
export const FMA_CASE = 'wasm-fma-loop';
// About a second per sample at the WASM ceiling: a burst much shorter than a scheduler slice reads
// whatever share of the core it happened to get on a busy machine.
const FMA_ITERATIONS = 500_000_000;
// Two threads are measured where scaling is a question (S's matrices are too small to split).
const MULTI_THREAD_CONFIGS = new Set(['M', 'L']);
// TensorFlow.js: L needs more than its 4 GiB WASM heap (activations, one-hot targets, Adam state).
const TFJS_CONFIGS = new Set(['S', 'M']);

function skipped(name, reason) {
  return { name, info: null, samples: [], error: null, skipped: reason };
}

function torchVariants(ctx) {
  const forced = ctx.machine.openblasCore.core;
  const v = [{ impl: 'pytorch-openblas-auto', core: null }];
  if (forced) v.push({ impl: `pytorch-openblas-${forced}`, core: forced });
  return v;
}

async function runGroup(ctx, specs, skips, rounds) {
  const results = specs.length ? await interleave(specs, { warmup: 1, rounds, log: ctx.log }) : [];
  return [...results, ...skips];
}

export async function rnnTrain(ctx) {
  const groups = [];
  // Five samples: config L streams its output weights from memory several times a step, and a
  // neighbour's burst of memory traffic can slow one sample of textloom and PyTorch alike by 20%.
  const rounds = 5;
  for (const configName of ctx.select.configs) {
    const config = RNN_CONFIGS[configName];
    const dataFile = await ensureTokenFile(`${ctx.dataDir}/tokens-${configName}.i32`, config, 1);
    const stepsPerSample = ctx.quick ? 1 : STEPS[configName];
    for (const threads of ctx.select.threads) {
      if (threads > 1 && !MULTI_THREAD_CONFIGS.has(configName)) continue;
      for (const cell of ctx.select.cells) {
        const opts = { mode: 'train', config, cell, threads, dataFile, stepsPerSample };
        const specs = [nodeCase('textloom', 'textloom_rnn.mjs', opts)];
        // The FMA-loop ceiling goes in the same rotation, so "percent of peak" is taken under the same load.
        if (threads === 1) specs.push(nodeCase(FMA_CASE, 'fma_peak.mjs', { iterations: FMA_ITERATIONS }));
        const skips = [];
        for (const { impl, core } of torchVariants(ctx)) {
          if (ctx.peers.torch.ok) specs.push(torchCase(impl, opts, core));
          else skips.push(skipped(impl, ctx.peers.torch.reason));
        }
        const tfjs = ctx.peers.npm['@tensorflow/tfjs-backend-wasm'];
        if (!tfjs.ok) skips.push(skipped('tfjs-wasm', tfjs.reason));
        else if (!TFJS_CONFIGS.has(configName)) skips.push(skipped('tfjs-wasm', 'WASM heap caps at 4 GiB: config L does not fit'));
        else specs.push(nodeCase('tfjs-wasm', 'tfjs_rnn.mjs', { ...opts, stepsPerSample: 1 }));
        ctx.log(`rnn-train ${configName} ${cell} ${threads} thread(s): ${specs.map((s) => s.name).join(', ')}`);
        const cases = await runGroup(ctx, specs, skips, rounds);
        groups.push({ config: configName, cell, threads, flopsPerToken: trainFlopsPerToken(config, cell), cases });
        ctx.progress(groups);
      }
    }
  }
  return groups;
}

export async function rnnGenerate(ctx) {
  const groups = [];
  const config = RNN_CONFIGS.M;
  const tokensPerSample = ctx.quick ? 100 : 400;
  for (const cell of ctx.select.cells) {
    const opts = { mode: 'generate', config, cell, threads: 1, tokensPerSample };
    const specs = [nodeCase('textloom', 'textloom_rnn.mjs', opts)];
    const skips = [];
    for (const { impl, core } of torchVariants(ctx)) {
      if (ctx.peers.torch.ok) specs.push(torchCase(impl, opts, core));
      else skips.push(skipped(impl, ctx.peers.torch.reason));
    }
    ctx.log(`rnn-generate M ${cell} batch 1: ${specs.map((s) => s.name).join(', ')}`);
    const cases = await runGroup(ctx, specs, skips, ctx.quick ? 3 : 6);
    groups.push({ config: 'M', cell, threads: 1, flopsPerToken: forwardFlopsPerToken(config, cell), cases });
    ctx.progress(groups);
  }
  return groups;
}

export const RNN_DEFAULTS = { configs: Object.keys(RNN_CONFIGS), cells: CELLS, threads: [1, 2] };
