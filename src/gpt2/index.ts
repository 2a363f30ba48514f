/** GPT-2 on onnxruntime: loading models in the Hub's layouts, the KV-cache engine, the text pipeline and chat. */
export { loadGpt2, Gpt2Pipeline, type Gpt2Output, type LoadGpt2Options } from './pipeline.js';
export { Gpt2Chat, CHAT_FORMAT, CHAT_VERSION, type ChatHistoryJSON, type ChatOptions, type ChatReply, type ChatTurn } from './chat.js';
export { loadGpt2Model, type Dtype, type LoadedModel, type LoadModelOptions } from './load.js';
export { Gpt2Model, Gpt2InputError } from './model.js';
export { Gpt2ConfigError, parseGpt2Config, type GenerationConfigJson, type Gpt2Config } from './config.js';
export { Gpt2LayoutError, type LayoutKind } from './layout.js';
export { ModelSourceError, openModelSource, type ModelFiles, type SourceOptions } from './source.js';
export { openFileSet, type BlobLike, type ModelFileSet, type NamedBlob } from './file-set.js';
export { BrowserCache, DownloadError, FolderCache, type DownloadCache, type DownloadProgress, type ProgressCallback } from './download.js';
export { hasWebGpuAdapter, webGpuAdapterKind, RuntimeError, type Backend, type Device } from './runtime.js';
