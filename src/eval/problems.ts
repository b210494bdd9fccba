/**
 * The problems a job evaluates (or trains) on: one place that maps the job's `task` section onto the
 * tasks' loaders, so `introspect eval` and the trainer's held-out evaluation see the same problems.
 */
import type { JobConfig } from '../config/index.js';
import { getTask, type CountdownOptions, type Problem, type Split, type SyntheticArithOptions } from '../tasks/index.js';

/** The synthetic-arith generator settings of a job: its `task.synthetic` knobs (the problem set's own seed, not `run.seed`). */
export function syntheticOptionsOf(job: Pick<JobConfig, 'task' | 'run'>, split: Split): Partial<SyntheticArithOptions> {
  const s = job.task.synthetic;
  return {
    seed: s.seed,
    count: split === 'train' ? s.trainSize : s.testSize,
    minSteps: s.steps[0],
    maxSteps: s.steps[1],
    maxValue: s.maxNumber,
    operations: [...s.operations],
  };
}

/** The countdown generator settings of a job: its `task.countdown` knobs. */
export function countdownOptionsOf(job: Pick<JobConfig, 'task'>, split: Split): Partial<CountdownOptions> {
  const c = job.task.countdown;
  const count = split === 'train' ? c.trainSize : split === 'validation' ? c.validationSize : c.testSize;
  return { seed: c.seed, count, numbers: c.numbers, maxNumber: c.maxNumber, maxValue: c.maxValue, operations: [...c.operations] };
}

/**
 * Loads a task's problems for a job: the split's first `limit` problems (0 or undefined = all), from
 * `task.dataDir` (else INTROSPECT_DATA_DIR, else the user cache).
 */
export async function loadJobProblems(
  job: Pick<JobConfig, 'task' | 'run'>,
  taskName: string,
  split: Split,
  limit?: number,
): Promise<Problem[]> {
  const task = getTask(taskName);
  return task.load({
    split,
    ...(limit ? { limit } : {}),
    ...(job.task.dataDir !== undefined ? { dataDir: job.task.dataDir } : {}),
    synthetic: syntheticOptionsOf(job, split),
    countdown: countdownOptionsOf(job, split),
  });
}
