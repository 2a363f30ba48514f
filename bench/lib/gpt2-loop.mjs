// Greedy decoding with a KV cache written directly against an onnxruntime session (web or node:
// they share one API), with nothing between the loop and the runtime: the baseline textloom's
// GPT-2 engine is measured against.

function argmaxLastRow(logits) {
  const [, seq, vocab] = logits.dims; // (1, S, V)
  const data = logits.data;
  const base = (seq - 1) * vocab;
  let best = 0;
  for (let v = 1; v < vocab; v++) if (data[base + v] > data[base + best]) best = v;
  return best;
}

/** Reads the cache geometry from the session's input metadata names and the model's config.json. */
export function cacheLayout(session, config) {
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  if (!session.inputNames.includes('input_ids') || pastNames.length === 0) {
    throw new Error(`expected a decoder with input_ids and past_key_values.* inputs, got ${session.inputNames.join(', ')}`);
  }
  return {
    pastNames,
    heads: config.n_head,
    headDim: config.n_embd / config.n_head,
    hasPositions: session.inputNames.includes('position_ids'),
    hasBranch: session.inputNames.includes('use_cache_branch'),
  };
}

/**
 * Decodes `newTokens` tokens greedily after `prompt`; returns the seconds to the first new token
 * (prompt pass included) and the tokens per second of the remaining single-token steps.
 */
export async function decodeGreedy(ort, session, layout, prompt, newTokens) {
  const { pastNames, heads, headDim } = layout;
  let past = {};
  for (const name of pastNames) past[name] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
  let ids = prompt;
  let pastLen = 0;
  const out = [];
  const t0 = performance.now();
  let tFirst = 0;
  for (let i = 0; i < newTokens; i++) {
    const n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLen + n).fill(1n), [1, pastLen + n]),
      ...past,
    };
    if (layout.hasPositions) {
      feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, k) => BigInt(pastLen + k)), [1, n]);
    }
    if (layout.hasBranch) feeds.use_cache_branch = new ort.Tensor('bool', [pastLen > 0], [1]);
    const results = await session.run(feeds);
    const next = argmaxLastRow(results.logits);
    for (const t of Object.values(past)) t.dispose?.();
    past = {};
    for (const name of pastNames) past[name] = results[name.replace('past_key_values', 'present')];
    results.logits.dispose?.();
    out.push(next);
    pastLen += n;
    ids = [next];
    if (i === 0) tFirst = performance.now();
  }
  const tEnd = performance.now();
  for (const t of Object.values(past)) t.dispose?.();
  return { ttftSeconds: (tFirst - t0) / 1000, tokPerSec: (newTokens - 1) / ((tEnd - tFirst) / 1000), tokens: out };
}
