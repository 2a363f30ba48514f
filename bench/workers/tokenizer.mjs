// One GPT-2 BPE tokenizer (textloom's or a peer's) timed on encode and decode of one text, after
// its share of the golden fixture cases is counted. Every peer is configured so that
// '<|endoftext|>' written in text is plain text, as in the fixture.
import { readFileSync } from 'node:fs';
import { requirePeer } from '../lib/peer-import.mjs';
import { serve, workerOptions } from '../lib/serve.mjs';

function hfTokenizerJson(vocabDir) {
  const vocab = JSON.parse(readFileSync(`${vocabDir}/vocab.json`, 'utf8'));
  const merges = readFileSync(`${vocabDir}/merges.txt`, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#version'));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

async function textloomTokenizer(vocabDir) {
  const { BpeTokenizer } = await import('../../build/src/text/bpe.js');
  const tok = BpeTokenizer.fromFiles(readFileSync(`${vocabDir}/vocab.json`, 'utf8'), readFileSync(`${vocabDir}/merges.txt`, 'utf8'));
  return { encode: (t) => tok.encode(t, { specialTokens: 'text' }), decode: (ids) => tok.decode(ids) };
}

const IMPLS = {
  textloom: textloomTokenizer,
  'js-tiktoken': () => {
    const enc = requirePeer('js-tiktoken').getEncoding('gpt2');
    return { encode: (t) => enc.encode(t, [], []), decode: (ids) => enc.decode(ids) };
  },
  'gpt-tokenizer': () => {
    const enc = requirePeer('gpt-tokenizer/encoding/r50k_base');
    const none = new Set();
    return { encode: (t) => enc.encode(t, { allowedSpecial: none, disallowedSpecial: none }), decode: (ids) => enc.decode(ids) };
  },
  '@huggingface/tokenizers': (vocabDir) => {
    const { Tokenizer } = requirePeer('@huggingface/tokenizers');
    const tok = new Tokenizer(hfTokenizerJson(vocabDir), { clean_up_tokenization_spaces: false });
    return {
      encode: (t) => tok.encode(t, { add_special_tokens: false }).ids,
      decode: (ids) => tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    };
  },
};

function sameIds(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Number(a[i]) !== b[i]) return false;
  return true;
}

/** The longest prefix of whole code points within `maxBytes` UTF-8 bytes. */
function truncateUtf8(text, maxBytes) {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = 0;
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

serve(async () => {
  const opts = workerOptions();
  const make = IMPLS[opts.impl];
  if (!make) throw new Error(`unknown tokenizer '${opts.impl}': expected one of ${Object.keys(IMPLS).join(', ')}`);
  const tok = await make(opts.vocabDir);
  const { cases } = JSON.parse(readFileSync(opts.casesFile, 'utf8'));
  let right = 0;
  let roundTrip = 0;
  const wrong = [];
  for (const c of cases) {
    let ids;
    try {
      ids = Array.from(tok.encode(c.text));
    } catch {
      wrong.push(c.name);
      continue;
    }
    if (sameIds(ids, c.ids)) right++;
    else wrong.push(c.name);
    if (tok.decode(ids) === c.text) roundTrip++;
  }
  const text = truncateUtf8(readFileSync(opts.textFile, 'utf8'), opts.maxBytes ?? Infinity);
  const bytes = Buffer.byteLength(text);
  const ids = tok.encode(text);
  return {
    info: {
      fixtureRight: right,
      fixtureCases: cases.length,
      fixtureRoundTrip: roundTrip,
      fixtureWrong: wrong,
      textBytes: bytes,
      textTokens: ids.length,
      textRoundTrip: tok.decode(ids) === text,
    },
    run: async () => {
      const t0 = performance.now();
      const encoded = tok.encode(text);
      const t1 = performance.now();
      tok.decode(encoded);
      const t2 = performance.now();
      return { encodeMBps: bytes / 1e3 / (t1 - t0), decodeMBps: bytes / 1e3 / (t2 - t1) };
    },
  };
});
