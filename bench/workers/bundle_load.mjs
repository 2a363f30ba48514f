// Time to import the core bundle and instantiate its WASM kernels (a tiny RNN model), measured from
// this fresh process's time origin; one process per sample, so that nothing is already compiled.
const url = process.argv[2];
const t0 = performance.now();
const lib = await import(url);
const t1 = performance.now();
if (typeof lib.RNNModel?.create !== 'function') {
  throw new Error(`${url} exports no RNNModel.create (exports: ${Object.keys(lib).join(', ')})`);
}
await lib.RNNModel.create({ cell: 'lstm', vocabSize: 64, embedSize: 16, hiddenSize: 32, numLayers: 1 }, { seed: 1 });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, instantiateMs: t2 - t1, totalMs: t2 - t0 }) + '\n');
