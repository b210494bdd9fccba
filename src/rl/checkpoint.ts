/**
 * Training checkpoints: everything needed to continue a run bit-identically.
 *
 *   <run>/checkpoints/iter-000010/
 *     model/                        the LLM as a Hugging Face folder (transformers/vLLM load it as is)
 *     head/                         temperature_head.safetensors + temperature_head.json
 *     optimizer.token.safetensors   AdamW moments of the LLM (step count in the metadata)
 *     optimizer.temperature.safetensors
 *     trainer.json                  iteration, counters, seed
 *     manifest.json                 written last: every file's size (a complete checkpoint checks out)
 *   <run>/checkpoints/latest        name of the newest complete checkpoint
 *
 * A checkpoint is written to a temporary folder, fsynced and renamed into place, and `latest` is
 * replaced atomically after it (see {@link writeTrainingCheckpoint}), so a crash at any moment
 * leaves the previous complete checkpoint or the new one, never a half-written one.
 * Random streams are derived from (seed, iteration, ...) rather than carried as state, so the
 * iteration number is all the RNG state a resume needs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { saveCheckpoint, type ParamMap } from '../model/checkpoint.js';
import type { ModelConfig, GenerationConfig } from '../model/config.js';
import { SafetensorsFile, writeSafetensors } from '../model/safetensors.js';
import type { TemperatureHead } from '../policy/head/head.js';
import { fsyncPath, fsyncTree, writeFileDurable } from '../util/durable.js';
import { UserError } from '../util/errors.js';
import { faultPoint } from '../util/fault.js';
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
const CHECKPOINT_NAME = /^iter-(\d{6,})$/;
/** Written last into a checkpoint: the size of every file, so a complete checkpoint can be told from a partial copy. */
const MANIFEST = 'manifest.json';

interface Manifest {
  iteration: number;
  /** held-out avg@k measured at this iteration, when a periodic evaluation ran there (keeps the best checkpoint) */
  heldOutAvgAtK?: number;
  /** relative path -> bytes */
  files: Record<string, number>;
}

export interface WriteCheckpointOptions {
  /** keep this many newest checkpoints (plus the best by held-out accuracy); 0 keeps all */
  keep?: number;
  /** held-out avg@k at this iteration, if measured */
  heldOutAvgAtK?: number;
}

/**
 * Writes a checkpoint crash-safely and points `latest` at it; returns its folder. The files go to
 * a temporary folder, are checked (every value finite, every file a resume reads present) and
 * fsynced, then the folder is renamed into place and `latest` replaced by an atomic rename. A
 * complete checkpoint is never removed or overwritten before its replacement is complete: an
 * existing complete checkpoint of the same iteration holds this very state (random streams
 * derive from (seed, iteration), so nothing else could have produced it) and is kept as it is.
 */
export function writeTrainingCheckpoint(runDir: string, c: CheckpointContents, options: WriteCheckpointOptions = {}): string {
  const root = runFiles.checkpoints(runDir);
  mkdirSync(root, { recursive: true });
  const name = checkpointName(c.state.iteration);
  const final = runFiles.checkpoint(runDir, c.state.iteration);
  if (readManifest(final)?.iteration === c.state.iteration) {
    pointLatestAt(root, name);
    return final;
  }
  assertFiniteContents(c);
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
  const required = [
    checkpointFiles.state(temp),
    join(checkpointFiles.model(temp), 'config.json'),
    ...(c.head ? [checkpointFiles.head(temp)] : []),
    ...(c.tokenOptimizer ? [checkpointFiles.tokenOptimizer(temp)] : []),
    ...(c.temperatureOptimizer ? [checkpointFiles.temperatureOptimizer(temp)] : []),
  ];
  const missing = required.filter((f) => !existsSync(f)).map((f) => f.slice(temp.length + 1));
  if (missing.length > 0) throw new Error(`checkpoint ${name} was written without ${missing.join(', ')}`);
  const manifest: Manifest = {
    iteration: c.state.iteration,
    ...(options.heldOutAvgAtK !== undefined ? { heldOutAvgAtK: options.heldOutAvgAtK } : {}),
    files: fileSizes(temp),
  };
  writeFileSync(join(temp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  faultPoint('checkpoint.files-written');
  fsyncTree(temp);
  faultPoint('checkpoint.synced');
  // Only an incomplete folder can be in the way here (a complete one returned above): move it aside, never delete first.
  const displaced = existsSync(final) ? join(root, `.trash-${name}-${process.pid}`) : undefined;
  if (displaced) renameSync(final, displaced);
  renameSync(temp, final);
  fsyncPath(root);
  faultPoint('checkpoint.renamed');
  pointLatestAt(root, name);
  faultPoint('checkpoint.latest-moved');
  if (displaced) rmSync(displaced, { recursive: true, force: true });
  if (options.keep) pruneCheckpoints(root, options.keep, name);
  return final;
}

function pointLatestAt(root: string, name: string): void {
  const pointer = runFiles.latestCheckpoint(dirname(root));
  if (existsSync(pointer) && readFileSync(pointer, 'utf8').trim() === name) return;
  writeFileDurable(pointer, `${name}\n`);
}

/** Every file under `dir` with its size, by path relative to `dir`. */
function fileSizes(dir: string, prefix = ''): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(sizes, fileSizes(dir, rel));
    else sizes[rel] = statSync(join(dir, rel)).size;
  }
  return sizes;
}

/** The manifest of a complete checkpoint (every listed file present at its size), else undefined. */
function readManifest(dir: string): Manifest | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  for (const [rel, size] of Object.entries(manifest.files ?? {})) {
    try {
      if (statSync(join(dir, rel)).size !== size) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest;
}

/** A checkpoint folder is complete when its manifest checks out (older checkpoints without one: when trainer.json parses). */
function isComplete(dir: string): boolean {
  if (existsSync(join(dir, MANIFEST))) return readManifest(dir) !== undefined;
  try {
    JSON.parse(readFileSync(checkpointFiles.state(dir), 'utf8'));
    return existsSync(join(checkpointFiles.model(dir), 'config.json'));
  } catch {
    return false;
  }
}

/** Refuses to write NaN or Inf: a checkpoint that cannot be trained on is worse than none. */
function assertFiniteContents(c: CheckpointContents): void {
  const check = (what: string, data: Float32Array) => {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new Error(`checkpoint ${checkpointName(c.state.iteration)}: ${what} holds a non-finite value at index ${i}; not written`);
    }
  };
  for (const [name, t] of c.model.params) if (t.data instanceof Float32Array) check(name, t.data);
  if (c.head) for (const [name, data] of c.head.params) check(`head ${name}`, data);
  for (const opt of [c.tokenOptimizer, c.temperatureOptimizer]) {
    if (opt) for (const [name, data] of opt.exportState().tensors) check(name, data);
  }
}

/** Complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): { name: string; iteration: number; dir: string }[] {
  const root = runFiles.checkpoints(runDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ name, match: CHECKPOINT_NAME.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ name: e.name, iteration: Number(e.match![1]), dir: join(root, e.name) }))
    .filter((e) => isComplete(e.dir))
    .sort((a, b) => a.iteration - b.iteration);
}

/**
 * Keeps the newest `keep` checkpoints, the best by held-out avg@k, and `current`; deletes the rest.
 * Runs only after `current` is complete and `latest` names it.
 */
function pruneCheckpoints(root: string, keep: number, current: string): void {
  const all = listCheckpoints(dirname(root));
  const kept = new Set(all.slice(-keep).map((c) => c.name));
  kept.add(current);
  let best: { name: string; acc: number } | undefined;
  for (const c of all) {
    const acc = readManifest(c.dir)?.heldOutAvgAtK;
    if (acc !== undefined && (best === undefined || acc >= best.acc)) best = { name: c.name, acc };
  }
  if (best) kept.add(best.name);
  for (const c of all) if (!kept.has(c.name)) rmSync(c.dir, { recursive: true, force: true });
}

/** Removes what crashed writers left in `<run>/checkpoints`: temporary and displaced folders, temporary pointers. */
export function cleanStaleCheckpointFiles(runDir: string): string[] {
  const root = runFiles.checkpoints(runDir);
  if (!existsSync(root)) return [];
  const stale = readdirSync(root).filter((n) => n.startsWith('.tmp-') || n.startsWith('.trash-') || n.startsWith('.latest-'));
  for (const n of stale) rmSync(join(root, n), { recursive: true, force: true });
  return stale;
}

/**
 * The newest complete checkpoint of a run, or undefined when it has none. `latest` is read and
 * checked (it must name a checkpoint folder of this run); a complete checkpoint newer than the
 * one it names (a crash between the folder's rename and the pointer's) is the one resumed.
 */
export function latestCheckpoint(runDir: string): string | undefined {
  const pointer = runFiles.latestCheckpoint(runDir);
  const complete = listCheckpoints(runDir);
  if (existsSync(pointer)) {
    const name = readFileSync(pointer, 'utf8').trim();
    if (!CHECKPOINT_NAME.test(name)) {
      throw new UserError(`${pointer} does not name a checkpoint folder of this run (expected iter-NNNNNN); fix or delete it`);
    }
    if (complete.length === 0)
      throw new UserError(`${pointer} names ${name}, which is not a complete checkpoint, and the run has no other`);
  }
  return complete.at(-1)?.dir;
}

export function readTrainerState(checkpointDir: string): TrainerState {
  const state = JSON.parse(readFileSync(checkpointFiles.state(checkpointDir), 'utf8')) as TrainerState;
  if (state.version !== TRAINER_STATE_VERSION) {
    throw new UserError(
      `${checkpointFiles.state(checkpointDir)}: version ${state.version}, this introspect reads ${TRAINER_STATE_VERSION}`,
    );
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
