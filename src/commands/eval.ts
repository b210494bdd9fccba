import { Args, Flags } from '@oclif/core';
import { loadJobFile, validateJob, type JobConfig } from '../config/index.js';
import { describeJobKey } from '../config/docs.js';
import { join } from 'node:path';
import { runEvaluation, type EvalResult } from '../api/evaluate.js';
import { BaseCommand, outFlag, setFlag } from '../cli/base.js';
import { withInterrupt } from '../cli/interrupt.js';

/** The job key each flag sets. */
const FLAG_KEYS = {
  model: 'model.path',
  policy: 'policy',
  head: 'head.path',
  k: 'eval.k',
  limit: 'eval.limit',
  'max-new-tokens': 'rollout.maxNewTokens',
  seed: 'run.seed',
  greedy: 'eval.greedy',
  force: 'eval.force',
  'data-dir': 'task.dataDir',
} as const;

export default class Eval extends BaseCommand {
  static override summary = 'Evaluate a model and temperature policy on math benchmarks (avg@k, pass@k, maj@k).';
  static override description =
    'BENCHMARK is a task name (synthetic-arith, gsm8k, math500, aime24, amc23, minerva_math, olympiadbench), a ' +
    'comma-separated list of them, or a YAML job file whose eval section lists the tasks. Writes summary.csv, ' +
    'samples.jsonl and report.md to the run directory.';
  static override examples = [
    '<%= config.bin %> eval synthetic-arith --policy fixed:0.6 --k 4 --limit 20',
    '<%= config.bin %> eval gsm8k --model Qwen/Qwen2.5-Math-1.5B --policy fixed:0.6 --k 8 --data-dir ../shared/datasets',
    '<%= config.bin %> eval synthetic-arith --policy learned --head runs/quick/checkpoints/iter-000005/head',
    '<%= config.bin %> eval configs/default.yaml --policy edt --set eval.k=2',
  ];
  static override args = { benchmark: Args.string({ required: true, description: 'Task name(s) or a YAML job file.' }) };
  // Each of these flags sets one job key; its help is that key's description in the schema.
  static override flags = {
    model: Flags.string({ summary: describeJobKey(FLAG_KEYS.model) }),
    policy: Flags.string({ summary: describeJobKey(FLAG_KEYS.policy) }),
    head: Flags.string({ summary: describeJobKey(FLAG_KEYS.head) }),
    k: Flags.integer({ min: 1, summary: describeJobKey(FLAG_KEYS.k) }),
    limit: Flags.integer({ min: 0, summary: describeJobKey(FLAG_KEYS.limit) }),
    'max-new-tokens': Flags.integer({ min: 1, summary: describeJobKey(FLAG_KEYS['max-new-tokens']) }),
    seed: Flags.integer({ min: 0, summary: describeJobKey(FLAG_KEYS.seed) }),
    greedy: Flags.boolean({ summary: describeJobKey(FLAG_KEYS.greedy) }),
    force: Flags.boolean({ summary: describeJobKey(FLAG_KEYS.force) }),
    'data-dir': Flags.string({ summary: describeJobKey(FLAG_KEYS['data-dir']) }),
    set: setFlag,
    out: outFlag,
  };

  async run(): Promise<EvalCommandResult> {
    const { args, flags } = await this.parse(Eval);
    const overrides = [...flagOverrides(flags), ...flags.set];
    let config: JobConfig;
    if (/\.ya?ml$/i.test(args.benchmark)) {
      config = loadJobFile(args.benchmark, overrides).config;
    } else {
      const tasks = args.benchmark
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      config = validateJob({ eval: { tasks } }, { source: 'flags', baseDir: process.cwd(), overrides });
    }
    const { logger, runDir } = this.startRun('eval', config, flags, flags.out);
    this.logToStderr(`run folder: ${runDir}`);
    const result = await withInterrupt((signal) => runEvaluation(config, { logger, runDir, signal }));
    this.log(result.table);
    this.log(`files: ${result.runDir} (summary.csv, samples.jsonl, report.md)`);
    return {
      runDir: result.runDir,
      files: ['summary.csv', 'samples.jsonl', 'report.md'].map((f) => join(result.runDir, f)),
      results: result.results,
    };
  }
}

export type EvalCommandResult = Omit<EvalResult, 'table'> & { files: string[] };

/** Flags become `--set` overrides, so they are validated by the same schema as job files. */
function flagOverrides(flags: Record<string, unknown>): string[] {
  return Object.entries(FLAG_KEYS)
    .filter(([flag]) => flags[flag] !== undefined)
    .map(([flag, key]) => `${key}=${JSON.stringify(flags[flag])}`);
}
