/**
 * Command-line parsing shared by the textloom commands: node:util parseArgs with strict checking, then
 * typed conversion of each value with an error that names the flag, the value and what it should be.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes: success, a failure while working (bad file, bad corpus), a usage error, interrupted. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A mistake in how the command was called; the message is shown with a pointer to --help. The cause is
 *  the library's error it stands for, whose message names options rather than flags. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause: Error }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** A RangeError from the library's checks of a command line's settings, made before any work, is a usage
 *  mistake (exit 2); call this only around such checks, never around the work itself. */
export function asUsageError(e: unknown): unknown {
  return e instanceof RangeError ? new UsageError(e.message, { cause: e }) : e;
}

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A value that reads as a negative number (-1, -0.5, -.5, -1e3), not as a flag. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

/**
 * `--clip -1` as `--clip=-1`: parseArgs (Node 20 has no allowNegative) takes a value starting with a dash
 * for a flag and calls the command line ambiguous, where the user meant a number that the flag's own
 * check should then refuse with its range. Only flags that take a value are joined, and none after `--`.
 */
function joinNegativeValues(argv: readonly string[], options: FlagSpec): string[] {
  const longOf = new Map(Object.entries(options).flatMap(([name, spec]) => (spec.short === undefined ? [] : [[spec.short, name]])));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-]$/.test(arg) ? longOf.get(arg[1]!) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parse(argv: string[], options: FlagSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    throw new UsageError(parseArgsMessage((e as Error).message));
  }
}

/** parseArgs's messages in the commands' own wording, which names a flag first and says what it needs. */
function parseArgsMessage(message: string): string {
  const unknown = /^Unknown option '(.+?)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(.+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(.+?)' argument is ambiguous.*use '(--[\w-]+)=-XYZ'/s.exec(message);
  if (ambiguous) return `${ambiguous[1]} needs a value (one that starts with a dash is written ${ambiguous[2]}=-VALUE)`;
  const valueless = /^Option '(.+?)' does not take an argument/.exec(message);
  if (valueless) return `${valueless[1]} takes no value`;
  return message;
}

function raw(parsed: Parsed, flag: string): string | undefined {
  const value = parsed.values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** What a number flag may hold, as its error message says it. */
const NUMBER_KINDS = {
  'positive integer': { text: 'a positive integer', ok: (v: number) => Number.isInteger(v) && v > 0 },
  'non-negative integer': { text: 'a non-negative integer', ok: (v: number) => Number.isInteger(v) && v >= 0 },
  'positive number': { text: 'a positive number', ok: (v: number) => v > 0 },
  'non-negative number': { text: 'a non-negative number', ok: (v: number) => v >= 0 },
  'fraction in [0, 1)': { text: 'a fraction in [0, 1)', ok: (v: number) => v >= 0 && v < 1 },
  // Seeds are taken as unsigned 32-bit words; a larger one would wrap onto a smaller one's stream.
  seed: { text: 'an integer from 0 to 4294967295', ok: (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff },
};
export type NumberKind = keyof typeof NUMBER_KINDS;

/** A number flag; `kind` says what is allowed. */
export function numberFlag(parsed: Parsed, flag: string, fallback: number, kind: NumberKind): number {
  const text = raw(parsed, flag);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !NUMBER_KINDS[kind].ok(value)) {
    throw new UsageError(`--${flag} must be ${NUMBER_KINDS[kind].text}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** An optional number flag (undefined when absent). */
export function optionalNumber(parsed: Parsed, flag: string, kind: NumberKind): number | undefined {
  return raw(parsed, flag) === undefined ? undefined : numberFlag(parsed, flag, 0, kind);
}

export function choiceFlag<T extends string>(parsed: Parsed, flag: string, choices: readonly T[], fallback: T): T {
  const text = raw(parsed, flag);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

export function stringFlag(parsed: Parsed, flag: string): string | undefined {
  return raw(parsed, flag);
}

export function booleanFlag(parsed: Parsed, flag: string): boolean {
  return parsed.values[flag] === true;
}

export function listFlag(parsed: Parsed, flag: string): string[] {
  const value = parsed.values[flag];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** Where the command writes: text for people, or JSON lines for programs. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal (progress bars, colors). */
  readonly interactive: boolean;
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get interactive() {
    return process.stderr.isTTY === true;
  },
};
