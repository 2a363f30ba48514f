// The tokenizer benchmark's two texts, made with the project's seeded RNG so that every machine
// encodes the same bytes without downloading a corpus:
// - English: words drawn with Zipf-like frequencies from GPT-2's own word tokens, in sentences with
//   capitals, commas, numbers, contractions, quotes and paragraphs;
// - mixed Unicode: runs of Latin with diacritics, Greek, Cyrillic, Arabic, Devanagari, CJK, Hangul,
//   emoji (with ZWJ sequences and skin tones), combining marks and unusual white space.
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

async function rng(seed) {
  const { Random } = await import('../../build/src/util/random.js');
  return new Random(seed);
}

function englishWords(vocabFile) {
  const vocab = JSON.parse(readFileSync(vocabFile, 'utf8'));
  // 'Ġ' marks a leading space in GPT-2's byte alphabet; lower ids were merged earlier, so are commoner.
  return Object.entries(vocab)
    .filter(([tok]) => /^Ġ[a-z]{3,}$/.test(tok))
    .sort((a, b) => a[1] - b[1])
    .map(([tok]) => tok.slice(1));
}

function zipfPicker(r, n) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 2);
  return () => {
    const u = r.uniform() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export async function makeEnglish(bytes, vocabFile) {
  const r = await rng(7);
  const words = englishWords(vocabFile);
  const pick = zipfPicker(r, words.length);
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const n = 4 + r.int(18);
    const sentence = [];
    for (let i = 0; i < n; i++) {
      let w = words[pick()];
      const roll = r.uniform();
      if (roll < 0.03) w = String(r.int(2100));
      else if (roll < 0.05) w = `${w}'s`;
      else if (roll < 0.06) w = `"${w}"`;
      if (i > 0 && i < n - 1 && r.uniform() < 0.08) w += ',';
      sentence.push(w);
    }
    sentence[0] = sentence[0][0].toUpperCase() + sentence[0].slice(1);
    const end = ['.', '.', '.', '?', '!', ';'][r.int(6)];
    const text = sentence.join(' ') + end + (r.uniform() < 0.15 ? '\n\n' : ' ');
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  return parts.join('');
}

const RANGES = [
  [0x41, 0x7a], [0xc0, 0x17f], [0x391, 0x3c9], [0x410, 0x44f], [0x621, 0x64a], [0x905, 0x939],
  [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x3041, 0x3096], [0x1f600, 0x1f64f], [0x1f300, 0x1f5ff],
];
const SPACES = [' ', ' ', ' ', '\n', '\t', '\u00a0', '\u3000', '\u2009', '\u0085', '  '];

export async function makeMixed(bytes) {
  const r = await rng(11);
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const [lo, hi] = RANGES[r.int(RANGES.length)];
    const n = 1 + r.int(9);
    let word = '';
    for (let i = 0; i < n; i++) {
      word += String.fromCodePoint(lo + r.int(hi - lo + 1));
      const roll = r.uniform();
      if (roll < 0.04) word += '\u0301'; // combining acute
      else if (roll < 0.06) word += '\u{1f3fd}'; // skin tone modifier
      else if (roll < 0.07) word += '\u200d\u2764\ufe0f'; // ZWJ sequence
    }
    const text = word + SPACES[r.int(SPACES.length)];
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  return parts.join('');
}

export async function ensureText(path, make) {
  if (!existsSync(path)) {
    const text = await make();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  return path;
}
