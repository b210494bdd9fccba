/**
 * Training checkpoints: everything needed to continue a run bit-identically.
 *
 *   <run>/checkpoints/iter-000010/
 *     model/                        the LLM as a Hugging Face folder (transformers/vLLM load it as is)
 *     head/                         temperature_head.safetensors + temperature_head.json
 *     optimizer.token.safetensors   AdamW moments of the LLM (step count in the metadata)
 *     optimizer.temperature.safetensors
 *     trainer.json                  iteration, counters, seed
 *   <run>/checkpoints/latest        name of the newest complete checkpoint
 *
 * A checkpoint is written to a temporary folder and renamed into place, and `latest` is replaced
 * atomically after it, so an interrupted save never leaves a half-written checkpoint behind.
 * Random streams are derived from (seed, iteration, ...) rather than carried as state, so the
 * iteration number is all the RNG state a resume needs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint, type ParamMap } from '../model/checkpoint.js';
import type { ModelConfig, GenerationConfig } from '../model/config.js';
import { SafetensorsFile, writeSafetensors } from '../model/safetensors.js';
import type { TemperatureHead } from '../policy/head/head.js';
import { UserError } from '../util/errors.js';
import type { AdamW, OptimizerState } from './optimizer.js';
import { checkpointFiles, iterationName, runFiles } from '../util/run-layout.js';

export const TRAINER_STATE_VERSION = 1;

export interface TrainerState {
  version: number;
  /** iterations completed */
  iteration: number;
  seed: number;
  nonFiniteStreak: number;
  nonFiniteTotal: number;
}

export interface CheckpointContents {
  state: TrainerState;
  model: { config: ModelConfig; generation: GenerationConfig | null; params: ParamMap; tokenizerDir?: string };
  head?: TemperatureHead;
  tokenOptimizer?: AdamW;
  temperatureOptimizer?: AdamW;
}

export const checkpointName = iterationName;

/** Writes a checkpoint atomically and points `latest` at it; returns its folder. */
export function writeTrainingCheckpoint(runDir: string, c: CheckpointContents): string {
  const root = runFiles.checkpoints(runDir);
  mkdirSync(root, { recursive: true });
  const name = checkpointName(c.state.iteration);
  const final = runFiles.checkpoint(runDir, c.state.iteration);
  const temp = join(root, `.tmp-${name}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  saveCheckpoint(checkpointFiles.model(temp), c.model.config, c.model.params, {
    generation: c.model.generation ?? undefined,
    tokenizerDir: c.model.tokenizerDir,
  });
  if (c.head) c.head.save(checkpointFiles.head(temp));
  if (c.tokenOptimizer) writeOptimizer(checkpointFiles.tokenOptimizer(temp), c.tokenOptimizer.exportState());
  if (c.temperatureOptimizer) writeOptimizer(checkpointFiles.temperatureOptimizer(temp), c.temperatureOptimizer.exportState());
  writeFileSync(checkpointFiles.state(temp), `${JSON.stringify(c.state, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(temp, final);
  const latestTemp = join(root, `.latest-${process.pid}`);
  writeFileSync(latestTemp, `${name}\n`);
  renameSync(latestTemp, runFiles.latestCheckpoint(runDir));
  return final;
}

/** The newest complete checkpoint of a run, or undefined when it has none. */
export function latestCheckpoint(runDir: string): string | undefined {
  const pointer = runFiles.latestCheckpoint(runDir);
  if (!existsSync(pointer)) return undefined;
  const dir = join(runFiles.checkpoints(runDir), readFileSync(pointer, 'utf8').trim());
  if (!existsSync(checkpointFiles.state(dir))) throw new UserError(`${pointer} names ${dir}, which is not a complete checkpoint`);
  return dir;
}

export function readTrainerState(checkpointDir: string): TrainerState {
  const state = JSON.parse(readFileSync(checkpointFiles.state(checkpointDir), 'utf8')) as TrainerState;
  if (state.version !== TRAINER_STATE_VERSION) {
    throw new UserError(`${checkpointFiles.state(checkpointDir)}: version ${state.version}, this introspect reads ${TRAINER_STATE_VERSION}`);
  }
  return state;
}

/** Writes an optimiser's moments as safetensors, the step count in the metadata (read back by {@link readOptimizerInto}). */
export function writeOptimizer(path: string, state: OptimizerState): void {
  const tensors = [...state.tensors].map(([name, data]) => ({ name, dims: [data.length], data }));
  writeSafetensors(path, tensors, { metadata: { step: String(state.step) } });
}

/** Restores an optimiser's moments and step count from a checkpoint file. */
export function readOptimizerInto(path: string, optimizer: AdamW): void {
  const file = SafetensorsFile.open(path);
  try {
    const tensors = new Map<string, Float32Array>();
    for (const name of file.tensors.keys()) tensors.set(name, file.readFloat32(name).data);
    optimizer.importState({ step: Number(file.metadata.step ?? 0), tensors });
  } finally {
    file.close();
  }
}
