// Every kernel the host can call. The module imports nothing and allocates nothing: the host
// owns the memory above heap_base() and passes pointers (byte offsets) and dimensions.

export { gemm_nn, gemm_nt, gemm_tn, gemm_reference, gemm_scratch_floats, gemm_packed_floats, gemm_pack_nn, gemm_pack_nt, gemm_packed } from './gemm';
export { recurrent_packed_floats } from './recurrent';
export { embedding_forward, embedding_backward } from './embedding';
export { bias_forward, bias_backward } from './bias';
export { rnn_forward, rnn_backward } from './rnn';
export { lstm_forward, lstm_backward } from './lstm';
export { gru_forward, gru_backward } from './gru';
export { xent_forward, xent_backward, head_forward, head_backward } from './xent';
export { adam_step, adam_rows, sum_squares, scale } from './adam';
export { fma_peak } from './peak';
export { threads_control_bytes, threads_configure, thread_run } from './threads';

/** First byte the host may use: everything below belongs to the module's static data. */
export function heap_base(): usize {
  return __heap_base;
}
