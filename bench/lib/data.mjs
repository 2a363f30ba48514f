// Synthetic training data every RNN case reads from the same file: uniform random token ids drawn
// with the project's seeded RNG, laid out time-major (rows, B) like a batchified corpus, so that
// step k trains on rows [kT, kT+T) and predicts rows [kT+1, kT+T+1).
import { mkdirSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export const DATA_STEPS = 16;

export async function ensureTokenFile(path, config, seed) {
  if (existsSync(path)) return path;
  const { Random } = await import('../../build/src/util/random.js');
  const rng = new Random(seed);
  const rows = config.seqLen * DATA_STEPS + 1;
  const ids = new Int32Array(rows * config.batch); // (rows, B)
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(config.vocabSize);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, Buffer.from(ids.buffer));
  renameSync(`${path}.tmp`, path);
  return path;
}
