/**
 * The trainable parameters each architecture expects, named exactly as in Hugging Face checkpoints
 * and shaped as transformers stores them: `nn.Linear` weights are [out, in]; GPT-2's `Conv1D`
 * weights are [in, out]. The order is transformers' `named_parameters()` order, which is also the
 * order of the fixtures' `reference.json`.
 *
 * Checkpoints also carry tensors that are not parameters: GPT-2's causal-mask buffers
 * (`attn.bias`, `attn.masked_bias`), old rotary `inv_freq` buffers, and a duplicate `lm_head.weight`
 * where embeddings are tied. Those are recognised by {@link ArchParameters.isIgnorable} and dropped.
 */
import { Registry } from '../util/registry.js';
import type { ArchName, ModelConfig } from './config.js';

export interface ParamSpec {
  /** the tensor name in the checkpoint, e.g. `model.layers.0.self_attn.q_proj.weight` */
  name: string;
  dims: number[];
}

export interface ArchParameters {
  /** expected parameters, in transformers' order */
  list(config: ModelConfig): ParamSpec[];
  /** the canonical name for a checkpoint tensor name (older GPT-2 files omit `transformer.`) */
  canonicalName(name: string): string;
  /** tensors a checkpoint may contain that are not parameters (buffers, tied duplicates) */
  isIgnorable(name: string, config: ModelConfig): boolean;
}

export const archParameters = new Registry<ArchName, ArchParameters>('architecture');

/** Parameters of one `nn.Linear`: weight [out, in] and optionally bias [out]. */
function linear(prefix: string, outFeatures: number, inFeatures: number, bias: boolean): ParamSpec[] {
  const params = [{ name: `${prefix}.weight`, dims: [outFeatures, inFeatures] }];
  if (bias) params.push({ name: `${prefix}.bias`, dims: [outFeatures] });
  return params;
}

const llamaFamily: ArchParameters = {
  list(c) {
    const h = c.hiddenSize;
    const qWidth = c.numHeads * c.headDim;
    const kvWidth = c.numKvHeads * c.headDim;
    const params: ParamSpec[] = [{ name: 'model.embed_tokens.weight', dims: [c.vocabSize, h] }];
    for (let i = 0; i < c.numLayers; i++) {
      const layer = `model.layers.${i}`;
      params.push(
        ...linear(`${layer}.self_attn.q_proj`, qWidth, h, c.attentionBias),
        ...linear(`${layer}.self_attn.k_proj`, kvWidth, h, c.attentionBias),
        ...linear(`${layer}.self_attn.v_proj`, kvWidth, h, c.attentionBias),
        ...linear(`${layer}.self_attn.o_proj`, h, qWidth, c.attentionOutputBias),
      );
      if (c.qkNorm) {
        // Qwen3 normalises each head separately, so the norm weights are one head wide.
        params.push(
          { name: `${layer}.self_attn.q_norm.weight`, dims: [c.headDim] },
          { name: `${layer}.self_attn.k_norm.weight`, dims: [c.headDim] },
        );
      }
      params.push(
        ...linear(`${layer}.mlp.gate_proj`, c.intermediateSize, h, c.mlpBias),
        ...linear(`${layer}.mlp.up_proj`, c.intermediateSize, h, c.mlpBias),
        ...linear(`${layer}.mlp.down_proj`, h, c.intermediateSize, c.mlpBias),
        { name: `${layer}.input_layernorm.weight`, dims: [h] },
        { name: `${layer}.post_attention_layernorm.weight`, dims: [h] },
      );
    }
    params.push({ name: 'model.norm.weight', dims: [h] });
    if (!c.tieWordEmbeddings) params.push({ name: 'lm_head.weight', dims: [c.vocabSize, h] });
    return params;
  },
  canonicalName: (name) => name,
  isIgnorable: (name, c) => /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(name) || (c.tieWordEmbeddings && name === 'lm_head.weight'),
};

archParameters.register('llama', llamaFamily).register('qwen2', llamaFamily).register('qwen3', llamaFamily);

/** GPT-2's `Conv1D` is a linear layer stored transposed: weight [in, out], bias [out]. */
function conv1d(prefix: string, inFeatures: number, outFeatures: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, dims: [inFeatures, outFeatures] },
    { name: `${prefix}.bias`, dims: [outFeatures] },
  ];
}

function layerNorm(prefix: string, width: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, dims: [width] },
    { name: `${prefix}.bias`, dims: [width] },
  ];
}

archParameters.register('gpt2', {
  list(c) {
    const h = c.hiddenSize;
    const params: ParamSpec[] = [
      { name: 'transformer.wte.weight', dims: [c.vocabSize, h] },
      { name: 'transformer.wpe.weight', dims: [c.maxPositionEmbeddings, h] },
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const block = `transformer.h.${i}`;
      params.push(
        ...layerNorm(`${block}.ln_1`, h),
        ...conv1d(`${block}.attn.c_attn`, h, 3 * h), // q, k and v side by side along the output axis
        ...conv1d(`${block}.attn.c_proj`, h, h),
        ...layerNorm(`${block}.ln_2`, h),
        ...conv1d(`${block}.mlp.c_fc`, h, c.intermediateSize),
        ...conv1d(`${block}.mlp.c_proj`, c.intermediateSize, h),
      );
    }
    params.push(...layerNorm('transformer.ln_f', h));
    if (!c.tieWordEmbeddings) params.push({ name: 'lm_head.weight', dims: [c.vocabSize, h] });
    return params;
  },
  // The original OpenAI checkpoints on the Hub name tensors `h.0.ln_1.weight`, `wte.weight`, ...
  canonicalName: (name) => (/^(wte|wpe|h\.\d+|ln_f)\./.test(name) ? `transformer.${name}` : name),
  isIgnorable: (name, c) => /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/.test(name) || (c.tieWordEmbeddings && name === 'lm_head.weight'),
});

export function expectedParameters(config: ModelConfig): ParamSpec[] {
  return archParameters.get(config.arch).list(config);
}
