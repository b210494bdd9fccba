/**
 * GPT-2: LayerNorm with biases, learned absolute positions, fused q/k/v projection, GELU MLP,
 * and `Conv1D` layers, which are linear layers stored transposed (weight [in, out]).
 */
import type { ConfigFields } from '../config-fields.js';
import type { Activation, ArchFields, ModelConfig, ParamSpec } from '../types.js';
import type { Value } from '../../onnx/index.js';
import { attention } from '../graphs/attention.js';
import { activate, embedRows, layerNorm, linear } from '../graphs/layers.js';
import { architectures, type ArchGraph } from './registry.js';

/** GPT-2's activation names (transformers ACT2FN) mapped to what they compute; the first of each is written. */
const activations: Record<string, Activation> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu: 'gelu',
};

function readConfig(f: ConfigFields): ArchFields {
  f.only('add_cross_attention', false, 'GPT-2 as an encoder-decoder is not supported');
  f.only('scale_attn_by_inverse_layer_idx', false, 'per-layer attention scaling is not implemented');
  f.only('scale_attn_weights', true, 'unscaled attention is not implemented');
  const hiddenSize = f.int('n_embd');
  const numHeads = f.int('n_head');
  if (hiddenSize % numHeads !== 0) f.fail(`"n_embd" ${hiddenSize} is not divisible by "n_head" ${numHeads}`);
  const actName = f.str('activation_function', 'gelu_new');
  const activation =
    activations[actName] ??
    f.fail(`"activation_function": ${JSON.stringify(actName)} is not supported (valid: ${Object.keys(activations).join(', ')})`);
  return {
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    numLayers: f.int('n_layer'),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: f.int('n_inner', 4 * hiddenSize),
    norm: 'layer',
    normEps: f.num('layer_norm_epsilon', 1e-5),
    ropeTheta: null,
    maxPositionEmbeddings: f.int('n_positions', 1024),
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    attentionBias: true,
    attentionOutputBias: true,
    mlpBias: true,
    qkNorm: false,
    gatedMlp: false,
    activation,
  };
}

function writeConfig(c: ModelConfig): Record<string, unknown> {
  return {
    vocab_size: c.vocabSize,
    n_embd: c.hiddenSize,
    n_layer: c.numLayers,
    n_head: c.numHeads,
    n_inner: c.intermediateSize,
    n_positions: c.maxPositionEmbeddings,
    layer_norm_epsilon: c.normEps,
    activation_function: Object.keys(activations).find((name) => activations[name] === c.activation),
  };
}

/** `Conv1D`: weight [in, out], bias [out]. */
function conv1d(prefix: string, inFeatures: number, outFeatures: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, dims: [inFeatures, outFeatures] },
    { name: `${prefix}.bias`, dims: [outFeatures] },
  ];
}

function layerNormParams(prefix: string, width: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, dims: [width] },
    { name: `${prefix}.bias`, dims: [width] },
  ];
}

function parameters(c: ModelConfig): ParamSpec[] {
  const h = c.hiddenSize;
  const params: ParamSpec[] = [
    { name: 'transformer.wte.weight', dims: [c.vocabSize, h] },
    { name: 'transformer.wpe.weight', dims: [c.maxPositionEmbeddings, h] },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const block = `transformer.h.${i}`;
    params.push(
      ...layerNormParams(`${block}.ln_1`, h),
      ...conv1d(`${block}.attn.c_attn`, h, 3 * h), // [h, 3h]: q, k and v side by side along the output axis
      ...conv1d(`${block}.attn.c_proj`, h, h),
      ...layerNormParams(`${block}.ln_2`, h),
      ...conv1d(`${block}.mlp.c_fc`, h, c.intermediateSize),
      ...conv1d(`${block}.mlp.c_proj`, c.intermediateSize, h),
    );
  }
  params.push(...layerNormParams('transformer.ln_f', h));
  if (!c.tieWordEmbeddings) params.push({ name: 'lm_head.weight', dims: [c.vocabSize, h] });
  return params;
}

/** GPT-2's decoder graph: learned positions, pre-norm LayerNorm, fused c_attn, GELU MLP (Conv1D weights are [in, out]). */
const graph: ArchGraph = {
  // Learned absolute positions: row position_ids of wpe added to the token embedding.
  embed: (ctx, ids, positions) => {
    const rows = (name: string, at: Value): Value => embedRows(ctx.g, ctx.params.get(name), at, ctx.config.hiddenSize);
    return ctx.g.add(rows('transformer.wte.weight', ids), rows('transformer.wpe.weight', positions));
  },
  layer(ctx, i, x, past) {
    const { g, config: c, params: p } = ctx;
    const at = `transformer.h.${i}`;
    const norm = (h: Value, name: string): Value => layerNorm(g, h, p.get(`${at}.${name}.weight`), p.get(`${at}.${name}.bias`), c.normEps);
    const conv1d = (h: Value, name: string): Value => linear(g, h, p.get(`${at}.${name}.weight`), p.get(`${at}.${name}.bias`), 'in_out');

    // c_attn is q, k and v side by side along its output axis.
    const attn = attention(g, { qkv: conv1d(norm(x, 'ln_1'), 'attn.c_attn') }, ctx.bs, past, ctx.attention, c, null);
    const x1 = g.add(x, conv1d(attn.out, 'attn.c_proj'));
    const fc = conv1d(norm(x1, 'ln_2'), 'mlp.c_fc');
    // The activation is a recompute region: of its [N, 4H] tensors only its input is kept for the backward pass.
    const mlp = conv1d(
      g.recompute(() => activate(g, fc, c.activation)),
      'mlp.c_proj',
    );
    return { x: g.add(x1, mlp), present: attn.present };
  },
  finalNorm: (ctx, x) =>
    layerNorm(ctx.g, x, ctx.params.get('transformer.ln_f.weight'), ctx.params.get('transformer.ln_f.bias'), ctx.config.normEps),
  lmHeadName: (c) => (c.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight'),
};

architectures.register('gpt2', {
  hfClass: 'GPT2LMHeadModel',
  readConfig,
  writeConfig,
  parameters,
  // The original OpenAI checkpoints on the Hub name tensors `h.0.ln_1.weight`, `wte.weight`, ...
  canonicalName: (name) => (/^(wte|wpe|h\.\d+|ln_f)\./.test(name) ? `transformer.${name}` : name),
  // attn.bias / attn.masked_bias are causal-mask buffers that older transformers saved with the weights.
  isIgnorable: (name, c) =>
    /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/.test(name) || (c.tieWordEmbeddings && name === 'lm_head.weight'),
  graph,
});
