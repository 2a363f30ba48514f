/**
 * `textloom generate <model> "seed"`: continues a seed text with a trained model, streaming the words
 * to stdout as they come.
 */
import { checkTextGenerationOptions, encodeSeed, generateText } from '../index.js';
import { asUsageError, booleanFlag, parse, UsageError, EXIT_OK, type Output } from './args.js';
import { formatRate } from './progress.js';
import { loadModel, samplingOptions, SAMPLING_FLAGS, SAMPLING_HELP } from './sampling.js';

export const GENERATE_HELP = `Usage: textloom generate <model.safetensors> "seed text" [options]

Continues the seed text with a model written by textloom train. The hidden state is carried from word
to word. Seed words the model never saw are named in a warning and read as <unk>.

${SAMPLING_HELP}
Output:
      --json                  one JSON object with the text, ids and speed instead of streamed text
  -h, --help                  this help`;

export async function generateCommand(argv: string[], output: Output): Promise<number> {
  const parsed = parse(argv, { ...SAMPLING_FLAGS, json: { type: 'boolean' } });
  if (booleanFlag(parsed, 'help')) {
    output.out(GENERATE_HELP + '\n');
    return EXIT_OK;
  }
  const [path, ...seedWords] = parsed.positionals;
  if (path === undefined || seedWords.length === 0) {
    throw new UsageError('needs a model file and a seed text, e.g. textloom generate model.safetensors "it is a truth"');
  }
  const seed = seedWords.join(' ');
  const options = samplingOptions(parsed);
  const json = booleanFlag(parsed, 'json');
  const { model, tokenizer } = await loadModel(path);
  // The seed is echoed with the first generated piece, once the options and the seed have passed
  // their checks and any warning is out, so a failed run prints nothing on stdout.
  let echoed = json;
  const echoSeed = (): void => {
    if (!echoed) output.out(seed);
    echoed = true;
  };
  try {
    try {
      checkTextGenerationOptions(model, tokenizer, options);
      encodeSeed(tokenizer, seed);
    } catch (e) {
      throw asUsageError(e);
    }
    const result = await generateText(model, tokenizer, seed, {
      ...options,
      onWarning: (w) => output.err(`warning: ${w}\n`),
      ...(json ? {} : { onText: (piece: string) => { echoSeed(); output.out(piece); } }),
    }).catch((e: unknown) => {
      // Text that failed part way (every token banned) still ends its line, before the message.
      if (echoed && !json) output.out('\n');
      throw e;
    });
    if (json) {
      output.out(JSON.stringify({ seed, text: result.text, ids: result.ids, finishReason: result.finishReason, warnings: result.warnings, tokensPerSecond: result.tokensPerSecond }) + '\n');
    } else {
      echoSeed();
      output.out('\n');
      if (output.interactive) output.err(`(${result.ids.length} tokens, ${formatRate(result.tokensPerSecond)})\n`);
    }
  } finally {
    model.dispose();
  }
  return EXIT_OK;
}
