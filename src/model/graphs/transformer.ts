/**
 * The transformer body every graph shares (decode, training, scoring): token (and learned
 * position) embeddings, the decoder layers, the final norm and the output projection. What varies
 * between architectures is registered per architecture in {@link archGraphs}.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { Registry } from '../../util/registry.js';
import type { ArchName, ModelConfig } from '../config.js';
import { type AttentionShared, type KeyValue, attention, attentionBias, rotaryTables } from './attention.js';
import { activate, fusedProjection, layerNorm, linear, projections, rmsNorm } from './layers.js';
import type { GraphParams } from './params.js';

/** What one architecture's layers read while building. */
export interface BodyContext {
  g: GraphBuilder;
  config: ModelConfig;
  params: GraphParams;
  /** [B, S] as an int64 tensor (the shape of input_ids) */
  bs: Value;
  attention: AttentionShared;
}

/** The parts of the graph that differ between architectures. */
export interface ArchGraph {
  /** Input rows [N, H] for token ids [B, S] at positions [B, S]. */
  embed(ctx: BodyContext, inputIds: Value, positionIds: Value): Value;
  /** One decoder layer on rows [N, H]; returns the new rows and the layer's cache entry. */
  layer(ctx: BodyContext, index: number, x: Value, past: KeyValue | null): { x: Value; present: KeyValue };
  /** The norm after the last layer. */
  finalNorm(ctx: BodyContext, x: Value): Value;
  /** Checkpoint name of the [V, H] output projection (the embedding when tied). */
  lmHeadName(config: ModelConfig): string;
}

export const archGraphs = new Registry<ArchName, ArchGraph>('architecture');

/** Rows [N, H] of embedding `name` at `ids` [B, S]. */
function embedRows(ctx: BodyContext, name: string, ids: Value): Value {
  const { g } = ctx;
  return g.reshape(g.gather(ctx.params.get(name), ids), [-1, ctx.config.hiddenSize]); // [N, H]
}

const llamaFamily: ArchGraph = {
  embed: (ctx, ids) => embedRows(ctx, 'model.embed_tokens.weight', ids),
  layer(ctx, i, x, past) {
    const { g, config: c, params: p } = ctx;
    const at = `model.layers.${i}`;
    const norm = (h: Value, name: string): Value => rmsNorm(g, h, p.get(`${at}.${name}.weight`), c.normEps);
    const bias = (name: string): string | null => (c.attentionBias ? `${at}.self_attn.${name}.bias` : null);

    const h = norm(x, 'input_layernorm');
    const qkvSpecs = ['q_proj', 'k_proj', 'v_proj'].map((n) => ({ weight: `${at}.self_attn.${n}.weight`, bias: bias(n) }));
    const qkv = fusedProjection(g, p, h, qkvSpecs, 'out_in', `${at}.self_attn.qkv_proj`);
    const [q, k, v] = qkv ? [] : qkvSpecs.map((s) => linear(g, h, p.get(s.weight), s.bias === null ? null : p.get(s.bias), 'out_in'));
    const qkNorm = c.qkNorm ? { q: p.get(`${at}.self_attn.q_norm.weight`), k: p.get(`${at}.self_attn.k_norm.weight`), eps: c.normEps } : null;
    const attn = attention(g, qkv ? { qkv } : { q: q as Value, k: k as Value, v: v as Value }, ctx.bs, past, ctx.attention, c, qkNorm);
    const oBias = c.attentionOutputBias ? p.get(`${at}.self_attn.o_proj.bias`) : null;
    const x1 = g.add(x, linear(g, attn.out, p.get(`${at}.self_attn.o_proj.weight`), oBias, 'out_in'));

    const h2 = norm(x1, 'post_attention_layernorm');
    const mlpBias = (name: string): string | null => (c.mlpBias ? `${at}.mlp.${name}.bias` : null);
    const [gate, up] = projections(g, p, h2, ['gate_proj', 'up_proj'].map((n) => ({ weight: `${at}.mlp.${n}.weight`, bias: mlpBias(n) })), 'out_in', `${at}.mlp.gate_up_proj`) as [Value, Value];
    const down = linear(g, g.mul(activate(g, gate, c.activation), up), p.get(`${at}.mlp.down_proj.weight`), c.mlpBias ? p.get(`${at}.mlp.down_proj.bias`) : null, 'out_in');
    return { x: g.add(x1, down), present: attn.present };
  },
  finalNorm: (ctx, x) => rmsNorm(ctx.g, x, ctx.params.get('model.norm.weight'), ctx.config.normEps),
  lmHeadName: (c) => (c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'),
};

archGraphs.register('llama', llamaFamily).register('qwen2', llamaFamily).register('qwen3', llamaFamily);

archGraphs.register('gpt2', {
  // Learned absolute positions: row position_ids of wpe added to the token embedding.
  embed: (ctx, ids, positions) => ctx.g.add(embedRows(ctx, 'transformer.wte.weight', ids), embedRows(ctx, 'transformer.wpe.weight', positions)),
  layer(ctx, i, x, past) {
    const { g, config: c, params: p } = ctx;
    const at = `transformer.h.${i}`;
    const norm = (h: Value, name: string): Value => layerNorm(g, h, p.get(`${at}.${name}.weight`), p.get(`${at}.${name}.bias`), c.normEps);
    const conv1d = (h: Value, name: string): Value => linear(g, h, p.get(`${at}.${name}.weight`), p.get(`${at}.${name}.bias`), 'in_out');

    // c_attn is q, k and v side by side along its output axis.
    const attn = attention(g, { qkv: conv1d(norm(x, 'ln_1'), 'attn.c_attn') }, ctx.bs, past, ctx.attention, c, null);
    const x1 = g.add(x, conv1d(attn.out, 'attn.c_proj'));
    const mlp = conv1d(activate(g, conv1d(norm(x1, 'ln_2'), 'mlp.c_fc'), c.activation), 'mlp.c_proj');
    return { x: g.add(x1, mlp), present: attn.present };
  },
  finalNorm: (ctx, x) => layerNorm(ctx.g, x, ctx.params.get('transformer.ln_f.weight'), ctx.params.get('transformer.ln_f.bias'), ctx.config.normEps),
  lmHeadName: (c) => (c.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight'),
});

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
  const arch = archGraphs.get(config.arch);
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
  return params.get(archGraphs.get(config.arch).lmHeadName(config));
}

/** Logit rows [N, V] for hidden rows [N, H]. */
export function lmHead(g: GraphBuilder, config: ModelConfig, params: GraphParams, hidden: Value): Value {
  return linear(g, hidden, params.get(archGraphs.get(config.arch).lmHeadName(config)), null, 'out_in');
}
