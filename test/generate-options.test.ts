import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHuggingFace, type GenerateOptions } from '../src/generate/index.js';
import { resolveOptions } from '../src/generate/options.js';
import { Random } from '../src/util/random.js';

const V = 100;
const bad = (options: unknown, pattern: RegExp) => assert.throws(() => resolveOptions(options as GenerateOptions, V), pattern);

test('HF defaults are filled in', () => {
  const o = resolveOptions({}, V);
  assert.equal(o.doSample, false);
  assert.equal(o.topK, 50);
  assert.equal(o.topP, 1);
  assert.equal(o.temperature, 1);
  assert.equal(o.numBeams, 1);
  assert.equal(o.lengthPenalty, 1);
  assert.equal(o.earlyStopping, false);
  assert.equal(o.maxLength, null);
  assert.deepEqual(o.eosTokenIds, []);
  assert.deepEqual(resolveOptions({ eosTokenId: 7 }, V).eosTokenIds, [7]);
  assert.deepEqual(resolveOptions({ eosTokenId: [7, 9] }, V).eosTokenIds, [7, 9]);
});

test('every option is range-checked, with the option, the value and the valid range in the message', () => {
  bad({ doSample: true, temperature: 0 }, /temperature must be a number > 0, got 0/);
  bad({ doSample: true, temperature: -1 }, /temperature must be a number > 0, got -1/);
  bad({ doSample: true, topP: 0 }, /topP must be a number in \(0, 1\], got 0/);
  bad({ doSample: true, topP: 1.5 }, /topP must be a number in \(0, 1\], got 1.5/);
  bad({ doSample: true, topK: 2.5 }, /topK must be an integer >= 0, got 2.5/);
  bad({ doSample: true, topK: -1 }, /topK must be an integer >= 0, got -1/);
  bad({ repetitionPenalty: 0 }, /repetitionPenalty must be a number > 0 \(1 disables\), got 0/);
  bad({ repetitionPenalty: NaN }, /repetitionPenalty must be a number > 0/);
  bad({ noRepeatNgramSize: -2 }, /noRepeatNgramSize must be an integer >= 0, got -2/);
  bad({ maxLength: 0 }, /maxLength must be an integer >= 1, got 0/);
  bad({ maxNewTokens: 0 }, /maxNewTokens must be an integer >= 1, got 0/);
  bad({ maxNewTokens: '5' }, /maxNewTokens must be an integer >= 1, got "5"/);
  bad({ minNewTokens: 2 }, /minNewTokens=2 needs eosTokenId/);
  bad({ numBeams: 0 }, /numBeams must be an integer >= 1, got 0/);
  bad({ numBeams: 2, numReturnSequences: 3 }, /numReturnSequences \(3\) must be <= numBeams \(2\)/);
  bad({ numBeams: 2, earlyStopping: 'sometimes' }, /earlyStopping must be true, false or 'never', got "sometimes"/);
  bad({ eosTokenId: 100 }, /eosTokenId must be an integer in \[0, 99\], got 100/);
  bad({ eosTokenId: [] }, /eosTokenId must be a token id or a non-empty array/);
  bad({ eosTokenId: [1, -1] }, /eosTokenId\[1\] must be an integer in \[0, 99\], got -1/);
  bad({ padTokenId: 1.5 }, /padTokenId must be an integer in \[0, 99\], got 1.5/);
  bad({ badWordsIds: [[1], []] }, /badWordsIds\[1\] must be a non-empty array of token ids/);
  bad({ badWordsIds: [[1, 200]] }, /badWordsIds\[0\]\[1\] must be an integer in \[0, 99\], got 200/);
  bad({ badWordsIds: 5 }, /badWordsIds must be an array of token id arrays/);
  bad({ seed: 1.5 }, /seed must be an integer/);
  bad({ seed: 1, random: new Random(1) }, /either seed or random, not both/);
  bad({ random: { uniform: () => 0.5 } }, /random must be a Random/);
  bad({ signal: {} }, /signal must be an AbortSignal/);
  bad({ onToken: 'print' }, /onToken must be a function, got string/);
  bad({ doSample: 'yes' }, /doSample must be true or false, got "yes"/);
  bad(null, /options must be an object/);
});

test('unknown keys are errors that suggest the intended option', () => {
  bad({ maxNewToken: 5 }, /unknown option "maxNewToken"; did you mean maxNewTokens\?/);
  bad({ max_new_tokens: 5 }, /unknown option "max_new_tokens" \(snake_case configs go through fromHuggingFace\(\)\); did you mean maxNewTokens\?/);
  bad({ typicalP: 0.9 }, /unknown option "typicalP"; known options: maxLength, /);
});

test('options that mean nothing in the chosen mode, and unsupported combinations, are rejected', () => {
  bad({ temperature: 0.7 }, /temperature=0.7 only applies when sampling; set doSample: true/);
  bad({ topK: 10 }, /topK=10 only applies when sampling/);
  bad({ topP: 0.9, numBeams: 3 }, /topP=0.9 only applies when sampling/);
  bad({ lengthPenalty: 2 }, /lengthPenalty=2 only applies to beam search; set numBeams > 1/);
  bad({ earlyStopping: true }, /earlyStopping=true only applies to beam search/);
  bad({ numBeams: 2, doSample: true }, /beam sampling \(numBeams=2 with doSample: true\) is not implemented/);
  bad({ numReturnSequences: 2 }, /numReturnSequences=2 with greedy search would repeat one sequence/);
  bad({ numBeams: 2, onToken: () => undefined }, /onToken \(streaming\) is not available with beam search/);
  bad({ numBeams: 2, stoppingCriteria: () => false }, /stoppingCriteria is not available with beam search/);
  // Neutral values are fine in any mode.
  assert.doesNotThrow(() => resolveOptions({ temperature: 1, topK: 50, topP: 1, lengthPenalty: 1, earlyStopping: false }, V));
});

test('fromHuggingFace maps a generation_config.json and refuses what is not implemented', () => {
  assert.deepEqual(fromHuggingFace({ bos_token_id: 50256, eos_token_id: 50256, transformers_version: '4.27.0.dev0', _from_model_config: true }),
    { eosTokenId: 50256 });
  assert.deepEqual(fromHuggingFace({
    do_sample: true, max_length: 50, top_k: 40, top_p: 0.95, temperature: 0.8, no_repeat_ngram_size: 2,
    num_return_sequences: 2, pad_token_id: 0, repetition_penalty: 1.2, bad_words_ids: [[5, 6]], min_length: 0,
    num_beam_groups: 1, suppress_tokens: null,
  }), {
    doSample: true, maxLength: 50, topK: 40, topP: 0.95, temperature: 0.8, noRepeatNgramSize: 2,
    numReturnSequences: 2, padTokenId: 0, repetitionPenalty: 1.2, badWordsIds: [[5, 6]],
  });
  // HF ignores sampling fields without do_sample; so does the mapping.
  assert.deepEqual(fromHuggingFace({ do_sample: false, temperature: 0.6, top_p: 0.9, num_beams: 4, early_stopping: true }),
    { doSample: false, numBeams: 4, earlyStopping: true });
  assert.throws(() => fromHuggingFace({ min_length: 10 }), /min_length=10 is not implemented by textloom's generate\(\); remove it from the config or set it to 0/);
  assert.throws(() => fromHuggingFace({ typical_p: 0.5 }), /typical_p=0.5 is not implemented/);
  assert.throws(() => fromHuggingFace({ top_kk: 5 }), /unknown generation_config field "top_kk"/);
  assert.throws(() => fromHuggingFace([] as unknown as Record<string, unknown>), /expected the parsed generation_config.json object/);
  // The mapped options pass validation.
  const mapped = fromHuggingFace({ do_sample: true, top_k: 40, eos_token_id: [1, 2] });
  assert.deepEqual(resolveOptions(mapped, V).eosTokenIds, [1, 2]);
});
