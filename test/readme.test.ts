// The README's examples, run exactly as written: its ```js programs and its `npx textloom` commands run
// in a folder where 'textloom' is this package, notes.txt is the start of the built-in corpus and
// ./gpt2 is the tiny GPT-2 fixture. A README example that stops working fails here.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, tokenizerFromJSON } from '../src/index.js';
import { TINY } from './helpers/gpt2-fixtures.js';
import { repoRoot } from './runtimes/paths.js';

const root = fileURLToPath(repoRoot);
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('npx textloom'));

const folder = mkdtempSync(join(tmpdir(), 'textloom-readme-'));
mkdirSync(join(folder, 'node_modules'));
symlinkSync(root, join(folder, 'node_modules', 'textloom'), 'dir');
symlinkSync(TINY, join(folder, 'gpt2'), 'dir');
writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module' }));
writeFileSync(join(folder, 'notes.txt'), readFileSync(join(root, 'corpus', 'pride-and-prejudice-volume-1.txt'), 'utf8').slice(0, 20_000));
after(() => rmSync(folder, { recursive: true, force: true }));

/** Runs one README block as a module in the folder; returns what it printed. */
function run(index: number): string {
  const file = join(folder, `block-${index}.mjs`);
  writeFileSync(file, blocks[index]!);
  return execFileSync(process.execPath, [file], { cwd: folder, encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
}

test('the README has the two programs this test knows: training an RNN, and GPT-2', () => {
  assert.equal(blocks.length, 2);
  assert.match(blocks[0]!, /RNNModel\.create/);
  assert.match(blocks[1]!, /loadGpt2/);
});

test('the README\'s RNN program trains, generates and saves a checkpoint the CLI and loadCheckpoint read', async () => {
  const lines = run(0).trimEnd().split('\n');
  const generated = lines.at(-1)!;
  assert.ok(generated.split(' ').length >= 20, `generated: ${generated}`);
  assert.ok(lines.some((l) => /epoch: 3/.test(l)), 'no progress reported for the third epoch');
  const saved = await loadCheckpoint(join(folder, 'notes.safetensors'));
  assert.equal(saved.config.cell, 'lstm');
  assert.equal(tokenizerFromJSON(saved.tokenizer).vocabSize, saved.config.vocabSize);
  const cli = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'generate', 'notes.safetensors', 'it is', '-n', '5', '--json'], {
    cwd: folder,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  assert.match((JSON.parse(cli) as { text: string }).text, /^\S+( \S+){4}$/, cli);
});

test('the README\'s GPT-2 program loads the model, generates and chats', () => {
  const reply = run(1).trim();
  assert.ok(reply.length > 0, 'the chat printed nothing');
});

test('the README\'s commands run: train, generate, chat, info and both gpt2 commands', () => {
  assert.equal(commands.length, 1);
  // `npx textloom` is the installed command; here the built one, with chat's input at its end.
  const script = `set -e\ntextloom() { "${process.execPath}" "${join(root, 'dist', 'cli.js')}" "$@" < /dev/null; }\n${commands[0]!.replaceAll('npx textloom', 'textloom')}`;
  const out = execFileSync('bash', ['-c', script], { cwd: folder, encoding: 'utf8', stdio: 'pipe', timeout: 300_000 });
  assert.match(out, /^it is \S+/m, 'generate printed no text after its seed');
  assert.match(out, /^model: +GRU \(vocab \d+, embed \d+, hidden \d+, 2 layers\)/m, 'info did not describe the trained model');
  assert.match(out, /^How are you feeling today\?\S* \S+/m, 'gpt2 generate printed no continuation');
});
