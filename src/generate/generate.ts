import { beamSearch } from './beam.js';
import { decode, type TokenEvent } from './decode.js';
import { describeArgument } from '../util/arguments.js';
import type { LogitsSource } from './engine.js';
import { resolveOptions, type GenerateOptions, type GenerateResult, type ResolvedOptions } from './options.js';
import { prepareBatch } from './prepare.js';

function checkSource(source: LogitsSource): void {
  const s = source as Partial<LogitsSource> | null;
  if (s === null || typeof s !== 'object' || !Number.isInteger(s.vocabSize) || s.vocabSize! < 1
    || typeof s.prefill !== 'function' || typeof s.next !== 'function' || typeof s.select !== 'function') {
    throw new TypeError('generate: source must implement LogitsSource (vocabSize, prefill, next, select, dispose), as the model ' +
      `of a loaded GPT-2 (gpt2.model) and new RNNLogitsSource(rnnModel) do; got ${describeArgument(source)}`);
  }
}

function setup(source: LogitsSource, prompts: readonly (readonly number[])[], options: GenerateOptions) {
  checkSource(source);
  const resolved: ResolvedOptions = resolveOptions(options, source.vocabSize);
  return { resolved, batch: prepareBatch(prompts, resolved, source.vocabSize) };
}

/**
 * Generates continuations of `prompts` (token ids, one array per prompt; several prompts run as one
 * left-padded batch) with Hugging Face's `generate()` semantics: greedy, sampling (`doSample`) or beam
 * search (`numBeams > 1`), the logits processors the options ask for, EOS and length limits per row.
 * See `GenerateOptions` and `GenerateResult`.
 *
 * The source's batch stays in place afterwards (the last new token of each row has not been fed to it):
 * the caller owns the source and calls `dispose()` when done with it.
 * Aborting `options.signal` rejects with `signal.reason` at the next step boundary; tokens already
 * delivered through `onToken` stay delivered.
 */
export async function generate(source: LogitsSource, prompts: readonly (readonly number[])[], options: GenerateOptions = {}): Promise<GenerateResult> {
  const { resolved, batch } = setup(source, prompts, options);
  if (resolved.numBeams > 1) return beamSearch(source, batch, resolved);
  const steps = decode(source, batch, resolved);
  for (;;) {
    const next = await steps.next();
    if (next.done) return next.value;
    resolved.onToken?.(next.value.row, next.value.token);
  }
}

/**
 * The same as `generate()` (greedy or sampling; not beam search), as an async iterator of
 * `{ row, token }` events in generation order; its return value is the `GenerateResult`. The model
 * advances only as fast as the consumer reads. `onToken`, when given, is called for each event too.
 */
export async function* generateStream(source: LogitsSource, prompts: readonly (readonly number[])[], options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateResult> {
  const { resolved, batch } = setup(source, prompts, options);
  if (resolved.numBeams > 1) {
    throw new RangeError('generateStream: beam search (numBeams > 1) cannot stream, its beams change until the end; call generate()');
  }
  const steps = decode(source, batch, resolved);
  for (;;) {
    const next = await steps.next();
    if (next.done) return next.value;
    resolved.onToken?.(next.value.row, next.value.token);
    yield next.value;
  }
}
