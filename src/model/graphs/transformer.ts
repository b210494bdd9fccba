/**
 * The transformer body every graph shares (decode, training, scoring): token (and learned
 * position) embeddings, the decoder layers, the final norm and the output projection. What varies
 * between architectures is each architecture's `graph` in the one architecture registry (arch/).
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { architectures, type BodyContext } from '../arch/index.js';
import type { ModelConfig } from '../types.js';
import { type KeyValue, attentionBias, rotaryTables } from './attention.js';
import { linear } from './layers.js';
import type { GraphParams } from './params.js';

/** Inputs of the body. */
export interface BodyInputs {
  /** [B, S] int64 */
  inputIds: Value;
  /** [B, S] int64 */
  positionIds: Value;
  /** [B, P+S] int64, 1 for real tokens and 0 for padding */
  attentionMask: Value;
  /** per layer [B, kvh, P, hd], or null without a cache (training graphs) */
  past: KeyValue[] | null;
  /** return only the new cache entries as `presents` (see the decode graph's `cacheOutputs`) */
  appendOnly?: boolean;
}

/** The final hidden state as rows [N, H] (after the final norm) and each layer's cache entry (or new entries). */
export interface BodyOutputs {
  hidden: Value;
  presents: KeyValue[];
}

/** Builds the decoder stack. */
export function transformerBody(g: GraphBuilder, config: ModelConfig, params: GraphParams, inputs: BodyInputs): BodyOutputs {
  const arch = architectures.get(config.arch).graph;
  const rep = config.numHeads / config.numKvHeads;
  const ctx: BodyContext = {
    g,
    config,
    params,
    bs: g.shape(inputs.inputIds),
    attention: {
      appendOnly: inputs.appendOnly === true,
      bias: attentionBias(g, inputs.inputIds, inputs.attentionMask, rep),
      rotary: config.ropeTheta === null ? null : rotaryTables(g, inputs.positionIds, config.headDim, config.ropeTheta),
    },
  };
  let x = arch.embed(ctx, inputs.inputIds, inputs.positionIds);
  const presents: KeyValue[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const out = arch.layer(ctx, i, x, inputs.past?.[i] ?? null);
    x = out.x;
    presents.push(out.present);
  }
  return { hidden: arch.finalNorm(ctx, x), presents };
}

/** The [V, H] output projection as a graph value (the embedding when tied). */
export function lmHeadWeight(config: ModelConfig, params: GraphParams): Value {
  return params.get(architectures.get(config.arch).graph.lmHeadName(config));
}

/** Logit rows [N, V] for hidden rows [N, H]. */
export function lmHead(g: GraphBuilder, config: ModelConfig, params: GraphParams, hidden: Value): Value {
  return linear(g, hidden, params.get(architectures.get(config.arch).graph.lmHeadName(config)), null, 'out_in');
}
