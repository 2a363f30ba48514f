/**
 * `textloom info <model>`: what a checkpoint holds (format, model config, parameter count, tokenizer,
 * training position), without building the model.
 */
import { describeConfig, loadCheckpoint, parameterShapes, tokenizerFromJSON, trainerMetadata } from '../index.js';
import { booleanFlag, parse, UsageError, EXIT_OK, type Output } from './args.js';

export const INFO_HELP = `Usage: textloom info <model.safetensors> [--json]

Shows what a checkpoint holds: its format, the model's configuration and size, the tokenizer, and for a
resumable checkpoint where training stopped. Reads PyTorch files of the same layout too.

      --json                  one JSON object instead of text
  -h, --help                  this help`;

export async function infoCommand(argv: string[], output: Output): Promise<number> {
  const parsed = parse(argv, { json: { type: 'boolean' } });
  if (booleanFlag(parsed, 'help')) {
    output.out(INFO_HELP + '\n');
    return EXIT_OK;
  }
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`needs exactly one model file, got ${parsed.positionals.length} arguments`);
  }
  const path = parsed.positionals[0]!;
  // The optimizer's moments (twice the weights) are not shown; the position is in the header.
  const checkpoint = await loadCheckpoint(path, { training: false });
  const { config, metadata } = checkpoint;
  const training = trainerMetadata(metadata, path);
  const parameters = [...parameterShapes(config).values()].reduce((n, shape) => n + shape.reduce((a, d) => a * d, 1), 0);
  const tokenizer = checkpoint.tokenizer === null ? null : tokenizerFromJSON(checkpoint.tokenizer);
  const format = metadata['textloom_format'] ? `${metadata['textloom_format']} v${metadata['textloom_format_version']}` : 'PyTorch state_dict (no textloom metadata)';
  const info = {
    path,
    format,
    config,
    parameters,
    tokenizer: tokenizer === null ? null : { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
    corpus: metadata['corpus'] ?? null,
    validationPerplexity: metadata['validation_perplexity'] === undefined ? null : Number(metadata['validation_perplexity']),
    training:
      training === null
        ? null
        : {
            // The epoch training resumes at: one past the total once the run has finished.
            epoch: training.position.epoch + 1,
            epochs: typeof training.options?.['epochs'] === 'number' ? training.options['epochs'] : null,
            finished: typeof training.options?.['epochs'] === 'number' && training.position.epoch >= training.options['epochs'],
            batch: training.position.batchIndex,
            step: training.position.globalStep,
            optimizerStep: training.step,
          },
  };
  if (booleanFlag(parsed, 'json')) {
    output.out(JSON.stringify(info) + '\n');
    return EXIT_OK;
  }
  const lines = [
    `file:       ${path}`,
    `format:     ${format}`,
    `model:      ${describeConfig(config)}, ${parameters.toLocaleString('en-US')} parameters`,
    `tokenizer:  ${tokenizer === null ? 'none (weights only; generation needs a textloom checkpoint)' : `${tokenizer.kind}, ${tokenizer.vocabSize} tokens`}`,
  ];
  if (info.corpus !== null) lines.push(`corpus:     ${info.corpus}`);
  if (info.validationPerplexity !== null) lines.push(`validation: perplexity ${info.validationPerplexity}`);
  const t = info.training;
  lines.push(
    t === null
      // Saved without --resumable (a finished run, one stopped by --time-limit) or written by PyTorch: all
      // that is known is that there is no state to continue from.
      ? 'training:   not resumable (no optimizer state saved)'
      : t.finished
        ? `training:   finished all ${t.epochs} epochs (step ${t.step}); --resume with a larger --epochs continues it`
        : `training:   resumable at epoch ${t.epoch}${t.epochs === null ? '' : ` of ${t.epochs}`}, batch ${t.batch} (step ${t.step})`,
  );
  output.out(lines.join('\n') + '\n');
  return EXIT_OK;
}
