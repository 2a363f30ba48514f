/**
 * `textloom gpt2 generate|chat` on the tiny fixture model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGpt2Command } from '../src/cli/gpt2.js';
import type { Output } from '../src/cli/args.js';
import { reference, TINY } from './helpers/gpt2-fixtures.js';

function capture(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    interactive: false,
    out(text: string) { o.stdout += text; },
    err(text: string) { o.stderr += text; },
  };
  return o;
}

async function* lines(...items: string[]): AsyncIterable<string> {
  yield* items;
}

const model = ['--model', TINY, '--no-cache', '--threads', '1'];

test('gpt2 generate prints the greedy continuation; --json gives ids and texts', async () => {
  const prompt = reference.prompts[0]!;
  const o = capture();
  const code = await runGpt2Command(['generate', ...model, '--max-new-tokens', String(reference.max_new_tokens), '--json', prompt.text], o);
  assert.equal(code, 0, o.stderr);
  const out = JSON.parse(o.stdout);
  assert.deepEqual(out.sequences, [prompt.greedy]);
  assert.equal(out.texts[0].startsWith(prompt.text), true);

  const text = capture();
  assert.equal(await runGpt2Command(['generate', ...model, '--max-new-tokens', '12', prompt.text], text), 0);
  assert.equal(text.stdout, out.texts[0] + '\n');
});

test('gpt2 generate takes HF flags: sampling with a seed, several return sequences, beams', async () => {
  const args = ['generate', ...model, '--max-length', '20', '--do-sample', '--no-repeat-ngram-size', '2', '--num-return-sequences', '3', '--seed', '9', '--top-k', '0', '--json', 'Hello'];
  const a = capture();
  const b = capture();
  assert.equal(await runGpt2Command(args, a), 0, a.stderr);
  assert.equal(await runGpt2Command(args, b), 0);
  assert.equal(JSON.parse(a.stdout).texts.length, 3);
  assert.equal(a.stdout, b.stdout);
  const beams = capture();
  const prompt = reference.prompts[2]!;
  assert.equal(await runGpt2Command(['generate', ...model, '--max-new-tokens', '12', '--num-beams', '3', '--json', prompt.text], beams), 0, beams.stderr);
  assert.deepEqual(JSON.parse(beams.stdout).sequences, [prompt.beam_3[0]]);
});

test('gpt2 usage mistakes exit 2 with a message; model errors exit 1', async () => {
  // Flags checked before the model loads fail the same with a model that would not load.
  const unloadable = ['--model', join(TINY, 'missing')];
  const cases: [string[], number, RegExp][] = [
    [['generate', 'Hello'], 2, /--model is required/],
    [['generate', ...model], 2, /give the prompt text/],
    [['generate', ...model, '--top-k', 'many', 'Hello'], 2, /--top-k must be a non-negative integer, got "many"/],
    [['generate', ...model, '--dtype', 'fp64', 'Hello'], 2, /--dtype must be one of fp32, fp16/],
    [['generate', ...model, '--frobnicate', 'Hello'], 2, /frobnicate/],
    [['translate'], 2, /unknown gpt2 command "translate"/],
    [['chat', ...model, '--max-length', '60'], 2, /use --max-new-tokens N \(default 40\)/],
    [['chat', ...model, '--num-return-sequences', '2'], 2, /^textloom gpt2: --num-return-sequences must be 1: a conversation keeps one reply per turn/],
    [['generate', ...model, '--top-k', '5', 'Hello'], 2, /: --top-k 5 only applies when sampling; set --do-sample or remove --top-k\n/],
    [['generate', ...model, '--max-length', '2', 'Hello there, how are you'], 2, /at or over --max-length 2 \(which counts the prompt\); raise --max-length or give --max-new-tokens\n/],
    [['generate', ...unloadable, '--min-new-tokens', '10', '--max-new-tokens', '3', 'Hello'], 2, /: --min-new-tokens \(10\) must be <= --max-new-tokens \(3\)\n/],
    [['generate', ...unloadable, '--do-sample', '--top-p', '2', 'Hello'], 2, /: --top-p must be a number in \(0, 1\], got 2\n/],
    [['generate', ...unloadable, '--do-sample', '--num-beams', '2', 'Hello'], 2, /\(--num-beams 2 with --do-sample\) is not implemented; use --num-beams 1 to sample or no --do-sample for beam search/],
    [['generate', ...unloadable, '--hub-url', 'notaurl', 'Hello'], 2, /--hub-url must be an http\(s\) URL such as https:\/\/huggingface\.co, got "notaurl"/],
    [['generate', '--model', 'ftp://x/gpt2', 'Hello'], 1, /model source "ftp:\/\/x\/gpt2" is not a valid http\(s\) URL/],
    [['generate', '--model', join(TINY, 'missing'), 'Hello'], 1, /is neither an existing folder/],
  ];
  for (const [argv, code, message] of cases) {
    const o = capture();
    assert.equal(await runGpt2Command(argv, o), code, argv.join(' '));
    assert.match(o.stderr, message);
    if (code === 2) assert.match(o.stderr, /\n\(textloom gpt2 --help shows the options\)\n$/, 'worded as the other commands word it');
  }
});

test('gpt2 chat answers each input line and saves its history', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'textloom-chat-'));
  try {
    const history = join(dir, 'history.json');
    const o = capture();
    const args = ['chat', ...model, '--preamble', "Hello, I'm an AI model. ", '--max-new-tokens', '8', '--history', history, '--json'];
    assert.equal(await runGpt2Command(args, o, lines('Hello, how are you?', '', 'Fine.')), 0, o.stderr);
    const replies = o.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(replies.length, 2);
    const saved = JSON.parse(await readFile(history, 'utf8'));
    assert.deepEqual(saved.turns.map((t: { role: string }) => t.role), ['user', 'model', 'user', 'model']);
    assert.equal(saved.turns[1].text, replies[0].text);
    // A second session continues the saved conversation.
    const again = capture();
    assert.equal(await runGpt2Command(args, again, lines('More?')), 0, again.stderr);
    assert.equal(JSON.parse(await readFile(history, 'utf8')).turns.length, 6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('gpt2 chat answers a message too long for the context with an empty line and the reason, and goes on', async () => {
  const long = 'word '.repeat(200);
  const text = capture();
  assert.equal(await runGpt2Command(['chat', ...model, '--max-new-tokens', '8'], text, lines('Hello', long, 'Fine.')), 0, text.stderr);
  const replies = text.stdout.split('\n');
  assert.deepEqual([replies.length, replies[1], replies[3]], [4, '', ''], JSON.stringify(text.stdout));
  assert.ok(replies[0] !== '' && replies[2] !== '');
  assert.match(text.stderr, /^textloom gpt2: the preamble \(0 tokens\) and this turn \(201 tokens\) leave no room for 8 new tokens in the model's context of 128; shorten them or lower --max-new-tokens\n$/);
  const json = capture();
  assert.equal(await runGpt2Command(['chat', ...model, '--max-new-tokens', '8', '--json'], json, lines(long, 'Fine.')), 0, json.stderr);
  const [refused, answered] = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.match(refused.error, /leave no room for 8 new tokens/);
  assert.equal(typeof answered.text, 'string');
});

test('gpt2 chat checks its --history file before the model loads: not a saved chat, or a folder that cannot be written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'textloom-chat-'));
  try {
    const notJson = join(dir, 'notes.json');
    await writeFile(notJson, 'not json\n');
    const foreign = join(dir, 'foreign.json');
    await writeFile(foreign, '{"x": 1}');
    const cases: [string, RegExp][] = [
      [notJson, /^textloom gpt2: --history .*notes\.json is not a saved chat \(not JSON: .*\); remove it or pass another file\n$/],
      [foreign, /^textloom gpt2: --history .*foreign\.json: chat: cannot import history: format is undefined/],
      [join(dir, 'no-such-folder', 'history.json'), /^textloom gpt2: cannot write --history .*history\.json: the folder .*no-such-folder does not exist or is not writable/],
    ];
    for (const [history, message] of cases) {
      const o = capture();
      assert.equal(await runGpt2Command(['chat', ...model, '--max-new-tokens', '4', '--history', history], o, lines('Hello')), 1, history);
      assert.match(o.stderr, message);
      assert.equal(o.stdout, '', 'no reply was given');
    }
    assert.equal(await readFile(notJson, 'utf8'), 'not json\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('textloom gpt2 through the main dispatcher writes to the output it is given', async () => {
  const { main } = await import('../src/cli/main.js');
  const prompt = reference.prompts[0]!;
  const o = capture();
  const code = await main(['gpt2', 'generate', ...model, '--max-new-tokens', String(reference.max_new_tokens), '--json', prompt.text], o);
  assert.equal(code, 0, o.stderr);
  assert.deepEqual(JSON.parse(o.stdout).sequences, [prompt.greedy]);
});
