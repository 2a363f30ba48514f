// Turns a results object into the Markdown tables of BENCHMARKS.md (and the console summary):
// medians per case, ratios of medians per pair, and the targets checked against them.
import { medianOf, maxOf, ratio } from './stats.mjs';

// The FMA-loop case that runs in each 1-thread training group (see suites/rnn.mjs).
const FMA_CASE = 'wasm-fma-loop';

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '–');
const mb = (bytes) => fmt(bytes / 2 ** 20);

function byName(cases, name) {
  return cases.find((c) => c.name === name);
}

/** The line of an error that names it (a stack's first line may only be a file position). */
function errorLine(error) {
  const lines = error.split('\n').filter((l) => l.trim());
  return (lines.find((l) => /Error\b/.test(l)) ?? lines[0] ?? '').trim().slice(0, 240);
}

function why(c) {
  if (!c) return 'not run';
  if (c.skipped) return `skipped: ${c.skipped}`;
  if (c.error) return `failed: ${errorLine(c.error)}`;
  return null;
}

/** Lines saying why a case has no numbers, once per distinct reason. */
function problems(groups) {
  const seen = new Map();
  for (const g of groups) {
    for (const c of g.cases) {
      const w = why(c);
      if (w && !c.samples?.length) seen.set(`${c.name}: ${w}`, true);
    }
  }
  return [...seen.keys()].map((l) => `- ${l}`);
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

const tokPerSec = (c) => ratio(medianOf(c, 'tokens'), medianOf(c, 'seconds'));

function torchNames(groups) {
  const names = new Set();
  for (const g of groups) for (const c of g.cases) if (c.name.startsWith('pytorch')) names.add(c.name);
  return [...names];
}

function bestTorch(group) {
  const t = group.cases.filter((c) => c.name.startsWith('pytorch')).map(tokPerSec).filter(Number.isFinite);
  return t.length ? Math.max(...t) : NaN;
}

export function summarize(results) {
  const s = { train: [], generate: [], gpt2: [], tokenizer: [], bundle: null };
  // The run's ceiling: the best FMA-loop sample of any group (each group's median is shown beside it).
  s.peakGflops = Math.max(-Infinity, ...(results.suites['rnn-train']?.groups ?? []).map((g) => maxOf(byName(g.cases, FMA_CASE), 'gflops')).filter(Number.isFinite));
  for (const g of results.suites['rnn-train']?.groups ?? []) {
    const row = { config: g.config, cell: g.cell, threads: g.threads, flopsPerToken: g.flopsPerToken, impls: {} };
    row.peakGflops = medianOf(byName(g.cases, FMA_CASE), 'gflops');
    for (const c of g.cases.filter((c) => c.name !== FMA_CASE)) {
      const tps = tokPerSec(c);
      row.impls[c.name] = { tokPerSec: tps, gflops: (tps * g.flopsPerToken) / 1e9, peakRssBytes: maxOf(c, 'peakRssBytes'), info: c.info };
    }
    row.bestTorch = bestTorch(g);
    s.train.push(row);
  }
  for (const g of results.suites['rnn-generate']?.groups ?? []) {
    const row = { cell: g.cell, impls: {} };
    for (const c of g.cases) row.impls[c.name] = { tokPerSec: tokPerSec(c) };
    row.bestTorch = bestTorch(g);
    s.generate.push(row);
  }
  for (const g of results.suites.gpt2?.groups ?? []) {
    const row = { threads: g.threads, impls: {} };
    for (const c of g.cases) {
      row.impls[c.name] = { tokPerSec: medianOf(c, 'tokPerSec'), ttftMs: 1000 * medianOf(c, 'ttftSeconds'),
        ownMs: medianOf(c, 'ownMsPerToken'), ownShare: medianOf(c, 'ownShare'), sameSessionRatio: medianOf(c, 'sameSessionRatio') };
    }
    s.gpt2.push(row);
  }
  for (const g of results.suites.tokenizer?.groups ?? []) {
    const row = { text: g.text, impls: {} };
    for (const c of g.cases) {
      row.impls[c.name] = { encode: medianOf(c, 'encodeMBps'), decode: medianOf(c, 'decodeMBps'), right: c.info?.fixtureRight, cases: c.info?.fixtureCases, wrong: c.info?.fixtureWrong };
    }
    s.tokenizer.push(row);
  }
  const bundleCases = results.suites.bundle?.groups?.[0]?.cases ?? [];
  if (bundleCases[0]?.info) {
    s.bundle = { ...bundleCases[0].info, runtimes: bundleCases.map((c) => ({ name: c.name, importMs: medianOf(c, 'importMs'), instantiateMs: medianOf(c, 'instantiateMs'), totalMs: medianOf(c, 'totalMs') })) };
  }
  return s;
}

function trainSection(results, s) {
  const groups = results.suites['rnn-train']?.groups ?? [];
  if (!groups.length) return [];
  const torch = torchNames(groups);
  const header = ['config', 'cell', 'thr', 'MFLOP/tok', 'textloom tok/s', 'GFLOP/s', 'FMA loop GF/s (group median)', '% of run peak', ...torch.map((t) => `${t} tok/s`), 'tfjs-wasm tok/s',
    ...torch.map((t) => `textloom / ${t.replace('pytorch-openblas-', 'torch ')}`), 'textloom / tfjs', 'peak MB textloom / torch / tfjs'];
  const rows = s.train.map((r) => {
    const tl = r.impls.textloom ?? {};
    const tf = r.impls['tfjs-wasm'] ?? {};
    const tMem = torch.map((t) => r.impls[t]?.peakRssBytes).filter(Number.isFinite);
    return [r.config, r.cell, r.threads, fmt(r.flopsPerToken / 1e6, 1), fmt(tl.tokPerSec), fmt(tl.gflops, 1), fmt(r.peakGflops, 1), fmt(100 * ratio(tl.gflops, s.peakGflops)),
      ...torch.map((t) => `${fmt(r.impls[t]?.tokPerSec)} (${fmt(r.impls[t]?.gflops, 1)} GF/s)`), fmt(tf.tokPerSec, 1),
      ...torch.map((t) => fmtRatio(ratio(tl.tokPerSec, r.impls[t]?.tokPerSec))), fmtRatio(ratio(tl.tokPerSec, tf.tokPerSec)),
      `${mb(tl.peakRssBytes)} / ${tMem.length ? mb(Math.max(...tMem)) : '–'} / ${mb(tf.peakRssBytes)}`];
  });
  const blas = groups.flatMap((g) => g.cases).filter((c) => c.name.startsWith('pytorch') && c.info).map((c) => `${c.name}: ${c.info.blas?.join(', ')} (OpenBLAS core ${c.info.openblasCore})`);
  return ['## RNN training', '',
    'Tokens/s are medians of interleaved samples; GFLOP/s counts the matmul work only (3x the forward pass: input, recurrent and output projections). The FMA loop is the kernels\' register-only multiply-add loop (WASM SIMD, one core), run in the rotation of each 1-thread group; the run\'s peak is its best sample in any group. Peak MB is the process\'s peak RSS.',
    `FMA-loop peak of this run: ${fmt(s.peakGflops, 1)} GFLOP/s.`, '',
    ...table(header, rows), '', ...[...new Set(blas)].map((l) => `- ${l}`), ...problems(groups), ''];
}

function generateSection(results, s) {
  const groups = results.suites['rnn-generate']?.groups ?? [];
  if (!groups.length) return [];
  const torch = torchNames(groups);
  const rows = s.generate.map((r) => [r.cell, fmt(r.impls.textloom?.tokPerSec), ...torch.map((t) => fmt(r.impls[t]?.tokPerSec)), fmtRatio(ratio(r.impls.textloom?.tokPerSec, r.bestTorch))]);
  return ['## RNN generation (greedy, config M, batch 1, state carried, 1 thread)', '',
    ...table(['cell', 'textloom tok/s', ...torch.map((t) => `${t} tok/s`), 'textloom / best torch'], rows), '', ...problems(groups), ''];
}

// Each textloom case next to the bare loop on the same runtime; the pairs' ratios are the targets.
const GPT2_CASES = ['textloom-wasm', 'ort-web', 'textloom-native', 'ort-node', 'textloom-wasm-q8', 'ort-web-q8'];

function gpt2Ratio(r, a, b) {
  return ratio(r.impls[a]?.tokPerSec, r.impls[b]?.tokPerSec);
}

// textloom's own time per token (outside session.run) and its share of the whole, in one process.
function ownTime(impl) {
  return Number.isFinite(impl?.ownMs) ? `${fmt(impl.ownMs, 2)} ms (${fmt(100 * impl.ownShare, 1)}%)` : '–';
}

function gpt2Section(results, s) {
  const groups = results.suites.gpt2?.groups ?? [];
  if (!groups.length) return [];
  const rows = s.gpt2.map((r) => [r.threads, ...GPT2_CASES.map((n) => `${fmt(r.impls[n]?.tokPerSec, 1)} / ${fmt(r.impls[n]?.ttftMs)}`),
    fmtRatio(gpt2Ratio(r, 'textloom-wasm', 'ort-web')),
    fmtRatio(gpt2Ratio(r, 'textloom-native', 'ort-node')),
    fmtRatio(gpt2Ratio(r, 'textloom-wasm', 'ort-node')),
    fmtRatio(gpt2Ratio(r, 'textloom-wasm-q8', 'textloom-wasm')),
    fmtRatio(r.impls['textloom-wasm']?.sameSessionRatio), fmtRatio(r.impls['textloom-native']?.sameSessionRatio),
    ownTime(r.impls['textloom-wasm']), ownTime(r.impls['textloom-native'])]);
  const g0 = groups[0];
  return ['## GPT-2 decoding (124M-shaped, random weights, greedy with KV cache)', '',
    `Prompt ${g0.promptTokens ?? '?'} tokens, ${g0.newTokens ?? '?'} new tokens (${g0.q8Tokens ?? '?'} for q8); cells are decode tok/s / time to first token in ms. q8 is the weight-only int8 variant (DequantizeLinear).`,
    'textloom-wasm runs on onnxruntime-web, textloom-native on onnxruntime-node (the package the bare ort-node loop uses). Each textloom case is measured two ways against the bare loop on its runtime: across two processes (the ort-* columns), and within its own process, where the bare loop drives textloom\'s own session in every sample, before or after textloom by turns (the same-session columns, the targets: a process\'s placement of the 500 MB of weights moves its decoding speed by up to 10% for its whole life, which the cross-process ratio carries and the same-session one does not). textloom-wasm / ort-node is the gap between the runtimes. The last two columns give textloom\'s own time per token, outside session.run (prompt pass included), and its share of the generation time.', '',
    ...table(['threads', ...GPT2_CASES, 'textloom-wasm / ort-web (two processes)', 'textloom-native / ort-node (two processes)', 'textloom-wasm / ort-node (runtime gap, no target)', 'q8 / fp32 (textloom)', 'textloom-wasm / bare loop, same session', 'textloom-native / bare loop, same session', 'textloom-wasm own time / token', 'textloom-native own time / token'], rows), '', ...problems(groups), ''];
}

function tokenizerSection(results, s) {
  const groups = results.suites.tokenizer?.groups ?? [];
  if (!groups.length) return [];
  const names = [...new Set(groups.flatMap((g) => g.cases.map((c) => c.name)))];
  const rows = [];
  for (const r of s.tokenizer) {
    for (const n of names) {
      const i = r.impls[n] ?? {};
      rows.push([r.text, n, fmt(i.encode, 2), fmt(i.decode, 2), i.cases ? `${i.right}/${i.cases}` : '–', fmtRatio(ratio(r.impls.textloom?.encode, i.encode)), i.wrong?.length ? i.wrong.join(', ') : '']);
    }
  }
  return ['## Tokenizer (GPT-2 BPE)', '',
    'English (1 MB): Zipf-distributed GPT-2 word tokens in sentences; mixed (128 KB): Latin with diacritics, Greek, Cyrillic, Arabic, Devanagari, CJK, Hangul, emoji with ZWJ and modifiers, unusual white space. Both made with the seeded RNG.', '',
    ...table(['text', 'tokenizer', 'encode MB/s', 'decode MB/s', 'fixture cases right', 'textloom encode / this', 'cases wrong'], rows), '', ...problems(groups), ''];
}

function bundleSection(results, s) {
  const groups = results.suites.bundle?.groups ?? [];
  if (!groups.length) return [];
  const b = s.bundle;
  const rows = b ? b.runtimes.map((r) => [r.name, fmt(b.rawBytes / 1024, 1), fmt(b.gzipBytes / 1024, 1), fmt(r.importMs, 1), fmt(r.instantiateMs, 1), fmt(r.totalMs, 1)]) : [];
  return ['## Core bundle (dist/textloom.js)', '', 'Import and instantiate (a tiny LSTM model: kernels compiled and instantiated) in a fresh process, medians.', '',
    ...table(['runtime', 'raw KiB', 'gzip KiB', 'import ms', 'instantiate ms', 'total ms'], rows), '', ...problems(groups), ''];
}

// How far under its goal a missed target is; a miss of under 1% keeps a decimal so it never reads 0%.
function shortBy(value, goal) {
  const pct = 100 * (1 - value / goal);
  return pct < 1 ? pct.toFixed(1) : fmt(pct);
}

/** The targets, each as a ratio measured in this run. */
export function targets(s) {
  const t = [];
  const add = (name, value, goal, detail = '') => t.push({ name, value, goal, met: Number.isFinite(value) ? value >= goal : null, detail });
  for (const r of s.train.filter((r) => r.threads === 1 && (r.config === 'M' || r.config === 'L'))) {
    const tl = r.impls.textloom?.tokPerSec;
    const id = `train ${r.config} ${r.cell} 1t`;
    const forced = Object.keys(r.impls).find((n) => n.startsWith('pytorch-openblas-') && n !== 'pytorch-openblas-auto');
    if (forced) add(`${id}: textloom / ${forced}`, ratio(tl, r.impls[forced].tokPerSec), 0.5);
    add(`${id}: textloom / pytorch-openblas-auto`, ratio(tl, r.impls['pytorch-openblas-auto']?.tokPerSec), 1.5);
    if (r.config === 'M') add(`${id}: textloom / tfjs-wasm`, ratio(tl, r.impls['tfjs-wasm']?.tokPerSec), 20);
    add(`${id}: textloom GFLOP/s / FMA-loop peak`, ratio(r.impls.textloom?.gflops, s.peakGflops), 0.75);
  }
  for (const r2 of s.train.filter((r) => r.threads === 2 && r.config === 'L')) {
    const r1 = s.train.find((r) => r.threads === 1 && r.config === 'L' && r.cell === r2.cell);
    add(`train L ${r2.cell}: textloom 2 threads / 1 thread`, ratio(r2.impls.textloom?.tokPerSec, r1?.impls.textloom?.tokPerSec), 1.5, 'separate groups');
  }
  for (const r of s.generate) add(`generate M ${r.cell}: textloom / best torch`, ratio(r.impls.textloom?.tokPerSec, r.bestTorch), 1.0);
  for (const r of s.gpt2) {
    for (const [tl, bare, goal] of [['textloom-wasm', 'ort-web', 0.95], ['textloom-native', 'ort-node', 0.9]]) {
      add(`gpt2 ${r.threads}t: ${tl} / bare ${bare} loop`, r.impls[tl]?.sameSessionRatio, goal,
        `same session, one process; ${fmtRatio(gpt2Ratio(r, tl, bare))} across two processes`);
    }
  }
  for (const r of s.tokenizer) {
    const peers = Object.entries(r.impls).filter(([n]) => n !== 'textloom').map(([, i]) => i.encode).filter(Number.isFinite);
    add(`tokenizer ${r.text}: textloom encode / fastest peer`, ratio(r.impls.textloom?.encode, peers.length ? Math.max(...peers) : NaN), 1.0);
    const tl = r.impls.textloom;
    add(`tokenizer ${r.text}: textloom fixture cases right`, tl?.cases ? tl.right / tl.cases : NaN, 1.0);
  }
  if (s.bundle) add('bundle: 150 kB / gzipped size', 150_000 / s.bundle.gzipBytes, 1.0, `${fmt(s.bundle.gzipBytes / 1024, 1)} KiB gzipped`);
  return t;
}

function targetSection(s) {
  const rows = targets(s).map((t) => [t.name, Number.isFinite(t.value) ? t.value.toFixed(2) : '–', `>= ${t.goal}`,
    t.met === null ? 'not measured' : t.met ? 'met' : `missed (${shortBy(t.value, t.goal)}% short)`, t.detail]);
  return ['## Targets (ratios from this run)', '', ...table(['target', 'measured', 'goal', 'result', 'note'], rows), ''];
}

export function renderMarkdown(results) {
  const s = summarize(results);
  const m = results.machine;
  return [
    `Run of ${results.date.slice(0, 10)}${results.quick ? ' (quick)' : ''}. Suites (start UTC, seconds, 1-minute load average at start):`,
    Object.entries(results.suites).map(([name, x]) => `${name} (${x.ranAt.slice(11, 16)}, ${fmt(x.seconds)} s, load ${fmt(x.loadAtStart, 1)}${x.partial ? ', incomplete' : ''})`).join('; ') + '.', '',
    `- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; vector flags: ${m.vectorFlags.join(' ')}`,
    `- Node ${m.node}; ${m.deno ?? 'no deno'}; ${m.python ?? 'no python'}; torch ${m.torch ?? '–'}; system libblas.so.3 -> ${m.systemLibblas ?? '–'}`,
    `- OpenBLAS core type chosen for this CPU: ${m.openblasCore.core ?? 'none'} (${m.openblasCore.why}); load average at start ${m.loadAverage.join(' ')}`,
    '',
    ...targetSection(s), ...trainSection(results, s), ...generateSection(results, s), ...gpt2Section(results, s), ...tokenizerSection(results, s), ...bundleSection(results, s),
  ].join('\n');
}

