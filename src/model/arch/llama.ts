/**
 * The Llama family: Llama, Qwen2 and Qwen3 share one layer layout (RMSNorm, rotary attention with
 * grouped-query heads, SwiGLU MLP) and differ only in biases, per-head q/k norms and defaults.
 */
import type { ConfigFields } from '../config-fields.js';
import type { ArchFields, ArchName, ModelConfig, ParamSpec } from '../types.js';
import type { Value } from '../../onnx/index.js';
import { attention } from '../graphs/attention.js';
import { activate, embedRows, fusedProjection, linear, projections, rmsNorm } from '../graphs/layers.js';
import { architectures, type ArchGraph, type Architecture } from './registry.js';

/**
 * The rotary base. transformers 5 writes `rope_parameters: {rope_type, rope_theta}`; older configs
 * (most of the Hub) have a top-level `rope_theta` and optionally `rope_scaling`. Only plain rotary
 * embeddings are implemented, so any scaling type (linear, dynamic, yarn, llama3, ...) is refused.
 */
function readRopeTheta(f: ConfigFields, defaultTheta: number): number {
  const params = f.object('rope_parameters');
  if (params !== null) {
    checkRopeType(params);
    params.only('partial_rotary_factor', 1, 'partial rotary embeddings are not implemented');
    if (params.has('rope_theta')) return params.num('rope_theta');
  }
  const scaling = f.object('rope_scaling');
  if (scaling !== null) checkRopeType(scaling);
  return f.num('rope_theta', defaultTheta);
}

function checkRopeType(p: ConfigFields): void {
  const type = p.raw.rope_type ?? p.raw.type ?? 'default';
  if (type !== 'default') p.fail(`rope scaling type ${JSON.stringify(type)} is not supported (only default rotary embeddings)`);
}

/** Sliding-window and other non-full attention layers are not implemented. */
function requireFullAttention(f: ConfigFields): void {
  f.only('use_sliding_window', false, 'sliding-window attention is not implemented');
  const layerTypes = f.raw.layer_types;
  if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== 'full_attention')) {
    f.fail(`"layer_types" ${JSON.stringify([...new Set(layerTypes)])} is not supported (only full_attention)`);
  }
}

interface Variant {
  hfClass: string;
  /** q/k/v and o biases as the variant defines them from config.json */
  biases(f: ConfigFields): { qkv: boolean; output: boolean };
  qkNorm: boolean;
  /** whether config.json has an `attention_bias` option to write back */
  hasAttentionBiasOption: boolean;
}

function readConfig(f: ConfigFields, v: Variant): ArchFields {
  requireFullAttention(f);
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu' && act !== 'swish') f.fail(`"hidden_act": ${JSON.stringify(act)} is not supported (only silu)`);
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  const { qkv, output } = v.biases(f);
  return {
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    numLayers: f.int('num_hidden_layers'),
    numHeads,
    numKvHeads: f.int('num_key_value_heads', numHeads),
    headDim: f.int('head_dim', hiddenSize / numHeads),
    intermediateSize: f.int('intermediate_size'),
    norm: 'rms',
    normEps: f.num('rms_norm_eps', 1e-6),
    // 10000 is the default base of LlamaConfig, Qwen2Config and Qwen3Config alike.
    ropeTheta: readRopeTheta(f, 10000),
    maxPositionEmbeddings: f.int('max_position_embeddings', 2048),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    attentionBias: qkv,
    attentionOutputBias: output,
    mlpBias: f.bool('mlp_bias', false),
    qkNorm: v.qkNorm,
    gatedMlp: true,
    activation: 'silu',
  };
}

function writeConfig(c: ModelConfig, v: Variant): Record<string, unknown> {
  return {
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    intermediate_size: c.intermediateSize,
    hidden_act: 'silu',
    rms_norm_eps: c.normEps,
    // Both rope formats, so transformers 4 (top-level) and 5 (rope_parameters) read the same base.
    rope_theta: c.ropeTheta,
    rope_parameters: { rope_type: 'default', rope_theta: c.ropeTheta },
    max_position_embeddings: c.maxPositionEmbeddings,
    ...(v.hasAttentionBiasOption ? { attention_bias: c.attentionBias } : {}),
    mlp_bias: c.mlpBias,
  };
}

/** Parameters of one `nn.Linear`: weight [out, in] and optionally bias [out]. */
function linearParams(prefix: string, outFeatures: number, inFeatures: number, bias: boolean): ParamSpec[] {
  const params = [{ name: `${prefix}.weight`, dims: [outFeatures, inFeatures] }];
  if (bias) params.push({ name: `${prefix}.bias`, dims: [outFeatures] });
  return params;
}

function parameters(c: ModelConfig): ParamSpec[] {
  const h = c.hiddenSize;
  const qWidth = c.numHeads * c.headDim;
  const kvWidth = c.numKvHeads * c.headDim;
  const params: ParamSpec[] = [{ name: 'model.embed_tokens.weight', dims: [c.vocabSize, h] }];
  for (let i = 0; i < c.numLayers; i++) {
    const layer = `model.layers.${i}`;
    params.push(
      ...linearParams(`${layer}.self_attn.q_proj`, qWidth, h, c.attentionBias),
      ...linearParams(`${layer}.self_attn.k_proj`, kvWidth, h, c.attentionBias),
      ...linearParams(`${layer}.self_attn.v_proj`, kvWidth, h, c.attentionBias),
      ...linearParams(`${layer}.self_attn.o_proj`, h, qWidth, c.attentionOutputBias),
    );
    if (c.qkNorm) {
      // Qwen3 normalises each head separately, so the norm weights are one head wide.
      params.push(
        { name: `${layer}.self_attn.q_norm.weight`, dims: [c.headDim] },
        { name: `${layer}.self_attn.k_norm.weight`, dims: [c.headDim] },
      );
    }
    params.push(
      ...linearParams(`${layer}.mlp.gate_proj`, c.intermediateSize, h, c.mlpBias),
      ...linearParams(`${layer}.mlp.up_proj`, c.intermediateSize, h, c.mlpBias),
      ...linearParams(`${layer}.mlp.down_proj`, h, c.intermediateSize, c.mlpBias),
      { name: `${layer}.input_layernorm.weight`, dims: [h] },
      { name: `${layer}.post_attention_layernorm.weight`, dims: [h] },
    );
  }
  params.push({ name: 'model.norm.weight', dims: [h] });
  if (!c.tieWordEmbeddings) params.push({ name: 'lm_head.weight', dims: [c.vocabSize, h] });
  return params;
}

/** The family's decoder graph: pre-norm RMSNorm, rotary attention with grouped-query heads, SwiGLU MLP. */
const graph: ArchGraph = {
  embed: (ctx, ids) => embedRows(ctx.g, ctx.params.get('model.embed_tokens.weight'), ids, ctx.config.hiddenSize),
  layer(ctx, i, x, past) {
    const { g, config: c, params: p } = ctx;
    const at = `model.layers.${i}`;
    const norm = (h: Value, name: string): Value => rmsNorm(g, h, p.get(`${at}.${name}.weight`), c.normEps);
    const bias = (name: string): string | null => (c.attentionBias ? `${at}.self_attn.${name}.bias` : null);

    const h = norm(x, 'input_layernorm');
    const qkvSpecs = ['q_proj', 'k_proj', 'v_proj'].map((n) => ({ weight: `${at}.self_attn.${n}.weight`, bias: bias(n) }));
    const qkv = fusedProjection(g, p, h, qkvSpecs, 'out_in', `${at}.self_attn.qkv_proj`);
    const [q, k, v] = qkv ? [] : qkvSpecs.map((s) => linear(g, h, p.get(s.weight), s.bias === null ? null : p.get(s.bias), 'out_in'));
    const qkNorm = c.qkNorm
      ? { q: p.get(`${at}.self_attn.q_norm.weight`), k: p.get(`${at}.self_attn.k_norm.weight`), eps: c.normEps }
      : null;
    const attn = attention(g, qkv ? { qkv } : { q: q as Value, k: k as Value, v: v as Value }, ctx.bs, past, ctx.attention, c, qkNorm);
    const oBias = c.attentionOutputBias ? p.get(`${at}.self_attn.o_proj.bias`) : null;
    const x1 = g.add(x, linear(g, attn.out, p.get(`${at}.self_attn.o_proj.weight`), oBias, 'out_in'));

    const h2 = norm(x1, 'post_attention_layernorm');
    const mlpBias = (name: string): string | null => (c.mlpBias ? `${at}.mlp.${name}.bias` : null);
    const [gate, up] = projections(
      g,
      p,
      h2,
      ['gate_proj', 'up_proj'].map((n) => ({ weight: `${at}.mlp.${n}.weight`, bias: mlpBias(n) })),
      'out_in',
      `${at}.mlp.gate_up_proj`,
    ) as [Value, Value];
    const down = linear(
      g,
      // A recompute region: of the MLP's [N, I] tensors only gate and up are kept for the backward pass.
      g.recompute(() => g.mul(activate(g, gate, c.activation), up)),
      p.get(`${at}.mlp.down_proj.weight`),
      c.mlpBias ? p.get(`${at}.mlp.down_proj.bias`) : null,
      'out_in',
    );
    return { x: g.add(x1, down), present: attn.present };
  },
  finalNorm: (ctx, x) => rmsNorm(ctx.g, x, ctx.params.get('model.norm.weight'), ctx.config.normEps),
  lmHeadName: (c) => (c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'),
};

const variants: Record<'llama' | 'qwen2' | 'qwen3', Variant> = {
  // Llama's attention_bias adds biases to all four projections.
  llama: {
    hfClass: 'LlamaForCausalLM',
    biases: (f) => ({ qkv: f.bool('attention_bias', false), output: f.bool('attention_bias', false) }),
    qkNorm: false,
    hasAttentionBiasOption: true,
  },
  // Qwen2 always has q/k/v biases and never an o_proj bias; it has no attention_bias option.
  qwen2: { hfClass: 'Qwen2ForCausalLM', biases: () => ({ qkv: true, output: false }), qkNorm: false, hasAttentionBiasOption: false },
  qwen3: {
    hfClass: 'Qwen3ForCausalLM',
    biases: (f) => ({ qkv: f.bool('attention_bias', false), output: f.bool('attention_bias', false) }),
    qkNorm: true,
    hasAttentionBiasOption: true,
  },
};

for (const [name, variant] of Object.entries(variants) as [ArchName, Variant][]) {
  const entry: Architecture = {
    hfClass: variant.hfClass,
    readConfig: (f) => readConfig(f, variant),
    writeConfig: (c) => writeConfig(c, variant),
    parameters,
    canonicalName: (tensor) => tensor,
    isIgnorable: (tensor, c) =>
      /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(tensor) || (c.tieWordEmbeddings && tensor === 'lm_head.weight'),
    graph,
  };
  architectures.register(name, entry);
}
