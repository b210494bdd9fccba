/**
 * Symbolic dimension names of the graphs' inputs and outputs: Optimum's, which
 * transformers.js reads to build the first (empty) cache as [batch_size, kv_heads, 0, head_dim].
 */
export const DECODE_DIMS = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  past: 'past_sequence_length',
  total: 'past_sequence_length + sequence_length',
} as const;
