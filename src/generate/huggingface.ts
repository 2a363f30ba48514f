import type { GenerateOptions } from './options.js';

/** generation_config.json fields that `generate()` implements, and their option names. */
const MAPPED: Readonly<Record<string, keyof GenerateOptions>> = {
  max_length: 'maxLength',
  max_new_tokens: 'maxNewTokens',
  min_new_tokens: 'minNewTokens',
  do_sample: 'doSample',
  temperature: 'temperature',
  top_k: 'topK',
  top_p: 'topP',
  repetition_penalty: 'repetitionPenalty',
  no_repeat_ngram_size: 'noRepeatNgramSize',
  bad_words_ids: 'badWordsIds',
  num_beams: 'numBeams',
  length_penalty: 'lengthPenalty',
  early_stopping: 'earlyStopping',
  num_return_sequences: 'numReturnSequences',
  eos_token_id: 'eosTokenId',
  pad_token_id: 'padTokenId',
};

/** Fields that do not change what a decoder-only model generates (metadata, output and cache flags). */
const IRRELEVANT = new Set([
  'transformers_version', '_from_model_config', 'bos_token_id', 'decoder_start_token_id', 'use_cache',
  'cache_implementation', 'return_dict_in_generate', 'output_scores', 'output_logits', 'output_attentions',
  'output_hidden_states', 'low_memory', 'compile_config', 'disable_compile',
  // assisted decoding settings, which only act when an assistant model is passed to HF's generate()
  'num_assistant_tokens', 'num_assistant_tokens_schedule', 'assistant_confidence_threshold',
  'max_matching_ngram_size', 'assistant_lookbehind', 'target_lookbehind', 'is_assistant',
]);

/** Fields `generate()` does not implement, accepted only at the value that disables them. */
const NEUTRAL: Readonly<Record<string, unknown>> = {
  min_length: 0,
  num_beam_groups: 1,
  diversity_penalty: 0,
  typical_p: 1,
  epsilon_cutoff: 0,
  eta_cutoff: 0,
  min_p: null,
  encoder_repetition_penalty: 1,
  encoder_no_repeat_ngram_size: 0,
  penalty_alpha: null,
  guidance_scale: null,
  renormalize_logits: false,
  remove_invalid_values: false,
  forced_bos_token_id: null,
  forced_eos_token_id: null,
  suppress_tokens: null,
  begin_suppress_tokens: null,
  exponential_decay_length_penalty: null,
  sequence_bias: null,
  max_time: null,
  stop_strings: null,
  constraints: null,
  force_words_ids: null,
  forced_decoder_ids: null,
  prompt_lookup_num_tokens: null,
  assistant_early_exit: null,
  dola_layers: null,
  watermarking_config: null,
  token_healing: false,
};

/** Sampling fields that HF ignores when do_sample is false. */
const SAMPLING_FIELDS = new Set(['temperature', 'top_k', 'top_p']);

/**
 * Turns a Hugging Face `generation_config.json` object (snake_case) into `GenerateOptions`, to be spread
 * under the caller's own options: `generate(src, prompts, { ...fromHuggingFace(config), maxNewTokens: 40 })`.
 * Fields that do not affect generation are skipped; a field that textloom does not implement is an error
 * unless it holds its disabling value. As HF does, temperature/top_k/top_p are dropped when do_sample is
 * not true (a config may carry them for callers that turn sampling on; pass them explicitly then).
 */
export function fromHuggingFace(config: Readonly<Record<string, unknown>>): GenerateOptions {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`fromHuggingFace: expected the parsed generation_config.json object, got ${JSON.stringify(config)}`);
  }
  const options: Record<string, unknown> = {};
  const sampling = config['do_sample'] === true;
  for (const [key, value] of Object.entries(config)) {
    if (IRRELEVANT.has(key)) continue;
    if (key in NEUTRAL) {
      const neutral = NEUTRAL[key];
      if (value === neutral || (value === null && neutral !== null) || (Array.isArray(value) && value.length === 0)) continue;
      throw new RangeError(`fromHuggingFace: ${key}=${JSON.stringify(value)} is not implemented by textloom's generate(); remove it from the config or set it to ${JSON.stringify(neutral)}`);
    }
    const name = MAPPED[key];
    if (name === undefined) {
      throw new RangeError(`fromHuggingFace: unknown generation_config field ${JSON.stringify(key)}; textloom reads ${Object.keys(MAPPED).join(', ')}`);
    }
    if (value === null) continue;
    if (SAMPLING_FIELDS.has(key) && !sampling) continue;
    options[name] = value;
  }
  return options as GenerateOptions;
}
