import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the folder holding package.json, models/ and configs/. Compiled code lives in
 * dist/src/config/, sources in src/config/; walking up to the first folder with package.json (rather
 * than counting `..`) works from either.
 */
export const packageRoot: string = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find introspect's package.json above ${here}`);
})();

/** Name of the embedded default model, committed under models/. */
export const DEFAULT_MODEL_NAME = 'arith-tiny';

/** The embedded model pretrained on each generated task (models/<name>); other tasks get the default. */
export const EMBEDDED_TASK_MODELS: Readonly<Record<string, string>> = { 'synthetic-arith': 'arith-tiny', countdown: 'countdown-tiny' };

/** The model folder a job uses: its `model.path`, else the embedded model of its task, else the default. */
export function modelDirOf(config: { model: { path?: string | undefined }; task?: { name: string } }): string {
  const name = (config.task && EMBEDDED_TASK_MODELS[config.task.name]) ?? DEFAULT_MODEL_NAME;
  return config.model.path ?? resolve(packageRoot, 'models', name);
}

/**
 * Where a job's rollouts draw their tokens (`rollout.sampler`): in a graph on the provider (auto:
 * on webgpu and cuda) or on the host, top-k/top-p truncation on the host only; and the graph's
 * float type (`rollout.samplerPrecision`; absent: the provider's default).
 */
export function samplingOf(job: {
  model: { executionProvider: string };
  rollout: { sampler: 'auto' | 'host' | 'graph'; samplerPrecision: 'auto' | 'float32' | 'float64'; topK: number; topP: number };
}): { sampling: 'host' | 'graph'; samplerPrecision?: 'float32' | 'float64' } {
  const { sampler, samplerPrecision, topK, topP } = job.rollout;
  const sampling = topK > 0 || topP < 1 ? 'host' : sampler === 'auto' ? defaultSampler(job.model.executionProvider) : sampler;
  return samplerPrecision === 'auto' ? { sampling } : { sampling, samplerPrecision };
}

/** `rollout.sampler: auto`: in a graph on a device provider (the logits stay there), on the host on CPU. */
export function defaultSampler(executionProvider: string): 'host' | 'graph' {
  return executionProvider === 'cpu' ? 'host' : 'graph';
}
