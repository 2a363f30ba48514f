/**
 * The library's errors speak of its options (batchSize, seqLen, hiddenSize, topK ...), which is right for
 * code that calls it; a command-line user typed flags. Each command lists which flag sets which option,
 * and the messages of library errors it reports are put in those terms: `batchSize 64` reads as
 * `--batch 64`, `topK=5` as `--top-k 5`, `doSample: true` as `--do-sample`.
 */
import * as library from '../index.js';

/** Library option (or option path, such as earlyStopping.patience) -> the flag that sets it, without dashes. */
export type FlagTerms = Readonly<Record<string, string>>;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// "RNNModel.create: ", "WordTokenizer.fromCorpus: ", "train: ": the library function that threw. On the
// command line the command's own name stands in front of the message instead.
const LIBRARY_NAMES = Object.keys(library).map(escape).join('|');
const LIBRARY_PREFIX = new RegExp(`^(?:${LIBRARY_NAMES})(?:\\.\\w+)?: `);

/** `message` with the options in `terms` named as their flags, and without the library function's name. */
export function inFlagTerms(message: string, terms: FlagTerms): string {
  const text = message.replace(LIBRARY_PREFIX, '');
  const options = Object.keys(terms).sort((a, b) => b.length - a.length);
  if (options.length === 0) return text;
  // Not inside a flag already written out (--lr) or a longer identifier (clr, lr2).
  const option = new RegExp(`(?<![\\w.-])(${options.map(escape).join('|')})(?![\\w-])(: true|: false|=|: (?=[-\\d"']))?`, 'g');
  const named = text.replace(option, (_, key: string, value = '') => {
    const flag = `--${terms[key]}`;
    return value === ': false' ? `no ${flag}` : value === ': true' || value === '' ? flag : `${flag} `;
  });
  // Two options that are one flag leave a note that now restates it and names no other flag:
  // "--vocab-size (a smaller --vocab-size for the tokenizer)".
  return named.replace(/(--[\w-]+) \((?:(?!--)[^()])*\1(?![\w-])(?:(?!--)[^()])*\)/g, '$1');
}
