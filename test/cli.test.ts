import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { chatCommand } from '../src/cli/chat.js';
import { ANNOUNCE_TOKENIZING_CHARS } from '../src/cli/train.js';
import type { Output } from '../src/cli/args.js';
import { progressReporter, formatDuration, PLAIN_STEP_MS } from '../src/cli/progress.js';
import { loadCheckpoint, modelContent, saveCheckpoint } from '../src/rnn/checkpoint.js';
import { CharTokenizer } from '../src/text/index.js';
import { biasedCharModel } from './helpers/rnn-models.js';
import { RNNModel } from '../src/rnn/model.js';
import { DENO_PATH } from './runtimes/deno.js';

interface Captured extends Output {
  stdout: string;
  stderr: string;
}

function capture(interactive = false): Captured {
  const c: Captured = {
    stdout: '',
    stderr: '',
    interactive,
    out: (text) => void (c.stdout += text),
    err: (text) => void (c.stderr += text),
  };
  return c;
}

async function run(...argv: string[]): Promise<Captured & { code: number }> {
  const output = capture();
  const code = await main(argv, output);
  return Object.assign(output, { code });
}

const dir = mkdtempSync(join(tmpdir(), 'textloom-cli-'));
const corpusPath = join(dir, 'corpus.txt');
writeFileSync(corpusPath, 'the cat sat on the mat and the dog sat on the log. '.repeat(60));
const tiny = ['--embed', '8', '--hidden', '16', '--seq', '8', '--batch', '4', '--min-count', '1', '--seed', '1'];

test('every command has --help; no command or an unknown one is a usage error', async () => {
  for (const command of ['train', 'generate', 'chat', 'info', 'demo']) {
    const r = await run(command, '--help');
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`^Usage: textloom ${command}`), command);
  }
  assert.match((await run('--help')).stdout, /Commands:\n {2}demo/);
  assert.match((await run('--help')).stdout, /\n {2}train \[corpus\.\.\.\] \[-o FILE\] {2}train/, '-o is optional (default model.safetensors)');
  const generateHelp = (await run('generate', '--help')).stdout;
  assert.match(generateHelp, /--top-p P .*\n {30}\(sampling; default 1\)\n/);
  assert.match(generateHelp, /--repetition-penalty R .*\(default 1 = off\)\n/);
  assert.match(generateHelp, /--no-repeat-ngram N {5}never repeat a sequence of N tokens \(default 0 = off\)\n/);
  assert.equal((await run()).code, 2);
  const unknown = await run('trian');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "trian"; the commands are train, generate, chat, info, demo, gpt2/);
});

test('bad flags and values exit 2 with a message naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['train', '--bogus'], /textloom train: unknown option --bogus\n/],
    [['train', '-o'], /textloom train: -o, --output needs a value\n/],
    [['train', '--json=yes'], /textloom train: --json takes no value\n/],
    [['generate', 'm.safetensors', 'hi', '--stop', '-x'], /textloom generate: --stop needs a value \(one that starts with a dash is written --stop=-VALUE\)\n/],
    [['generate', 'm.safetensors', 'hi', '--stop='], /textloom generate: --stop needs a word, got an empty string\n/],
    [['train', '--hidden', '0'], /--hidden must be a positive integer, got "0"/],
    [['train', '--lr', 'fast'], /--lr must be a positive number, got "fast"/],
    [['train', '--cell', 'transformer'], /--cell must be one of rnn, lstm, gru, got "transformer"/],
    [['train', '--tokenizer', 'bpe', '--bpe', 'gpt2', '--vocab-size', '100'], /--vocab-size only apply to the word and char tokenizers; with --tokenizer bpe the vocabulary is the one in --bpe DIR/],
    [['train', '--validation', '1'], /--validation must be a fraction in \[0, 1\), got "1"/],
    [['train', '--tokenizer', 'bpe'], /--tokenizer bpe needs --bpe DIR/],
    [['train', '--seed', '4294967296'], /--seed must be an integer from 0 to 4294967295, got "4294967296"/],
    [['train', '--validation', '0', '--patience', '2'], /--patience watches the validation loss/],
    [['train', '--threads', '65'], /--threads must be at most 64, got 65/],
    [['train', '--vocab-size', '1'], /--vocab-size counts <unk> too, so it must be at least 2, got 1/],
    [['train', '--lr', '5', '--weight-decay', '0.5'], /--lr x --weight-decay must be below 1 \(each step scales the weights by 1 minus their product\), got 5 x 0.5/],
    [['train', '--resume', 'm.safetensors', '--hidden', '8', '--lr', '0.1'], /--resume continues a run with the settings it was saved with; leave out --hidden, --lr/],
    [['demo', 'notes.txt'], /demo trains on the built-in corpus and takes no arguments/],
    [['generate', 'm.safetensors'], /needs a model file and a seed text/],
    [['generate', 'm.safetensors', 'hi', '--temperature', '0.5'], /only apply when sampling; add --sample/],
    [['generate', 'm.safetensors', 'hi', '--sample', '--temperature', '0'], /--temperature must be a positive number, got "0"/],
    [['generate', 'm.safetensors', 'hi', '--sample', '--top-p', '1.5'], /--top-p must be in \(0, 1\], got 1.5/],
    [['info'], /needs exactly one model file, got 0 arguments/],
    [['train', '--clip', '-1'], /--clip must be a non-negative number, got "-1"/],
    [['train', '--lr', '-1'], /--lr must be a positive number, got "-1"/],
    [['train', '-e', '-2'], /--epochs must be a positive integer, got "-2"/],
    [['train', '--seed', '-3'], /--seed must be an integer from 0 to 4294967295, got "-3"/],
    [['generate', 'm.safetensors', 'hi', '--sample', '--temperature', '-0.5'], /--temperature must be a positive number, got "-0.5"/],
    [['generate', 'm.safetensors', 'hi', '--sample', '-t', '-.5'], /--temperature must be a positive number, got "-.5"/],
    [['chat', 'm.safetensors', '--seed', '-3'], /--seed must be an integer from 0 to 4294967295, got "-3"/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, pattern, argv.join(' '));
    assert.match(r.stderr, /--help shows the options/);
  }
});

test('train writes a checkpoint; info, generate and chat use it', async () => {
  const model = join(dir, 'model.safetensors');
  const trained = await run('train', corpusPath, '-o', model, '--epochs', '2', '--json', ...tiny);
  assert.equal(trained.code, 0, trained.stderr);
  const events = trained.stdout.trim().split('\n').map((line) => JSON.parse(line));
  const result = events[events.length - 1];
  assert.equal(result.type, 'result');
  assert.equal(result.reason, 'completed');
  assert.equal(result.output, model);
  assert.ok(result.valPerplexity > 1 && result.valPerplexity < 11, `validation perplexity ${result.valPerplexity}`);
  assert.equal(events.filter((e) => e.type === 'epoch').length, 2);
  assert.ok(events.some((e) => e.type === 'step' && e.tokensPerSecond > 0));

  const info = await run('info', model, '--json');
  assert.equal(info.code, 0);
  const described = JSON.parse(info.stdout);
  assert.deepEqual(described.config, { cell: 'lstm', vocabSize: 9, embedSize: 8, hiddenSize: 16, numLayers: 1 });
  assert.deepEqual(described.tokenizer, { kind: 'word', vocabSize: 9 });
  assert.equal(described.format, 'textloom.rnn v1');
  assert.equal(described.corpus, corpusPath);
  assert.equal(described.training, null);
  assert.match((await run('info', model)).stdout, /model: {6}LSTM \(vocab 9, embed 8, hidden 16, 1 layer\), 1,889 parameters/);

  const generated = await run('generate', model, 'the cat sat', '-n', '6');
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(generated.stdout, /^the cat sat( \w+){6}\n$/);
  const asJson = JSON.parse((await run('generate', model, 'the', 'zebra', '--json', '-n', '4', '--sample', '--seed', '3')).stdout);
  assert.equal(asJson.ids.length, 4);
  assert.deepEqual(asJson.warnings, ['not in the vocabulary, read as <unk>: "zebra"']);
  const unknownOnly = await run('generate', model, 'zebra');
  assert.equal(unknownOnly.code, 2);
  assert.equal(unknownOnly.stdout, '', 'a failed run prints no seed');
  const generateBadStop = await run('generate', model, 'the cat', '--stop', 'zebra');
  assert.equal(generateBadStop.code, 2);
  assert.equal(generateBadStop.stdout, '');
  assert.match(generateBadStop.stderr, /stop "zebra" is not in the model's vocabulary/);
  assert.match(unknownOnly.stderr, /none of the seed's words are in the model's vocabulary/);

  const output = capture();
  const code = await chatCommand([model, '-n', '3'], output, Readable.from(['the cat\n', 'zebra\n', '/reset\n', 'the dog\n', '/quit\n', 'never read\n']));
  assert.equal(code, 0);
  const replies = output.stdout.split('\n');
  assert.equal(replies.length, 4, 'one line for each message, the refused one empty');
  assert.match(replies[0]!, /^\w+ \w+ \w+$/);
  assert.equal(replies[1], '');
  assert.match(replies[2]!, /^\w+ \w+ \w+$/);
  assert.equal(replies[3], '');
  assert.match(output.stderr, /none of the message's words are in the model's vocabulary[\s\S]*conversation reset/);
  const badStop = await run('chat', model, '--stop', 'zebra');
  assert.equal(badStop.code, 2, 'a bad option fails once, before the first turn');
  assert.match(badStop.stderr, /stop "zebra" is not in the model's vocabulary/);
});

test('chat and generate: a reply that fails part way ends its line; Ctrl-D at the prompt ends the prompt\'s line', async () => {
  // Output biases that rank "a" above "b": greedy writes "a" until --no-repeat-ngram
  // bans it, then "b", then has nothing left, so every reply to "b" is "aabb" and then fails.
  const tokenizer = CharTokenizer.fromCorpus('ab');
  const model = await biasedCharModel(tokenizer, { a: 10, b: 5 });
  const path = join(dir, 'ab.safetensors');
  await saveCheckpoint(path, modelContent(model, model.config, { tokenizer: tokenizer.toJSON() }));
  model.dispose();

  const piped = capture();
  assert.equal(await chatCommand([path, '--no-repeat-ngram', '2'], piped, Readable.from(['b\n', 'b\n'])), 0);
  assert.equal(piped.stdout, 'aabb\naabb\n');
  const noneLeft = 'after 4 new tokens no token is left to choose: --no-repeat-ngram 2 bans every token that would repeat a sequence ' +
    'of 2 tokens, and <unk> is never generated; raise --no-repeat-ngram or leave it off\n';
  assert.equal(piped.stderr, noneLeft.repeat(2), 'no batch row, and no option the command has no flag for');

  const generated = await run('generate', path, 'b', '--no-repeat-ngram', '2');
  assert.equal(generated.code, 1);
  assert.equal(generated.stdout, 'baabb\n', 'the text generated before the failure ends its line');
  assert.equal(generated.stderr, `textloom generate: ${noneLeft}`);

  const terminal = capture(true);
  const keyboard = Object.assign(Readable.from(['a\n']), { isTTY: true });
  assert.equal(await chatCommand([path, '-n', '2'], terminal, keyboard), 0);
  assert.equal(terminal.stdout, '> aa\n> \n');
  // On a terminal the reason of a refused message stands between prompts, without an empty reply line.
  const refused = capture(true);
  assert.equal(await chatCommand([path, '-n', '2'], refused, Object.assign(Readable.from(['z\n']), { isTTY: true })), 0);
  assert.equal(refused.stdout, '> > \n');
  assert.match(refused.stderr, /\nnone of the message's chars are in the model's vocabulary \("z"\)/);
  const quit = capture(true);
  await chatCommand([path, '-n', '2'], quit, Object.assign(Readable.from(['/quit\n']), { isTTY: true }));
  assert.equal(quit.stdout, '> ', 'after /quit the Enter has ended the line');
});

test('train --threads 2 says so and trains the same weights as one thread', async () => {
  const one = join(dir, 'one-thread.safetensors');
  const two = join(dir, 'two-threads.safetensors');
  const args = ['--epochs', '1', ...tiny, '--hidden', '64', '--embed', '32'];
  assert.equal((await run('train', corpusPath, '-o', one, ...args)).code, 0);
  const threaded = await run('train', corpusPath, '-o', two, '--threads', '2', ...args);
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.match(threaded.stderr, /SIMD kernels on 2 threads/);
  const [a, b] = await Promise.all([loadCheckpoint(one), loadCheckpoint(two)]);
  for (const [name, t] of a.weights) assert.deepEqual(b.weights.get(name)!.data, t.data, name);
  assert.match((await run('train', corpusPath, '--threads', '0')).stderr, /--threads must be a positive integer, got "0"/);
});

test('info on a file without training state does not call its training finished', async () => {
  const pytorch = fileURLToPath(new URL('../../test/fixtures/rnn/lstm_tiny/final.safetensors', import.meta.url));
  const r = await run('info', pytorch);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /format: {5}PyTorch state_dict/);
  assert.match(r.stdout, /training: {3}not resumable \(no optimizer state saved\)\n$/);
});

test('a resumable checkpoint records where training stopped', async () => {
  const model = join(dir, 'resumable.safetensors');
  const r = await run('train', corpusPath, '-o', model, '--epochs', '1', '--resumable', '--validation', '0.3', ...tiny);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /saved .*resumable\.safetensors \(resumable/);
  const info = JSON.parse((await run('info', model, '--json')).stdout);
  assert.equal(info.training.epoch, 2);
  assert.equal(info.training.epochs, 1);
  assert.equal(info.training.finished, true);
  assert.match((await run('info', model)).stdout, /training: {3}finished all 1 epochs \(step \d+\); --resume with a larger --epochs continues it/);
  assert.ok(info.training.step > 0 && info.training.optimizerStep === info.training.step);
  const again = await run('train', corpusPath, '--resume', model, '-o', join(dir, 'more.safetensors'));
  assert.equal(again.code, 1);
  assert.match(again.stderr, /finished all 1 epochs of its run; pass --epochs with a larger total/);
  const otherSplit = await run('train', corpusPath, '--resume', model, '--epochs', '2', '--validation', '0.2');
  assert.equal(otherSplit.code, 2);
  assert.match(otherSplit.stderr, /holds out 0\.3 of its corpus for validation and continues on that split; leave out --validation/);
  const more = join(dir, 'more.safetensors');
  const further = await run('train', corpusPath, '--resume', model, '--epochs', '2', '-o', more, '--resumable', '--json');
  assert.equal(further.code, 0, further.stderr);
  const epochs = further.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'epoch');
  assert.deepEqual(epochs.map((e) => e.epoch), [2]);
  assert.equal(JSON.parse((await run('info', more, '--json')).stdout).training.step, 2 * info.training.step);
  const other = join(dir, 'other.txt');
  writeFileSync(other, 'a completely different text about birds and trees. '.repeat(50));
  const wrong = await run('train', other, '--resume', model);
  assert.match(wrong.stderr, /was trained on a different corpus \(.*corpus\.txt\) \(\d+:[0-9a-f]{8} tokens:hash, now \d+:[0-9a-f]{8}\); pass the same corpus files/);
  // Without corpus arguments the built-in corpus is read; the message says so and names the run's corpus.
  const noCorpus = await run('train', '--resume', model);
  assert.equal(noCorpus.code, 1);
  assert.match(noCorpus.stderr, /trained on a different corpus \(.*corpus\.txt\) .*; no corpus files were given, so the built-in corpus was read; pass the same corpus files: textloom train FILE\.\.\. --resume /);
});

test('bad files exit 1 with a message; a failed run leaves the previous checkpoint', async () => {
  const model = join(dir, 'keep.safetensors');
  assert.equal((await run('train', corpusPath, '-o', model, '--epochs', '1', ...tiny)).code, 0);
  const before = readFileSync(model);
  const binary = join(dir, 'image.png');
  writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0xff, 0xfe]));
  const cases: [string[], RegExp][] = [
    [['train', join(dir, 'missing.txt'), '-o', model], /missing\.txt: no such file or directory/],
    [['train', binary, '-o', model], /image\.png is not text/],
    [['train', join(dir, 'empty-dir-does-not-exist'), '-o', model], /no such file/],
    [['train', corpusPath, '-o', model, '--batch', '500', '--seq', '500'], /one batch needs --batch 500 x \(--seq 500 \+ 1\)/],
    // Before, this trained to a perplexity of Infinity, reported it as progress and saved over the good model.
    [['train', corpusPath, '-o', model, '--lr', '1e3', ...tiny], /textloom train: the loss became \d+\.\d+ \(perplexity Infinity\) at epoch 1, step \d+ .*: training diverged; lower --lr \(now 1000\) or --clip \(now 1\)\n/],
    [['info', corpusPath], /is not a readable checkpoint/],
    [['generate', binary, 'the'], /is not a readable checkpoint: .*shorter than the 8-byte header|not a readable checkpoint/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.stderr, pattern, argv.join(' '));
  }
  assert.deepEqual(readFileSync(model), before);
  writeFileSync(join(dir, 'empty.txt'), ' \n ');
  assert.match((await run('train', join(dir, 'empty.txt'))).stderr, /empty\.txt is empty/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('train refuses an output it could not write or that would replace the corpus, before training', async () => {
  const corpus = readFileSync(corpusPath);
  symlinkSync('.', join(dir, 'this-folder'));
  symlinkSync(corpusPath, join(dir, 'corpus-link.safetensors'));
  const cases: [string[], number, RegExp][] = [
    [['-o', corpusPath], 2, /is a corpus file: the checkpoint would replace it/],
    // The same file by another path: through a linked folder, and a link to it.
    [['-o', join(dir, 'this-folder', 'corpus.txt')], 2, /this-folder\/corpus\.txt is a corpus file \(.*corpus\.txt\): the checkpoint would replace it/],
    [['-o', join(dir, 'corpus-link.safetensors')], 2, /corpus-link\.safetensors is a corpus file \(.*corpus\.txt\): the checkpoint would replace it/],
    [['-o', dir], 2, /is a directory; give a file path such as/],
    [['-o', join(dir, 'models') + '/'], 2, /models\/ ends in a slash, so it names a directory; give a file path such as .*models\/model\.safetensors/],
    [['-o', ''], 2, /-o needs a file path/],
    [['-o', join(dir, 'no-such-folder', 'model.safetensors')], 1, /the folder .*no-such-folder does not exist or is not writable/],
    [[corpusPath, '-o', join(dir, 'twice.safetensors')], 2, /is given twice/],
  ];
  for (const [extra, code, pattern] of cases) {
    const r = await run('train', corpusPath, ...extra, ...tiny);
    assert.equal(r.code, code, extra.join(' '));
    assert.match(r.stderr, pattern, extra.join(' '));
    assert.doesNotMatch(r.stderr, /epoch/, 'nothing was trained');
  }
  assert.deepEqual(readFileSync(corpusPath), corpus);
  const tiny1 = await run('train', corpusPath, '-o', join(dir, 'tiny-validation.safetensors'), '--epochs', '1', '--validation', '0.0001', ...tiny);
  assert.equal(tiny1.code, 0, tiny1.stderr);
  assert.match(tiny1.stderr, /warning: a validation fraction of 0.0001 holds out none of \d+ tokens/);
});

test('a corpus directory stands for its .txt files (any case, not subfolders); one without any is refused', async () => {
  const books = join(dir, 'books');
  mkdirSync(join(books, 'more'), { recursive: true });
  writeFileSync(join(books, 'a.TXT'), 'alpha sat on the mat and alpha ran '.repeat(30));
  writeFileSync(join(books, 'b.txt'), 'beta sat on the log and beta ran '.repeat(30));
  writeFileSync(join(books, 'notes.md'), 'zebra '.repeat(30));
  writeFileSync(join(books, 'more', 'c.txt'), 'gamma '.repeat(30));
  // A link to a text kept elsewhere is one of the folder's texts; a link to a folder is not.
  writeFileSync(join(dir, 'kept-elsewhere.txt'), 'delta sat on the mat and delta ran '.repeat(30));
  symlinkSync(join(dir, 'kept-elsewhere.txt'), join(books, 'd.txt'));
  symlinkSync(join(books, 'more'), join(books, 'more.txt'));
  const model = join(dir, 'books.safetensors');
  const trained = await run('train', `${books}/`, '-o', model, '--epochs', '1', ...tiny);
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal(JSON.parse((await run('info', model, '--json')).stdout).corpus, '3 files');
  const generated = JSON.parse((await run('generate', model, 'alpha beta gamma delta zebra', '-n', '1', '--json')).stdout);
  assert.deepEqual(generated.warnings, ['not in the vocabulary, read as <unk>: "gamma", "zebra"']);
  const noText = join(dir, 'no-text');
  mkdirSync(join(noText, 'sub'), { recursive: true });
  writeFileSync(join(noText, 'sub', 'c.txt'), 'gamma '.repeat(30));
  const none = await run('train', noText, '-o', join(dir, 'none.safetensors'), ...tiny);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /has no \.txt files \(subfolders are not searched\)/);
});

test('the built command runs as a process with the documented exit codes', () => {
  const script = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const help = spawnSync(process.execPath, [script, 'info', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: textloom info/);
  assert.equal(spawnSync(process.execPath, [script, 'train', '--layers', '-1'], { encoding: 'utf8' }).status, 2);
  const missing = spawnSync(process.execPath, [script, 'info', join(dir, 'nope.safetensors')], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.safetensors: no such file/);
});

test('library errors name the flags the user typed, not the library\'s options', async () => {
  const short = await run('train', corpusPath, '-o', join(dir, 'short.safetensors'), ...tiny, '--batch', '64', '--seq', '64');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /^textloom train: the training split has \d+ tokens but one batch needs --batch 64 x \(--seq 64 \+ 1\) = 4160; use a longer text or a smaller --batch\/--seq\n/m);
  const huge = await run('train', corpusPath, '-o', join(dir, 'huge.safetensors'), ...tiny, '--hidden', '60000');
  assert.equal(huge.code, 1);
  assert.match(huge.stderr, /^textloom train: the weights of \d+ parameters \(--vocab-size 9, --hidden 60000, --layers 1, --embed 8\), with a packed copy of the recurrent weights, need [\d.]+ MiB of WASM memory, but wasm32 memory is limited to 4 GiB \(4294967296 bytes\)\. Shrink --hidden, --embed or --layers: the recurrent layers alone pass the limit\.\n$/);
  const rare = await run('train', corpusPath, '-o', join(dir, 'rare.safetensors'), ...tiny, '--min-count', '1000');
  assert.equal(rare.code, 1);
  assert.match(rare.stderr, /^textloom train: --min-count 1000 is above the count of the most frequent token in this corpus \("the", 240 times\), so the vocabulary would hold only <unk>; use --min-count <= 240 or a longer corpus\n$/);
  for (const r of [short, huge, rare]) assert.doesNotMatch(r.stderr, /batchSize|seqLen|hiddenSize|vocabSize|minCount|RNNModel|WordTokenizer/);
});

test('chat in a pipe answers each message on its own line, a refused one with an empty line (Node and Deno)', async () => {
  const model = join(dir, 'pipe-chat.safetensors');
  assert.equal((await run('train', corpusPath, '-o', model, '--epochs', '1', ...tiny)).code, 0);
  const input = 'the cat\nzebra\nthe dog\n';
  const bundle = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const runs = [
    spawnSync(process.execPath, [bundle, 'chat', model, '-n', '2'], { input, encoding: 'utf8' }),
    spawnSync(DENO_PATH, ['run', '--allow-read', '--allow-env', '--allow-sys', bundle, 'chat', model, '-n', '2'], { input, encoding: 'utf8' }),
  ];
  for (const [i, r] of runs.entries()) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\w+ \w+\n\n\w+ \w+\n$/, ['node', 'deno'][i]);
    assert.equal(r.stderr, 'none of the message\'s words are in the model\'s vocabulary ("zebra"); use words from the training text\n');
  }
});

test('progress: a bar redrawn in place on a terminal, one line per epoch, JSON lines with --json', () => {
  const terminal = capture(true);
  const reporter = progressReporter(terminal, false);
  const step = {
    type: 'step' as const, epoch: 1, epochs: 2, step: 10, stepsPerEpoch: 10, globalStep: 10, totalSteps: 20,
    loss: 2, perplexity: Math.exp(2), averageLoss: 2.5, gradNorm: 1, lr: 0.01, tokensPerSecond: 12345, elapsedMs: 5000, etaMs: 65000,
  };
  reporter.onProgress(step);
  reporter.onProgress({ type: 'epoch', epoch: 1, epochs: 2, trainLoss: 2.5, trainPerplexity: Math.exp(2.5), valLoss: 3, valPerplexity: Math.exp(3), tokensPerSecond: 12345, elapsedMs: 5000 });
  reporter.finish();
  assert.equal(
    terminal.stderr,
    '\r\x1b[2Kepoch 1/2 [############............]  50% loss 2.500 ppl 12.2 12.3k tok/s ETA 01:05' +
      '\r\x1b[2Kepoch 1/2: train loss 2.500 ppl 12.2, validation loss 3.000 ppl 20.1, 12.3k tok/s, 00:05\n',
  );
  const piped = capture();
  progressReporter(piped, false).onProgress(step);
  assert.equal(piped.stderr, '');
  // In a pipe, a long epoch still shows a step line each minute (none at an epoch's end: its line follows).
  const realNow = Date.now;
  let clock = realNow();
  Date.now = () => clock;
  try {
    const log = capture();
    const logReporter = progressReporter(log, false);
    const midEpoch = { ...step, step: 4, globalStep: 4 };
    logReporter.onProgress(midEpoch);
    clock += PLAIN_STEP_MS;
    logReporter.onProgress(midEpoch);
    logReporter.onProgress(midEpoch);
    assert.equal(log.stderr, 'epoch 1/2, step 4/10 (20% of the run): loss 2.500 ppl 12.2, 12.3k tok/s, ETA 01:05\n');
    clock += PLAIN_STEP_MS;
    logReporter.onProgress(step);
    assert.equal(log.stderr.split('\n').length, 2, 'no step line at the end of an epoch');
  } finally {
    Date.now = realNow;
  }
  const json = capture();
  progressReporter(json, true).onProgress(step);
  assert.deepEqual(JSON.parse(json.stdout), step);
  assert.equal(formatDuration(3723000), '1:02:03');
});

test('train --tokenizer bpe reads GPT-2 vocabulary files and stores the tokenizer', async () => {
  const bpeDir = fileURLToPath(new URL('../../test/fixtures/gpt2/', import.meta.url));
  const model = join(dir, 'bpe.safetensors');
  const r = await run('train', corpusPath, '-o', model, '--tokenizer', 'bpe', '--bpe', bpeDir, '--embed', '2', '--hidden', '4', '--seq', '8', '--batch', '2', '--epochs', '1', '--validation', '0');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /corpus: .*corpus\.txt, 841 bpe tokens \(0 held out\), vocabulary 50257/);
  const info = JSON.parse((await run('info', model, '--json')).stdout);
  assert.deepEqual(info.tokenizer, { kind: 'bpe', vocabSize: 50257 });
  const generated = JSON.parse((await run('generate', model, 'the cat', '-n', '3', '--json')).stdout);
  assert.equal(generated.ids.length, 3);
});

/** Runs the built command with `args` as a process, sends Ctrl-C once its first step is out, and
 *  returns its exit code and its JSON lines. */
async function interruptAfterFirstStep(args: string[]): Promise<{ code: number | null; lines: { type: string; [key: string]: unknown }[] }> {
  const script = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', script, ...args]);
  let stdout = '';
  let signalled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!signalled && stdout.includes('"type":"step"')) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, lines: stdout.trim().split('\n').map((line) => JSON.parse(line)) };
}

test('Ctrl-C stops training at a step boundary, saves a resumable checkpoint and exits 130', async () => {
  const model = join(dir, 'interrupted.safetensors');
  const interrupted = await interruptAfterFirstStep(['train', corpusPath, '-o', model, '--epochs', '50', '--json', ...tiny]);
  assert.equal(interrupted.code, 130);
  const result = interrupted.lines.at(-1)! as unknown as { reason: string; resumable: boolean; steps: number };
  assert.equal(result.reason, 'aborted');
  assert.equal(result.resumable, true);
  const info = JSON.parse((await run('info', model, '--json')).stdout);
  assert.equal(info.training.epochs, 50);
  assert.ok(info.training.epoch < 50 && info.training.step === result.steps);
  const resumed = await run('train', corpusPath, '--resume', model, '--epochs', String(info.training.epoch), '-o', join(dir, 'resumed.safetensors'), '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  const done = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
  assert.equal(done.reason, 'completed');
  assert.ok(done.steps > result.steps || info.training.batch === 0);
});

test('Ctrl-C under --time-limit is still an interruption: resumable checkpoint, exit 130; demo stops there too', async () => {
  const model = join(dir, 'interrupted-time-limit.safetensors');
  const trained = await interruptAfterFirstStep(['train', corpusPath, '-o', model, '--epochs', '50', '--time-limit', '600', '--json', ...tiny]);
  assert.equal(trained.code, 130);
  const result = trained.lines.find((e) => e.type === 'result')!;
  assert.equal(result['reason'], 'aborted');
  assert.equal(result['resumable'], true);
  assert.ok(JSON.parse((await run('info', model, '--json')).stdout).training.epoch < 50);
  const demoModel = join(dir, 'interrupted-demo.safetensors');
  const demo = await interruptAfterFirstStep(['demo', '-o', demoModel, '--epochs', '50', '--json']);
  assert.equal(demo.code, 130);
  assert.equal(demo.lines.find((e) => e.type === 'result')!['resumable'], true);
  assert.equal(demo.lines.some((e) => e.type === 'demo'), false, 'no samples after Ctrl-C');
});

test('Ctrl-C during the epoch-end validation saves without measuring the same model a second time', async () => {
  const evaluate = RNNModel.prototype.evaluate;
  let evaluations = 0;
  let atEpochEnd = -1;
  RNNModel.prototype.evaluate = function (this: RNNModel, ...args: Parameters<RNNModel['evaluate']>) {
    evaluations++;
    return evaluate.apply(this, args);
  };
  try {
    const output = capture();
    output.out = (text) => {
      output.stdout += text;
      const event = JSON.parse(text);
      // The last step of epoch 1: the signal arrives as its validation starts.
      if (event.type === 'step' && event.step === event.stepsPerEpoch) process.emit('SIGINT', 'SIGINT');
      if (event.type === 'epoch') atEpochEnd = evaluations;
    };
    const model = join(dir, 'interrupted-validation.safetensors');
    const code = await main(['train', corpusPath, '-o', model, '--epochs', '5', '--json', ...tiny], output);
    assert.equal(code, 130, output.stderr);
    const result = JSON.parse(output.stdout.trim().split('\n').pop()!);
    assert.equal(result.resumable, true);
    assert.ok(atEpochEnd > 0);
    assert.equal(evaluations, atEpochEnd, 'the model saved is the one the epoch-end validation measured');
    assert.equal(JSON.parse((await run('info', model, '--json')).stdout).training.epoch, 2);
  } finally {
    RNNModel.prototype.evaluate = evaluate;
  }
});

test('a reader that goes away (textloom ... | head) stops the command without a stack trace; training saves first', async () => {
  const script = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const closeAfter = async (args: string[], marker: string): Promise<{ code: number | null; stderr: string }> => {
    const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', script, ...args]);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(marker)) child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stderr };
  };
  const model = join(dir, 'piped.safetensors');
  const training = await closeAfter(['train', corpusPath, '-o', model, '--epochs', '50', '--json', ...tiny], '"type":"step"');
  assert.equal(training.code, 130, training.stderr);
  assert.doesNotMatch(training.stderr, /EPIPE|Unhandled|at /);
  const info = JSON.parse((await run('info', model, '--json')).stdout);
  assert.ok(info.training.epoch < 50, 'the stopped run is saved as resumable');
  const generation = await closeAfter(['generate', model, 'the', '-n', '100000', '--sample', '--seed', '1'], 'the');
  assert.equal(generation.code, 141, generation.stderr);
  assert.equal(generation.stderr, '');
});

test('the command turns relaxed SIMD on by itself: started without the flag, it trains on the relaxed kernels', () => {
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const model = join(dir, 'relaxed.safetensors');
  // The process running this test has the flag; the child gets neither it nor NODE_OPTIONS.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const plainNode = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { relaxedSimdSupported } = await import(${JSON.stringify(new URL('../src/wasm/builds.js', import.meta.url).href)});
    console.log(relaxedSimdSupported());`], { encoding: 'utf8', env });
  assert.equal(plainNode.status, 0, plainNode.stderr);
  if (process.versions.node.startsWith('20.')) assert.equal(plainNode.stdout.trim(), 'false', 'Node 20 validates relaxed SIMD without the flag');
  const r = spawnSync(process.execPath, [cli, 'train', corpusPath, '-o', model, '--epochs', '1', '--json', ...tiny], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const result = r.stdout.trim().split('\n').map((line) => JSON.parse(line)).find((e) => e.type === 'result');
  assert.equal(result.kernels, 'relaxed');
});

test('train says it is tokenizing before the silent seconds a large corpus takes', async () => {
  const large = join(dir, 'large-corpus.txt');
  const line = 'the quick brown fox jumps over the lazy dog and runs far away\n';
  writeFileSync(large, line.repeat(Math.ceil((ANNOUNCE_TOKENIZING_CHARS + 1) / line.length)));
  const r = await run('train', large, '-o', join(dir, 'large.safetensors'), '--epochs', '1', '--validation', '0',
    '--time-limit', '0.001', ...tiny);
  assert.equal(r.code, 0, r.stderr);
  const first = r.stderr.split('\n')[0];
  assert.equal(first, `tokenizing ${large}: 10.0 million characters (10 to 50 MB a second), then training starts`);
  const small = await run('train', corpusPath, '-o', join(dir, 'small.safetensors'), '--epochs', '1', '--time-limit', '0.001', ...tiny);
  assert.doesNotMatch(small.stderr, /tokenizing/);
});
