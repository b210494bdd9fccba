/**
 * The decode graph: prefill and incremental decoding in one graph over a key/value cache, with
 * the input and output names of Hugging Face's ONNX exports (see README.md in this folder).
 * A prefill passes an empty cache (P = 0); a decode step passes S = 1.
 */
import { GraphBuilder, type Graph, type Value } from '../../onnx/index.js';
import { expectedParameters } from '../parameters.js';
import type { KeyValue } from './attention.js';
import { GraphParams, type ParamSelection, selectParams } from './params.js';
import type { ModelWeights } from './train-graphs.js';
import { lmHead, transformerBody } from './transformer.js';
import { DECODE_DIMS } from './dims.js';

export interface DecodeGraphOptions {
  /**
   * Parameters that become graph inputs named as in the checkpoint instead of being stored in
   * the graph, so a trainer can feed updated weights without rebuilding the session. Default none.
   */
  paramInputs?: ParamSelection;
  /**
   * Compute `logits` for the last position only ([B, 1, V] instead of [B, S, V]): a prefill then
   * skips S-1 output projections, which dominate for large vocabularies. Default false.
   */
  lastLogitsOnly?: boolean;
  /**
   * `full` (default, Hugging Face's contract): outputs `present.{i}.key/value` [B, kvh, P+S, hd],
   * the cache with the new entries appended. `new`: outputs only the new entries as
   * `new_key_values.{i}.key/value` [B, kvh, S, hd] and reads the cache without copying it, for
   * callers that keep the cache themselves (DecodeSession): a full cache as an output is
   * copied out of ONNX Runtime at every step, which dominates a decode step's time once the
   * cache is longer than a few dozen tokens. With `new`, `past_key_values` may hold unused
   * slots (capacity), which `attention_mask` marks 0.
   */
  cacheOutputs?: 'full' | 'new';
  /**
   * Also output `entropy` [B, S] ([B, 1] with `lastLogitsOnly`): the entropy in nats of
   * softmax(logits) at each position, computed by ONNX Runtime's vectorised kernels instead of a
   * JavaScript loop over the vocabulary per row (at V = 152k that loop was a fifth of a rollout).
   * Default false.
   */
  entropyOutput?: boolean;
}

export { DECODE_DIMS } from './dims.js';

/** Names of the cache inputs and outputs of layer `i`. */
export const pastKeyName = (i: number): string => `past_key_values.${i}.key`;
export const pastValueName = (i: number): string => `past_key_values.${i}.value`;
export const presentKeyName = (i: number): string => `present.${i}.key`;
export const presentValueName = (i: number): string => `present.${i}.value`;
export const newKeyName = (i: number): string => `new_key_values.${i}.key`;
export const newValueName = (i: number): string => `new_key_values.${i}.value`;

export function buildDecodeGraph(model: ModelWeights, opts: DecodeGraphOptions = {}): Graph {
  const { config } = model;
  const { batch, sequence, past: pastDim, total } = DECODE_DIMS;
  const g = new GraphBuilder(`${config.arch}_decode`);
  const inputIds = g.input('input_ids', 'int64', [batch, sequence]);
  const attentionMask = g.input('attention_mask', 'int64', [batch, total]);
  const positionIds = g.input('position_ids', 'int64', [batch, sequence]);
  const kvShape = [batch, config.numKvHeads, pastDim, config.headDim];
  const past: KeyValue[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    past.push({ key: g.input(pastKeyName(i), 'float32', kvShape), value: g.input(pastValueName(i), 'float32', kvShape) });
  }
  const inputParams = selectParams(
    expectedParameters(config).map((p) => p.name),
    opts.paramInputs ?? 'none',
  );
  const params = new GraphParams(g, model.params, inputParams);

  const appendOnly = opts.cacheOutputs === 'new';
  const body = transformerBody(g, config, params, { inputIds, positionIds, attentionMask, past, appendOnly });
  const H = config.hiddenSize;
  const V = config.vocabSize;
  const lastHidden = g.reshape(body.hidden, g.concat([g.shape(inputIds), g.constant([H], 'int64')], { axis: 0 })); // [B, S, H]
  let logits: Value;
  if (opts.lastLogitsOnly) {
    const last = g.reshape(g.slice(lastHidden, { starts: [-1], ends: [2 ** 31 - 1], axes: [1] }), [-1, H]); // [B, H]
    logits = g.reshape(lmHead(g, config, params, last), [-1, 1, V]); // [B, 1, V]
  } else {
    logits = g.reshape(lmHead(g, config, params, body.hidden), g.concat([g.shape(inputIds), g.constant([V], 'int64')], { axis: 0 })); // [B, S, V]
  }
  g.output(logits, 'logits');
  g.output(lastHidden, 'last_hidden');
  if (opts.entropyOutput) {
    const logSoftmax = g.logSoftmax(logits, { axis: -1 });
    g.output(g.neg(g.reduceSum(g.mul(g.exp(logSoftmax), logSoftmax), { axes: [-1], keepdims: false })), 'entropy');
  }
  body.presents.forEach((kv, i) => {
    g.output(kv.key, appendOnly ? newKeyName(i) : presentKeyName(i));
    g.output(kv.value, appendOnly ? newValueName(i) : presentValueName(i));
  });
  return g.build();
}
