/**
 * A new model from scratch: a Hugging Face config.json for the chosen architecture and randomly
 * initialised parameters, as transformers initialises them (normal(0, 0.02) for matrices and
 * embeddings, ones for norm gains, zeros for biases), so `introspect pretrain` saves an ordinary
 * model folder.
 */
import { streamFor } from '../util/rng.js';
import type { ParamMap } from './checkpoint.js';
import { parseModelConfig, type ArchName, type ModelConfig } from './config.js';
import { expectedParameters } from './parameters.js';

export interface NewModelSpec {
  arch: ArchName;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  maxPositions: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
}

/** The config.json transformers would write for such a model (tied embeddings: small models need every parameter). */
export function newModelConfigJson(spec: NewModelSpec): Record<string, unknown> {
  const ids = { bos_token_id: spec.bosTokenId, eos_token_id: spec.eosTokenId, pad_token_id: spec.padTokenId };
  if (spec.arch === 'gpt2') {
    return {
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: spec.vocabSize,
      n_embd: spec.hiddenSize,
      n_layer: spec.layers,
      n_head: spec.heads,
      n_inner: spec.intermediateSize,
      n_positions: spec.maxPositions,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true,
      ...ids,
    };
  }
  const classes = { qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM', llama: 'LlamaForCausalLM' } as const;
  return {
    model_type: spec.arch,
    architectures: [classes[spec.arch]],
    vocab_size: spec.vocabSize,
    hidden_size: spec.hiddenSize,
    intermediate_size: spec.intermediateSize,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    head_dim: spec.hiddenSize / spec.heads,
    max_position_embeddings: spec.maxPositions,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: true,
    attention_bias: false,
    use_sliding_window: false,
    torch_dtype: 'float32',
    ...ids,
  };
}

export function newModelConfig(spec: NewModelSpec): ModelConfig {
  return parseModelConfig(newModelConfigJson(spec), 'new model config');
}

/** Random parameters for `config`, reproducible from `seed`. */
export function initParameters(config: ModelConfig, seed: number, std = 0.02): ParamMap {
  const params: ParamMap = new Map();
  expectedParameters(config).forEach((p, index) => {
    const size = p.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const isNorm = /norm|ln_/.test(p.name) && p.name.endsWith('weight');
    if (isNorm) data.fill(1);
    else if (!p.name.endsWith('.bias')) {
      const rng = streamFor(seed, 0x696e6974, index);
      for (let i = 0; i < size; i++) data[i] = std * rng.normal();
    }
    params.set(p.name, { data, dims: [...p.dims] });
  });
  return params;
}
