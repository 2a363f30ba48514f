export type { LogitsSource } from './engine.js';
export type { FinishReason, GenerateOptions, GenerateResult } from './options.js';
export { checkGenerateOptions } from './options.js';
export type { TokenEvent } from './decode.js';
export type { LogitsProcessor, RowView } from './processors.js';
export { generate, generateStream } from './generate.js';
export { fromHuggingFace } from './huggingface.js';
export { badWords, minNewTokens, noRepeatNgram, repetitionPenalty } from './processors.js';
export { temperature, topK, topP } from './warpers.js';
