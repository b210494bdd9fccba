/**
 * Loading and saving whole Hugging Face model folders: config, generation config and float32
 * parameters checked against the architecture's expected list, so a wrong or damaged checkpoint
 * fails at load time with one line that lists every problem, not deep inside a graph.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { architectures } from './arch/index.js';
import { modelConfigToJson, readModelConfig, type GenerationConfig, type ModelConfig } from './config.js';
import type { SaveDtype } from './dtypes.js';
import { expectedParameters, type ParamSpec } from './parameters.js';
import type { ParamMap } from './types.js';
import { WeightFiles, writeWeightFiles } from './weights.js';
import { must } from '../util/must.js';

/** Parameters by checkpoint name, float32, in the layout transformers stores them (defined in types.ts). */
export type { ParamMap } from './types.js';

export interface Checkpoint {
  /** absolute path of the model folder */
  dir: string;
  config: ModelConfig;
  generation: GenerationConfig | null;
  /** every expected parameter, in transformers' order */
  params: ParamMap;
}

/** Files that make up a tokenizer in a model folder; copied as they are when a checkpoint is saved. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
] as const;

/** At most this many names per category in an error, so the message stays one readable line. */
const MAX_LISTED = 8;

function listNames(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} (+${names.length - MAX_LISTED} more)` : shown;
}

/**
 * Compares the tensors present (canonical name -> dims) with the expected parameters and throws
 * one {@link UserError} naming all missing, unexpected and wrongly shaped tensors.
 */
export function checkParameters(source: string, expected: ParamSpec[], present: Map<string, readonly number[]>): void {
  const expectedNames = new Set(expected.map((p) => p.name));
  const missing = expected.filter((p) => !present.has(p.name)).map((p) => p.name);
  const unexpected = [...present.keys()].filter((name) => !expectedNames.has(name));
  const wrongShape = expected.flatMap((p) => {
    const dims = present.get(p.name);
    return dims !== undefined && !sameDims(dims, p.dims) ? [`${p.name} [${dims.join(',')}] (expected [${p.dims.join(',')}])`] : [];
  });
  const problems = [
    missing.length > 0 ? `missing ${listNames(missing)}` : '',
    unexpected.length > 0 ? `unexpected ${listNames(unexpected)}` : '',
    wrongShape.length > 0 ? `wrong shape ${listNames(wrongShape)}` : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new UserError(`${source} does not match its config: ${problems.join('; ')}`);
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Loads a model folder (config.json, generation_config.json, safetensors weights) as float32. */
export function loadCheckpoint(dir: string): Checkpoint {
  const absDir = resolve(dir);
  const { config, generation } = readModelConfig(absDir);
  const arch = architectures.get(config.arch);
  const expected = expectedParameters(config);
  const files = WeightFiles.open(absDir);
  try {
    // canonical name -> name in the file
    const stored = new Map<string, string>();
    const present = new Map<string, readonly number[]>();
    for (const name of files.names()) {
      const canonical = arch.canonicalName(name);
      if (arch.isIgnorable(canonical, config)) continue;
      stored.set(canonical, name);
      present.set(canonical, files.info(name).dims);
    }
    checkParameters(`checkpoint ${absDir}`, expected, present);
    const params: ParamMap = new Map();
    for (const p of expected) params.set(p.name, files.readFloat32(must(stored.get(p.name), `stored tensor ${p.name}`)));
    return { dir: absDir, config, generation, params };
  } finally {
    files.close();
  }
}

export interface SaveOptions {
  /** element type of the saved weights (default F32, what introspect trains in) */
  dtype?: SaveDtype;
  /** split into shards above this many bytes (default 5 GB, as transformers) */
  maxShardBytes?: number;
  /** generation_config.json to write; default: one built from the config's token ids */
  generation?: GenerationConfig | null;
  /** copy tokenizer files from this folder (usually the folder the checkpoint was loaded from) */
  tokenizerDir?: string;
}

const torchDtypeNames: Record<SaveDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Writes a model folder that transformers' `from_pretrained` loads: config.json, generation_config.json,
 * the weights, and the tokenizer files. A config built in code (empty `raw`) gets a complete config.json.
 * Each file is written beside its target and renamed into place.
 */
export function saveCheckpoint(dir: string, config: ModelConfig, params: ParamMap, opts: SaveOptions = {}): string[] {
  const absDir = resolve(dir);
  const expected = expectedParameters(config);
  assertParameters(config, params, `parameters to save to ${absDir}`);
  mkdirSync(absDir, { recursive: true });

  const dtype = opts.dtype ?? 'F32';
  const written = writeWeightFiles(
    absDir,
    expected.map((p) => ({ name: p.name, dims: p.dims, data: must(params.get(p.name), `parameter ${p.name}`).data })),
    { dtype, maxShardBytes: opts.maxShardBytes },
  );

  // The original file's fields (initializer_range, layer_types, ...) with the normalised ones on top,
  // so edits to the ModelConfig reach the file. transformers 5 reads `dtype`, older versions
  // `torch_dtype`: update whichever is there.
  const raw: Record<string, unknown> = { ...config.raw, ...modelConfigToJson(config) };
  if ('torch_dtype' in raw) raw.torch_dtype = torchDtypeNames[dtype];
  if ('dtype' in raw || !('torch_dtype' in raw)) raw.dtype = torchDtypeNames[dtype];
  writeJsonAtomic(join(absDir, 'config.json'), raw);
  written.push('config.json');

  const generation = opts.generation?.raw ?? {
    ...(config.bosTokenId !== null ? { bos_token_id: config.bosTokenId } : {}),
    ...(config.eosTokenIds.length > 0
      ? { eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds }
      : {}),
    ...(config.padTokenId !== null ? { pad_token_id: config.padTokenId } : {}),
  };
  writeJsonAtomic(join(absDir, 'generation_config.json'), generation);
  written.push('generation_config.json');

  if (opts.tokenizerDir !== undefined && resolve(opts.tokenizerDir) !== absDir) {
    for (const name of TOKENIZER_FILES) {
      const source = join(opts.tokenizerDir, name);
      if (!existsSync(source)) continue;
      const temp = join(absDir, `${name}.tmp-${process.pid}`);
      copyFileSync(source, temp);
      renameSync(temp, join(absDir, name));
      written.push(name);
    }
  }
  return written;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(value, null, 2) + '\n');
  renameSync(temp, path);
}

/** Checks a parameter map against a config (names and shapes) without touching files. */
export function assertParameters(config: ModelConfig, params: ParamMap, source = 'parameters'): void {
  checkParameters(source, expectedParameters(config), new Map([...params].map(([name, t]) => [name, t.dims])));
}
