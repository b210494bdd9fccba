/**
 * The model layer's shared types, with no imports of their own beyond a tensor type: the normalised
 * config every builder reads, the parameter lists and maps. A leaf, so the architectures (arch/), the
 * config reader and the graph builders can all name these types without importing each other.
 */
import type { FloatTensor } from './safetensors.js';

import type { ArchName } from '../config/names.js';
export type { ArchName };

/** `silu` = x·sigmoid(x); `gelu_tanh` = GPT-2's `gelu_new` tanh approximation; `gelu` = the exact erf form. */
export type Activation = 'silu' | 'gelu_tanh' | 'gelu';

export interface ModelConfig {
  arch: ArchName;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** key/value heads; fewer than `numHeads` is grouped-query attention (1 = multi-query) */
  numKvHeads: number;
  /** per-head width; not always hiddenSize / numHeads (Qwen3 decouples them) */
  headDim: number;
  /** width of the MLP's inner layer */
  intermediateSize: number;
  /** `rms`: x / rms(x) · w (Llama family); `layer`: (x - mean) / std · w + b (GPT-2) */
  norm: 'rms' | 'layer';
  /** epsilon inside the norm's square root (`rms_norm_eps` or `layer_norm_epsilon`) */
  normEps: number;
  /** rotary embedding base θ; null where positions are learned embeddings (GPT-2) */
  ropeTheta: number | null;
  /** longest sequence the position scheme was configured for (GPT-2: rows of `wpe`) */
  maxPositionEmbeddings: number;
  /** the output projection reuses the token embedding matrix (no separate `lm_head.weight`) */
  tieWordEmbeddings: boolean;
  /** q/k/v projections have biases (always for Qwen2 and GPT-2) */
  attentionBias: boolean;
  /** the attention output projection has a bias */
  attentionOutputBias: boolean;
  /** MLP projections have biases */
  mlpBias: boolean;
  /** per-head RMS norms on queries and keys before rotary embedding (Qwen3) */
  qkNorm: boolean;
  /** `down(act(gate(x)) · up(x))` (SwiGLU) when true; `proj(act(fc(x)))` when false */
  gatedMlp: boolean;
  activation: Activation;
  bosTokenId: number | null;
  /** generation stops at any of these; from generation_config.json when it names any */
  eosTokenIds: number[];
  padTokenId: number | null;
  /** config.json as read, kept so a saved checkpoint carries every field transformers needs */
  raw: Record<string, unknown>;
}

/** The token ids of `generation_config.json`, plus the file as read. */
export interface GenerationConfig {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  raw: Record<string, unknown>;
}

/** The fields an architecture reads from config.json (token ids and the raw file are shared). */
export type ArchFields = Omit<ModelConfig, 'arch' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'raw'>;

export interface ParamSpec {
  /** the tensor name in the checkpoint, e.g. `model.layers.0.self_attn.q_proj.weight` */
  name: string;
  dims: number[];
}

/** Parameter tensors by checkpoint name. */
export type ParamMap = Map<string, FloatTensor>;
