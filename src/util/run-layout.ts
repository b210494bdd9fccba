/**
 * Every file and folder of a run directory, named once. Commands write into a run directory
 * (config/run-dir.ts creates it); the trainer, evaluation, the comparison, analysis and the checkpoint
 * code all find their files through these functions, so a name cannot differ between the writer and
 * the reader.
 *
 *   <run>/config.yaml, log.jsonl                       every command
 *   <run>/metrics.csv, eval.csv, eval/iter-N/samples.jsonl, checkpoints/{iter-N/, latest}   train
 *   <run>/summary.csv, samples.jsonl, greedy-samples.jsonl, report.md                        eval
 *   <run>/cells/<method>/seed-<s>/ (a training run + result.json), results.csv, results.md   compare
 *   <run>/metrics.csv, eval.csv, tokenizer/, model/, checkpoints/latest/ (a folder)           pretrain
 */
import { join } from 'node:path';

/** `iter-000010`: the folder name of an iteration's checkpoint or evaluation (zero-padded so names sort). */
export const iterationName = (iteration: number): string => `iter-${String(iteration).padStart(6, '0')}`;

/** The iteration of an {@link iterationName}, or undefined for another name. */
export function iterationOf(name: string): number | undefined {
  const match = /^iter-(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export const runFiles = {
  /** the resolved job */
  config: (run: string): string => join(run, 'config.yaml'),
  log: (run: string): string => join(run, 'log.jsonl'),

  /** one row per training iteration */
  metrics: (run: string): string => join(run, 'metrics.csv'),
  /** one row per periodic held-out evaluation */
  evalCsv: (run: string): string => join(run, 'eval.csv'),
  /** the periodic evaluations' folders, one per iteration */
  evalDir: (run: string): string => join(run, 'eval'),
  evalIterationDir: (run: string, iteration: number): string => join(run, 'eval', iterationName(iteration)),
  checkpoints: (run: string): string => join(run, 'checkpoints'),
  checkpoint: (run: string, iteration: number): string => join(run, 'checkpoints', iterationName(iteration)),
  /** a text file naming the newest complete checkpoint folder */
  latestCheckpoint: (run: string): string => join(run, 'checkpoints', 'latest'),

  /** `introspect eval`: every sample, and the greedy ones with `eval.greedy` (also a periodic evaluation's file name) */
  samples: (run: string): string => join(run, 'samples.jsonl'),
  greedySamples: (run: string): string => join(run, 'greedy-samples.jsonl'),
  summary: (run: string): string => join(run, 'summary.csv'),
  report: (run: string): string => join(run, 'report.md'),

  /** `compare baselines`: one training run per (method, seed) */
  cell: (run: string, method: string, seed: number): string => join(run, 'cells', method, `seed-${seed}`),
  /** a finished cell's evaluation rows */
  cellResult: (cell: string): string => join(cell, 'result.json'),
  /** what a cell trains: its method, seed and head temperature */
  cellInfo: (cell: string): string => join(cell, 'cell.json'),
  /** the comparison folder a cell folder belongs to */
  cellComparison: (cell: string): string => join(cell, '..', '..', '..'),
  results: (run: string): string => join(run, 'results.csv'),
  resultsTable: (run: string): string => join(run, 'results.md'),

  /** `pretrain`: the character tokenizer every saved model copies, the final model, and the one resumable checkpoint */
  pretrainTokenizer: (run: string): string => join(run, 'tokenizer'),
  pretrainModel: (run: string): string => join(run, 'model'),
  pretrainCheckpoint: (run: string): string => join(run, 'checkpoints', 'latest'),
} as const;

/** The parts of `pretrain`'s checkpoint folder. */
export const pretrainCheckpointFiles = {
  model: (checkpoint: string): string => join(checkpoint, 'model'),
  optimizer: (checkpoint: string): string => join(checkpoint, 'optimizer.safetensors'),
  /** `{step}`; its presence marks a complete checkpoint */
  state: (checkpoint: string): string => join(checkpoint, 'pretrain.json'),
} as const;

/** The parts of one training checkpoint folder (`checkpoints/iter-N/`). */
export const checkpointFiles = {
  /** a Hugging Face model folder */
  model: (checkpoint: string): string => join(checkpoint, 'model'),
  /** the temperature head's folder (policy `learned`) */
  head: (checkpoint: string): string => join(checkpoint, 'head'),
  tokenOptimizer: (checkpoint: string): string => join(checkpoint, 'optimizer.token.safetensors'),
  temperatureOptimizer: (checkpoint: string): string => join(checkpoint, 'optimizer.temperature.safetensors'),
  /** the trainer's state (iteration, seed, counters); its presence marks a complete checkpoint */
  state: (checkpoint: string): string => join(checkpoint, 'trainer.json'),
} as const;
