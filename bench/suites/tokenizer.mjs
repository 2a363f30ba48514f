// GPT-2 BPE tokenizers on a 1 MB English-like text and a 128 KB mixed Unicode text, each in its
// own process, interleaved (--quick cuts both to 128 KB).
import { nodeCase } from '../lib/cases.mjs';
import { interleave } from '../lib/interleave.mjs';
import { ensureText, makeEnglish, makeMixed } from '../lib/texts.mjs';

const PEERS = ['js-tiktoken', 'gpt-tokenizer', '@huggingface/tokenizers'];
const MB = 1 << 20;
// Random scripts make every word a new, long byte sequence for BPE: 128 KB already takes the
// slowest peer seconds per pass.
const MIXED_BYTES = 128 << 10;
const QUICK_BYTES = 128 << 10;

export async function tokenizer(ctx) {
  const vocabDir = `${ctx.root}/test/fixtures/gpt2`;
  const texts = {
    english: await ensureText(`${ctx.dataDir}/english-1mb.txt`, () => makeEnglish(MB, `${vocabDir}/vocab.json`)),
    mixed: await ensureText(`${ctx.dataDir}/mixed-128kb.txt`, () => makeMixed(MIXED_BYTES)),
  };
  const groups = [];
  for (const [text, textFile] of Object.entries(texts)) {
    const base = { vocabDir, casesFile: `${vocabDir}/bpe_cases.json`, textFile, maxBytes: ctx.quick ? QUICK_BYTES : Infinity };
    const specs = [nodeCase('textloom', 'tokenizer.mjs', { ...base, impl: 'textloom' })];
    const skips = [];
    for (const peer of PEERS) {
      const st = ctx.peers.npm[peer];
      if (st.ok) specs.push(nodeCase(peer, 'tokenizer.mjs', { ...base, impl: peer }));
      else skips.push({ name: peer, samples: [], skipped: st.reason });
    }
    ctx.log(`tokenizer ${text}: ${specs.map((s) => s.name).join(', ')}`);
    const cases = await interleave(specs, { warmup: 1, rounds: ctx.quick ? 3 : 5, log: ctx.log });
    groups.push({ text, cases: [...cases, ...skips] });
    ctx.progress(groups);
  }
  return groups;
}
