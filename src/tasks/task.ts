import type { DataLocation } from './data/dataset-file.js';
import type { SyntheticArithOptions } from './synthetic/arith-options.js';
import type { CountdownOptions } from './synthetic/countdown-options.js';
import type { Verdict, VerifyOptions } from './verifier/grade.js';

import type { Split, TaskName } from '../config/names.js';

/** The registered tasks' names and the splits (one list each, in config/names.ts). */
export { SPLIT_NAMES, TASK_NAMES, type Split, type TaskName } from '../config/names.js';

/** One problem of a task, in the same shape for every dataset. */
export interface Problem {
  /** Unique within the task and split (the dataset's own id where it has one). */
  id: string;
  task: string;
  /** The problem text, without any instruction the dataset prepends. */
  question: string;
  /** The gold final answer as text (LaTeX for competition math, a plain number for gsm8k). */
  answer: string;
  /** A worked reference solution, where the dataset has one. */
  solution?: string;
}

export interface LoadOptions extends DataLocation {
  /** Which split to load (default 'test'); real benchmarks other than gsm8k only have 'test'. */
  split?: Split;
  /** Keep only the first `limit` problems. */
  limit?: number;
  /** Generator settings; used by synthetic-arith only. */
  synthetic?: Partial<SyntheticArithOptions>;
  /** Generator settings; used by countdown only. */
  countdown?: Partial<CountdownOptions>;
}

/** A raw dataset record as read from a JSON line (its own fields, e.g. gsm8k's `answer` with `####`). */
export type RawRecord = Record<string, unknown>;

/** A task: where its problems come from, how it prompts, and how its answers are graded. */
export interface TaskDefinition {
  readonly name: TaskName;
  /** One line for `--help` and listings. */
  readonly summary: string;
  readonly splits: readonly Split[];
  load(options?: LoadOptions): Promise<Problem[]>;
  /** The default plain-text prompt for a question (no chat template). */
  prompt(question: string): string;
  /**
   * The gold final answer of a raw record with the dataset's own fields.
   * @throws UserError when the record lacks them
   */
  goldAnswer(record: RawRecord): string;
  /** Verifier settings that suit this task (e.g. a last-number fallback for plain-text answers). */
  readonly verifier: Partial<VerifyOptions>;
  /**
   * The task's own grading of a response to a problem, for tasks whose answers are not a final
   * value to compare with a gold one (countdown checks the whole computation). Without it the
   * generic verifier compares the extracted answer with `problem.answer`.
   */
  grade?(response: string, problem: Problem, verify: Partial<VerifyOptions>): Verdict;
}

/** Grades one response to one problem the task's way: its own `grade`, else the generic verifier. */
export type ProblemGrader = (response: string, problem: Problem) => Verdict;
