/**
 * `config.json` of the supported Hugging Face causal LMs, normalised into one {@link ModelConfig}
 * that the graph builders read, whatever the architecture calls its fields (GPT-2's `n_embd` is
 * Llama's `hidden_size`). Each architecture (arch/) reads and writes its own vocabulary; anything a
 * reader cannot represent faithfully (rope scaling, sliding windows, unknown activations) is refused
 * with a one-line {@link UserError} instead of being silently computed differently from transformers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { architectures } from './arch/index.js';
import { ConfigFields } from './config-fields.js';
import type { GenerationConfig, ModelConfig } from './types.js';
import { jsonErrorReason } from '../util/json-file.js';

export type { Activation, ArchFields, ArchName, GenerationConfig, ModelConfig } from './types.js';

/** A token id field that may be absent, null, one id or a list of ids. */
function tokenIds(f: ConfigFields, key: string): number[] {
  const value = f.raw[key];
  if (value === undefined || value === null) return [];
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => Number.isSafeInteger(id) && id >= 0))
    f.fail(`"${key}" must be a token id or a list of them, got ${JSON.stringify(value)}`);
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
  // Explicitly typed so TypeScript narrows through `f.fail(...)`, which never returns.
  const f: ConfigFields = new ConfigFields(asObject(json, source), source);
  const modelType = f.raw.model_type;
  if (typeof modelType !== 'string') f.fail('missing "model_type"');
  if (!architectures.has(modelType)) {
    f.fail(`model_type ${JSON.stringify(modelType)} is not supported (valid: ${architectures.names().join(', ')})`);
  }
  const fields = architectures.get(modelType).readConfig(f);
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
    throw new UserError(`cannot read ${path}: ${jsonErrorReason(error)}`, { cause: error });
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

/**
 * The config.json fields that describe `config` (for new models, and to keep a saved config.json
 * in step with the normalised fields). Checked by reading it back: a config an architecture cannot
 * express (say, Qwen2 without q/k/v biases) is refused rather than saved as a different model.
 */
export function modelConfigToJson(config: ModelConfig): Record<string, unknown> {
  const arch = architectures.get(config.arch);
  const json: Record<string, unknown> = {
    architectures: [arch.hfClass],
    model_type: config.arch,
    ...arch.writeConfig(config),
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds.length > 0 ? config.eosTokenIds : null,
    pad_token_id: config.padTokenId,
  };
  const { raw: _raw, ...wanted } = config;
  const { raw: _back, ...back } = parseModelConfig(json, `${config.arch} config`);
  const differing = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(back[k]));
  if (differing.length > 0) {
    throw new UserError(
      `a ${config.arch} config.json cannot express ${differing.map((k) => `${k}=${JSON.stringify(wanted[k])}`).join(', ')}`,
    );
  }
  return json;
}
