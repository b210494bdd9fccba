/**
 * `config.json` of the supported Hugging Face causal LMs, normalised into one {@link ModelConfig}
 * that the graph builders read, whatever the architecture calls its fields (GPT-2's `n_embd` is
 * Llama's `hidden_size`). Each architecture registers a reader; anything a reader cannot represent
 * faithfully (rope scaling, sliding windows, unknown activations) is refused with a one-line
 * {@link UserError} instead of being silently computed differently from transformers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { Registry } from '../util/registry.js';

export type ArchName = 'qwen2' | 'qwen3' | 'llama' | 'gpt2';

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

type ArchFields = Omit<ModelConfig, 'arch' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'raw'>;

/** Reads one architecture's fields from a raw config.json. */
export type ConfigReader = (fields: ConfigFields) => ArchFields;

export const configReaders = new Registry<ArchName, ConfigReader>('model_type');

/**
 * Typed access to a raw config object; every failure names the file and the key.
 * Absent and `null` both count as missing (transformers writes `null` for unset options).
 */
export class ConfigFields {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly source: string,
  ) {}

  fail(problem: string): never {
    throw new UserError(`${this.source}: ${problem}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const value = this.raw[key] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      this.fail(value === undefined ? `missing "${key}"` : `"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value as number;
  }

  num(key: string, fallback?: number): number {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(value === undefined ? `missing "${key}"` : `"${key}" must be a positive number, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  str(key: string, fallback: string): string {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'string') this.fail(`"${key}" must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Fails unless `key` is absent, null or equal to `allowed` (an option introspect does not implement). */
  only(key: string, allowed: unknown, why: string): void {
    if (this.has(key) && this.raw[key] !== allowed) this.fail(`"${key}": ${JSON.stringify(this.raw[key])} is not supported (${why})`);
  }
}

/**
 * The rotary base. transformers 5 writes `rope_parameters: {rope_type, rope_theta}`; older configs
 * (most of the Hub) have a top-level `rope_theta` and optionally `rope_scaling`. Only plain rotary
 * embeddings are implemented, so any scaling type (linear, dynamic, yarn, llama3, ...) is refused.
 */
function readRope(f: ConfigFields, defaultTheta: number): number {
  const params = f.raw.rope_parameters;
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) f.fail('"rope_parameters" must be an object');
    const p = new ConfigFields(params as Record<string, unknown>, `${f.source} rope_parameters`);
    checkRopeType(p);
    p.only('partial_rotary_factor', 1, 'partial rotary embeddings are not implemented');
    if (p.has('rope_theta')) return p.num('rope_theta');
  }
  const scaling = f.raw.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    if (typeof scaling !== 'object' || Array.isArray(scaling)) f.fail('"rope_scaling" must be an object or null');
    checkRopeType(new ConfigFields(scaling as Record<string, unknown>, `${f.source} rope_scaling`));
  }
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

function siluOnly(f: ConfigFields): Activation {
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu' && act !== 'swish') f.fail(`"hidden_act": ${JSON.stringify(act)} is not supported (only silu)`);
  return 'silu';
}

/** Shared by the Llama family: Llama, Qwen2 and Qwen3 differ only in biases, q/k norms and defaults. */
function llamaFamily(f: ConfigFields, opts: { qkvBias: boolean; outputBias: boolean; qkNorm: boolean; defaultTheta: number }): ArchFields {
  requireFullAttention(f);
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
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
    ropeTheta: readRope(f, opts.defaultTheta),
    maxPositionEmbeddings: f.int('max_position_embeddings', 2048),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    attentionBias: opts.qkvBias,
    attentionOutputBias: opts.outputBias,
    mlpBias: f.bool('mlp_bias', false),
    qkNorm: opts.qkNorm,
    gatedMlp: true,
    activation: siluOnly(f),
  };
}

configReaders.register('llama', (f) => {
  const bias = f.bool('attention_bias', false);
  return llamaFamily(f, { qkvBias: bias, outputBias: bias, qkNorm: false, defaultTheta: 10000 });
});

// Qwen2 always has q/k/v biases and never an o_proj bias; it has no attention_bias option.
configReaders.register('qwen2', (f) =>
  llamaFamily(f, { qkvBias: true, outputBias: false, qkNorm: false, defaultTheta: 10000 }),
);

configReaders.register('qwen3', (f) => {
  const bias = f.bool('attention_bias', false);
  return llamaFamily(f, { qkvBias: bias, outputBias: bias, qkNorm: true, defaultTheta: 10000 });
});

/** GPT-2's activation names (transformers ACT2FN) mapped to what they compute. */
const gpt2Activations: Record<string, Activation> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu: 'gelu',
};

configReaders.register('gpt2', (f) => {
  f.only('add_cross_attention', false, 'GPT-2 as an encoder-decoder is not supported');
  f.only('scale_attn_by_inverse_layer_idx', false, 'per-layer attention scaling is not implemented');
  f.only('scale_attn_weights', true, 'unscaled attention is not implemented');
  const hiddenSize = f.int('n_embd');
  const numHeads = f.int('n_head');
  if (hiddenSize % numHeads !== 0) f.fail(`"n_embd" ${hiddenSize} is not divisible by "n_head" ${numHeads}`);
  const actName = f.str('activation_function', 'gelu_new');
  const activation = gpt2Activations[actName] ?? f.fail(`"activation_function": ${JSON.stringify(actName)} is not supported (valid: ${Object.keys(gpt2Activations).join(', ')})`);
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
});

/** A token id field that may be absent, null, one id or a list of ids. */
function tokenIds(f: ConfigFields, key: string): number[] {
  const value = f.raw[key];
  if (value === undefined || value === null) return [];
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => Number.isSafeInteger(id) && id >= 0)) f.fail(`"${key}" must be a token id or a list of them, got ${JSON.stringify(value)}`);
  return ids as number[];
}

function singleTokenId(f: ConfigFields, key: string): number | null {
  const ids = tokenIds(f, key);
  if (ids.length > 1) f.fail(`"${key}" must be a single token id, got ${JSON.stringify(f.raw[key])}`);
  return ids[0] ?? null;
}

function asObject(json: unknown, source: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${source}: expected a JSON object`);
  return json as Record<string, unknown>;
}

export function parseGenerationConfig(json: unknown, source = 'generation_config.json'): GenerationConfig {
  const f = new ConfigFields(asObject(json, source), source);
  return {
    bosTokenId: singleTokenId(f, 'bos_token_id'),
    eosTokenIds: tokenIds(f, 'eos_token_id'),
    padTokenId: singleTokenId(f, 'pad_token_id'),
    raw: f.raw,
  };
}

/**
 * Normalises a parsed config.json. Token ids from `generation` (generation_config.json) take
 * precedence, as they do in transformers' `generate`.
 */
export function parseModelConfig(json: unknown, source = 'config.json', generation?: GenerationConfig | null): ModelConfig {
  const f = new ConfigFields(asObject(json, source), source);
  const modelType = f.raw.model_type;
  if (typeof modelType !== 'string') f.fail('missing "model_type"');
  if (!configReaders.has(modelType)) {
    f.fail(`model_type ${JSON.stringify(modelType)} is not supported (valid: ${configReaders.names().join(', ')})`);
  }
  const fields = configReaders.get(modelType)(f);
  if (fields.numHeads % fields.numKvHeads !== 0) {
    f.fail(`${fields.numHeads} attention heads cannot be shared evenly by ${fields.numKvHeads} key/value heads`);
  }
  const eos = tokenIds(f, 'eos_token_id');
  return {
    arch: modelType,
    ...fields,
    bosTokenId: generation?.bosTokenId ?? singleTokenId(f, 'bos_token_id'),
    eosTokenIds: generation && generation.eosTokenIds.length > 0 ? generation.eosTokenIds : eos,
    padTokenId: generation?.padTokenId ?? singleTokenId(f, 'pad_token_id'),
    raw: f.raw,
  };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads `config.json` and, when present, `generation_config.json` of a model folder. */
export function readModelConfig(dir: string): { config: ModelConfig; generation: GenerationConfig | null } {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new UserError(`${dir} is not a Hugging Face model folder: config.json is missing`);
  const generationPath = join(dir, 'generation_config.json');
  const generation = existsSync(generationPath) ? parseGenerationConfig(readJson(generationPath), generationPath) : null;
  return { config: parseModelConfig(readJson(configPath), configPath, generation), generation };
}
