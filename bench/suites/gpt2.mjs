// GPT-2 decoding on a GPT-2-124M-shaped model with random weights, built locally by
// scripts/fixtures/make_gpt2.py (never committed): textloom's engine against a bare session loop on
// the same file and the same runtime, on onnxruntime-web (WASM) and on onnxruntime-node (native),
// and textloom on the int8 variant.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nodeCase } from '../lib/cases.mjs';
import { interleave } from '../lib/interleave.mjs';
import { PYTHON } from '../lib/machine.mjs';

// "How are you feeling today?" in GPT-2 ids (test/fixtures/gpt2/bpe_cases.json).
const PROMPT = [2437, 389, 345, 4203, 1909, 30];

function ensureModel(ctx) {
  const dir = `${ctx.root}/bench/models/gpt2-124m`;
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };
  if (!existsSync(`${dir}/onnx/model.onnx`)) {
    ctx.log('Building the GPT-2-124M-shaped random model with scripts/fixtures/make_gpt2.py (a few minutes)');
    execFileSync(PYTHON, [`${ctx.root}/scripts/fixtures/make_gpt2.py`, '--size', '124m', '--out', dir], quiet);
  }
  if (!existsSync(`${dir}/onnx/model_quantized.onnx`)) {
    ctx.log('Writing its weight-only int8 variant with bench/gpt2_quantize.py');
    execFileSync(PYTHON, [`${ctx.root}/bench/gpt2_quantize.py`, dir], quiet);
  }
  return dir;
}

export async function gpt2(ctx) {
  let modelDir;
  try {
    modelDir = ensureModel(ctx);
  } catch (err) {
    return [{ threads: null, cases: [{ name: 'all', samples: [], skipped: `model build failed: ${err.message.split('\n')[0]}` }] }];
  }
  const newTokens = ctx.quick ? 8 : 32;
  // The int8 variant dequantizes every weight at every step (DequantizeLinear is not folded), about
  // 7x slower: fewer tokens keep its samples near the others' length.
  const q8Tokens = ctx.quick ? 4 : 8;
  const groups = [];
  for (const threads of ctx.select.threads) {
    const base = { modelDir, prompt: PROMPT, newTokens, threads };
    const specs = [
      nodeCase('textloom-wasm', 'textloom_gpt2.mjs', { ...base, device: 'wasm', dtype: 'fp32' }),
      nodeCase('ort-web', 'gpt2_ort.mjs', { ...base, runtime: 'web', onnxFile: 'onnx/model.onnx' }),
      nodeCase('textloom-wasm-q8', 'textloom_gpt2.mjs', { ...base, newTokens: q8Tokens, device: 'wasm', dtype: 'q8' }),
      nodeCase('ort-web-q8', 'gpt2_ort.mjs', { ...base, newTokens: q8Tokens, runtime: 'web', onnxFile: 'onnx/model_quantized.onnx' }),
    ];
    const skips = [];
    const ortNode = ctx.peers.npm['onnxruntime-node'];
    if (ortNode.ok) {
      specs.push(
        nodeCase('textloom-native', 'textloom_gpt2.mjs', { ...base, device: 'native', dtype: 'fp32' }),
        nodeCase('ort-node', 'gpt2_ort.mjs', { ...base, runtime: 'node', onnxFile: 'onnx/model.onnx' }),
      );
    } else {
      for (const name of ['textloom-native', 'ort-node']) skips.push({ name, samples: [], skipped: ortNode.reason });
    }
    ctx.log(`gpt2 ${threads} thread(s): ${specs.map((s) => s.name).join(', ')}`);
    // Sixteen rounds: the overhead targets are a few percent, and on two threads single samples of
    // either case spread by a third, so eight rounds left the ratio of medians moving by 6%. They
    // run in four spells of fresh processes, as each process draws its own placement of the weights
    // in memory (up to 10% apart). Two warm-up samples: V8 moves onnxruntime's WASM from its
    // baseline compiler to the optimizing one during the first two, which run 15-40% slower.
    const cases = await interleave(specs, { warmup: 2, rounds: ctx.quick ? 2 : 16, processes: ctx.quick ? 1 : 4, log: ctx.log });
    groups.push({ threads, newTokens, q8Tokens, promptTokens: PROMPT.length, cases: [...cases, ...skips] });
    ctx.progress(groups);
  }
  return groups;
}
