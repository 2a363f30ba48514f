/**
 * Reading GPT-2-style byte-level BPE definitions: `vocab.json` + `merges.txt` (the files GPT2Tokenizer
 * reads) or a Hugging Face `tokenizer.json`. Everything is validated here, so BpeTokenizer can trust
 * its input.
 */
import { describe } from '../util/arguments.js';

/** A token matched by its exact content rather than built by merges (Hugging Face's `added_tokens`), e.g. `<|endoftext|>`. */
export interface AddedToken {
  id: number;
  /** The exact text the token stands for. */
  content: string;
  /** Special tokens can be skipped when decoding; all added tokens are matched whole when encoding
   * with `specialTokens: 'special'`. */
  special: boolean;
}

/** A byte-level BPE model: tokens[id] is the vocabulary entry (byte-level alphabet) or, for an
 * added token outside the model vocabulary, its content. */
export interface BpeDefinition {
  tokens: string[];
  merges: Array<[string, string]>;
  added: AddedToken[];
}

/** GPT-2's end-of-text token (id 50256 in GPT-2's vocabulary). */
export const END_OF_TEXT = '<|endoftext|>';

function fail(who: string, message: string): never {
  throw new TypeError(`${who}: ${message}`);
}

function parseJSONText(text: string, who: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(who, `not valid JSON (${(err as Error).message})`);
  }
}

/** Token list indexed by id from a { token: id } map, checking ids are 0..n-1 without holes. */
function tokensFromVocab(vocab: unknown, who: string, extra: readonly AddedToken[] = []): string[] {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    fail(who, `expected the vocabulary as an object of token -> id, got ${describe(vocab)}`);
  }
  const map = vocab as Record<string, unknown>;
  // Object.keys plus lookups: about twice as fast as Object.entries on a 50k-key parsed object.
  const keys = Object.keys(map);
  const ids = new Int32Array(keys.length);
  let size = 0;
  for (let i = 0; i < keys.length; i++) {
    const id = map[keys[i]];
    if (!Number.isInteger(id) || (id as number) < 0) {
      fail(who, `the id of ${JSON.stringify(keys[i])} is ${describe(id)}, expected an integer >= 0`);
    }
    ids[i] = id as number;
    size = Math.max(size, (id as number) + 1);
  }
  for (const token of extra) size = Math.max(size, token.id + 1);
  // Filled up front so the array stays packed while ids arrive in any order.
  const tokens = new Array<string | undefined>(size).fill(undefined);
  for (let i = 0; i < keys.length; i++) {
    const previous = tokens[ids[i]];
    if (previous !== undefined) {
      fail(who, `tokens ${JSON.stringify(previous)} and ${JSON.stringify(keys[i])} share id ${ids[i]}`);
    }
    tokens[ids[i]] = keys[i];
  }
  for (const token of extra) {
    const previous = tokens[token.id];
    if (previous !== undefined && previous !== token.content) {
      fail(who, `added token ${JSON.stringify(token.content)} has id ${token.id}, already ${JSON.stringify(previous)}`);
    }
    tokens[token.id] = token.content;
  }
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) fail(who, `no token has id ${id}; ids must run from 0 to ${tokens.length - 1}`);
  }
  if (tokens.length === 0) fail(who, 'the vocabulary is empty');
  return tokens as string[];
}

/** Parses merges.txt: an optional `#version` line, then one `left right` pair per line. */
export function parseMergesText(text: string, who = 'merges.txt'): Array<[string, string]> {
  if (typeof text !== 'string') fail(who, `expected the file's text, got ${describe(text)}`);
  const merges: Array<[string, string]> = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index];
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0 || (index === 0 && line.startsWith('#version'))) continue;
    const space = line.indexOf(' ');
    if (space <= 0 || space === line.length - 1 || line.indexOf(' ', space + 1) >= 0) {
      fail(who, `line ${index + 1} is ${describe(line)}, expected two tokens separated by one space`);
    }
    merges.push([line.slice(0, space), line.slice(space + 1)]);
  }
  return merges;
}

/** From the text (or parsed object) of vocab.json and the text of merges.txt. `<|endoftext|>`, when
 * in the vocabulary, is the special token, as GPT2Tokenizer makes it (bos, eos and unk). */
export function definitionFromFiles(vocabJson: string | object, mergesText: string): BpeDefinition {
  const vocab = typeof vocabJson === 'string' ? parseJSONText(vocabJson, 'vocab.json') : vocabJson;
  const tokens = tokensFromVocab(vocab, 'vocab.json');
  const eos = tokens.indexOf(END_OF_TEXT);
  return {
    tokens,
    merges: parseMergesText(mergesText),
    added: eos >= 0 ? [{ id: eos, content: END_OF_TEXT, special: true }] : [],
  };
}

function parseMergeEntry(entry: unknown, index: number, who: string): [string, string] {
  if (typeof entry === 'string') {
    const parts = entry.split(' ');
    if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return [parts[0], parts[1]];
  } else if (Array.isArray(entry) && entry.length === 2 && entry.every((p) => typeof p === 'string' && p !== '')) {
    return [entry[0], entry[1]];
  }
  return fail(who, `model.merges[${index}] is ${describe(entry)}, expected "left right" or ["left", "right"]`);
}

/** Added-token matching options that change which text matches; textloom matches the exact content. */
const MATCHING_OPTIONS = ['single_word', 'lstrip', 'rstrip'] as const;

function parseAddedTokens(value: unknown, who: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(who, `added_tokens must be an array, got ${describe(value)}`);
  return value.map((entry: unknown, index) => {
    const t = entry as Record<string, unknown> | null;
    if (!t || !Number.isInteger(t.id) || (t.id as number) < 0 || typeof t.content !== 'string' || t.content === '') {
      fail(who, `added_tokens[${index}] must be { id: integer >= 0, content: non-empty string }, got ${describe(entry)}`);
    }
    const option = MATCHING_OPTIONS.find((name) => t[name] === true);
    if (option !== undefined) {
      fail(who, `added_tokens[${index}] (${JSON.stringify(t.content)}) sets ${option}=true, which is not supported; ` +
        'textloom matches added tokens exactly');
    }
    return { id: t.id as number, content: t.content, special: t.special === true };
  });
}

/** Rejects BPE model options that would change the ids (GPT-2 leaves them all off). */
function checkModelOptions(model: Record<string, unknown>, who: string): void {
  const unsupported: Array<[string, boolean]> = [
    ['dropout', model.dropout !== undefined && model.dropout !== null && model.dropout !== 0],
    ['continuing_subword_prefix', typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix !== ''],
    ['end_of_word_suffix', typeof model.end_of_word_suffix === 'string' && model.end_of_word_suffix !== ''],
    ['ignore_merges', model.ignore_merges === true],
    ['byte_fallback', model.byte_fallback === true],
  ];
  for (const [name, set] of unsupported) {
    if (set) fail(who, `model.${name} is ${describe(model[name])}; textloom reads GPT-2 style BPE, where it is off`);
  }
}

/** Checks that a tokenizer.json component is absent or of one of the given types. */
function checkComponent(value: unknown, name: string, allowed: readonly string[], who: string): void {
  if (value === undefined || value === null) return;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !allowed.includes(type)) {
    fail(who, `${name} of type ${describe(type)} is not supported; textloom reads GPT-2 style byte-level BPE ` +
      `(${name}: ${allowed.join(' or ')})`);
  }
}

/** From a Hugging Face tokenizer.json (its text or the parsed object). */
export function definitionFromTokenizerJSON(json: string | object): BpeDefinition {
  const who = 'tokenizer.json';
  const root = (typeof json === 'string' ? parseJSONText(json, who) : json) as Record<string, unknown> | null;
  if (typeof root !== 'object' || root === null) fail(who, `expected an object, got ${describe(root)}`);
  const model = root.model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null) fail(who, 'has no "model" object');
  if (model.type !== undefined && model.type !== 'BPE') {
    fail(who, `model.type is ${describe(model.type)}, expected "BPE"`);
  }
  const pre = root.pre_tokenizer as { type?: unknown; add_prefix_space?: unknown; use_regex?: unknown } | null;
  if (!pre || pre.type !== 'ByteLevel') {
    fail(who, `pre_tokenizer is ${describe(pre?.type ?? pre)}, expected "ByteLevel" (GPT-2 style byte-level BPE)`);
  }
  if (pre.add_prefix_space === true || pre.use_regex === false) {
    fail(who, 'pre_tokenizer ByteLevel with add_prefix_space=true or use_regex=false is not supported; ' +
      'GPT-2 uses add_prefix_space=false, use_regex=true');
  }
  checkComponent(root.normalizer, 'normalizer', [], who);
  checkComponent(root.decoder, 'decoder', ['ByteLevel'], who);
  // A template post-processor would add tokens around every encoding; GPT-2's only trims offsets.
  checkComponent(root.post_processor, 'post_processor', ['ByteLevel'], who);
  checkModelOptions(model, who);
  if (!Array.isArray(model.merges)) fail(who, `model.merges must be an array, got ${describe(model.merges)}`);
  const added = parseAddedTokens(root.added_tokens, who);
  return {
    tokens: tokensFromVocab(model.vocab, `${who} model.vocab`, added),
    merges: model.merges.map((m: unknown, i: number) => parseMergeEntry(m, i, who)),
    added,
  };
}
