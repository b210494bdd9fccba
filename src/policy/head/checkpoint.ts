/**
 * A head on disk, in a folder (beside the model it reads):
 * - `temperature_head.safetensors`: the parameters, F32, named and shaped as in parameters.ts;
 * - `temperature_head.json`: what is needed to rebuild the head around them (kind, grid, sizes,
 *   init settings) and a format version, so a file from an incompatible future layout is refused
 *   instead of misread.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readSafetensors, writeSafetensors } from '../../model/safetensors.js';
import { UserError } from '../../util/errors.js';
import { HEAD_KINDS, type TemperatureHeadConfig, headOutputWidth, resolveHeadConfig } from './config.js';
import { HEAD_PARAM_NAMES, type HeadParams, headParamShapes } from './parameters.js';
import { jsonErrorReason } from '../../util/json-file.js';

export const HEAD_WEIGHTS_FILE = 'temperature_head.safetensors';
export const HEAD_CONFIG_FILE = 'temperature_head.json';
export const HEAD_GRAPH_FILE = 'temperature_head.onnx';
export const HEAD_FORMAT = 'introspect-temperature-head';
export const HEAD_FORMAT_VERSION = 1;

const headJsonSchema = z.strictObject({
  format: z.literal(HEAD_FORMAT),
  version: z.number().int(),
  kind: z.enum(HEAD_KINDS),
  grid: z.array(z.number()),
  inputSize: z.number().int(),
  hiddenSize: z.number().int(),
  outputSize: z.number().int(),
  activation: z.literal('silu'),
  parameterLayout: z.string(),
  init: z.strictObject({ temperature: z.number(), spread: z.number(), outputStd: z.number(), seed: z.number().int() }),
});
export type HeadJson = z.infer<typeof headJsonSchema>;

/** The JSON description of a head. */
export function headJson(config: TemperatureHeadConfig): HeadJson {
  return {
    format: HEAD_FORMAT,
    version: HEAD_FORMAT_VERSION,
    kind: config.kind,
    grid: [...config.grid],
    inputSize: config.inputSize,
    hiddenSize: config.hiddenSize,
    outputSize: headOutputWidth(config),
    activation: 'silu',
    parameterLayout: 'torch nn.Linear: weight [out, in], y = x weight^T + bias',
    init: { temperature: config.initTemperature, spread: config.initSpread, outputStd: config.outputInitStd, seed: config.seed },
  };
}

/** Writes both files into `dir` (created if needed); returns their paths. */
export function saveHeadFiles(dir: string, config: TemperatureHeadConfig, params: HeadParams): string[] {
  mkdirSync(dir, { recursive: true });
  const shapes = headParamShapes(config);
  const weights = join(dir, HEAD_WEIGHTS_FILE);
  const json = join(dir, HEAD_CONFIG_FILE);
  writeSafetensors(
    weights,
    HEAD_PARAM_NAMES.map((name) => ({ name, dims: shapes[name], data: params.get(name) as Float32Array })),
    { metadata: { format: 'pt', introspect: HEAD_FORMAT } },
  );
  writeFileSync(json, `${JSON.stringify(headJson(config), null, 2)}\n`);
  return [weights, json];
}

/** Reads a head saved by {@link saveHeadFiles}; every problem is a {@link UserError} naming the file. */
export function loadHeadFiles(dir: string): { config: TemperatureHeadConfig; params: HeadParams } {
  const jsonPath = join(dir, HEAD_CONFIG_FILE);
  const weightsPath = join(dir, HEAD_WEIGHTS_FILE);
  for (const path of [jsonPath, weightsPath]) if (!existsSync(path)) throw new UserError(`temperature head: ${path} not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (error) {
    throw new UserError(`temperature head: ${jsonPath} is ${jsonErrorReason(error)}`);
  }
  const parsed = headJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`temperature head: ${jsonPath}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const j = parsed.data;
  if (j.version !== HEAD_FORMAT_VERSION)
    throw new UserError(`temperature head: ${jsonPath} has format version ${j.version}; this build reads version ${HEAD_FORMAT_VERSION}`);
  const config = resolveHeadConfig({
    kind: j.kind as TemperatureHeadConfig['kind'],
    grid: j.grid,
    inputSize: j.inputSize,
    hiddenSize: j.hiddenSize,
    initTemperature: j.init.temperature,
    initSpread: j.init.spread,
    outputInitStd: j.init.outputStd,
    seed: j.init.seed,
  });
  if (j.outputSize !== headOutputWidth(config))
    throw new UserError(
      `temperature head: ${jsonPath} says outputSize ${j.outputSize} but its kind and grid give ${headOutputWidth(config)}`,
    );

  const tensors = readSafetensors(weightsPath);
  const shapes = headParamShapes(config);
  const params: HeadParams = new Map();
  for (const name of HEAD_PARAM_NAMES) {
    const t = tensors.get(name);
    if (!t) throw new UserError(`temperature head: ${weightsPath} has no tensor "${name}"`);
    if (t.dims.join(',') !== shapes[name].join(',')) {
      throw new UserError(
        `temperature head: ${weightsPath}: "${name}" has shape [${t.dims.join(', ')}], expected [${shapes[name].join(', ')}] from ${HEAD_CONFIG_FILE}`,
      );
    }
    params.set(name, t.data);
  }
  const extra = [...tensors.keys()].filter((k) => !params.has(k));
  if (extra.length > 0) throw new UserError(`temperature head: ${weightsPath} has unexpected tensors ${extra.join(', ')}`);
  return { config, params };
}
