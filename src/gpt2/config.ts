/**
 * The parts of a Hugging Face GPT-2 `config.json` and `generation_config.json` that running the model
 * needs, validated so that a wrong file fails here with its field name rather than deep in a session.
 */

export interface Gpt2Config {
  vocabSize: number;
  /** Context length: the most positions (prompt + generated) one sequence can hold. */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

/** The generation defaults a model ships with (snake_case as in the file; unknown keys kept). */
export type GenerationConfigJson = Record<string, unknown>;

function positiveInteger(json: Record<string, unknown>, keys: string[], where: string): number {
  for (const key of keys) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Gpt2ConfigError(`${where}: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }
  throw new Gpt2ConfigError(`${where}: missing ${keys.join(' or ')}; every GPT-2 config.json has it`);
}

function optionalId(json: Record<string, unknown>, key: string, vocabSize: number, where: string): number | null {
  let value = json[key];
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= vocabSize) {
    throw new Gpt2ConfigError(`${where}: ${key} must be a token id in [0, ${vocabSize - 1}], got ${JSON.stringify(json[key])}`);
  }
  return value;
}

/** A config.json or generation_config.json that is not a JSON object, not a GPT-2 config, or lacks or garbles a field. */
export class Gpt2ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Gpt2ConfigError';
  }
}

function parseObject(text: string, where: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Gpt2ConfigError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Gpt2ConfigError(`${where} must hold a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  return json as Record<string, unknown>;
}

/** Parses `config.json`; `where` names the file in errors. */
export function parseGpt2Config(text: string, where = 'config.json'): Gpt2Config {
  const json = parseObject(text, where);
  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'gpt2') {
    throw new Gpt2ConfigError(`${where}: model_type is ${JSON.stringify(modelType)}, expected "gpt2"; this loader runs GPT-2 models only`);
  }
  const vocabSize = positiveInteger(json, ['vocab_size'], where);
  const config: Gpt2Config = {
    vocabSize,
    nPositions: positiveInteger(json, ['n_positions', 'n_ctx'], where),
    nEmbd: positiveInteger(json, ['n_embd'], where),
    nLayer: positiveInteger(json, ['n_layer'], where),
    nHead: positiveInteger(json, ['n_head'], where),
    bosTokenId: optionalId(json, 'bos_token_id', vocabSize, where),
    eosTokenId: optionalId(json, 'eos_token_id', vocabSize, where),
  };
  if (config.nEmbd % config.nHead !== 0) {
    throw new Gpt2ConfigError(`${where}: n_embd (${config.nEmbd}) must be a multiple of n_head (${config.nHead})`);
  }
  return config;
}

/** Parses `generation_config.json`. */
export function parseGenerationConfig(text: string, where = 'generation_config.json'): GenerationConfigJson {
  return parseObject(text, where);
}
