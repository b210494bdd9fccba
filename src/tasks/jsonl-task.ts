import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { ensureDatasetFile } from './data/dataset-file.js';
import { readJsonl } from './data/jsonl.js';
import { boxedPrompt } from './prompts.js';
import type { LoadOptions, Problem, RawRecord, Split, TaskDefinition, TaskName } from './task.js';
import type { VerifyOptions } from './verifier/grade.js';

/** What distinguishes one JSON-lines benchmark from another. */
export interface JsonlTaskSpec<Row extends Answer, Answer> {
  name: TaskName;
  summary: string;
  /** Data-folder path of each split's file. */
  files: Partial<Record<Split, string>>;
  /** The fields a problem row must have (extra fields are ignored). */
  rowSchema: z.ZodType<Row>;
  toProblem(row: Row, index: number, split: Split): Omit<Problem, 'task'>;
  /** The fields `goldAnswer` needs (a subset of rowSchema's, so graders need not carry questions). */
  answerSchema: z.ZodType<Answer>;
  /** The gold final answer from those fields. */
  answerOf(fields: Answer): string;
  prompt?: (question: string) => string;
  verifier?: Partial<VerifyOptions>;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
}

/** Builds a task whose problems are the lines of `<data dir>/<task>/<split>.jsonl`. */
export function jsonlTask<Row extends Answer, Answer>(spec: JsonlTaskSpec<Row, Answer>): TaskDefinition {
  const splits = Object.keys(spec.files) as Split[];
  return {
    name: spec.name,
    summary: spec.summary,
    splits,
    verifier: spec.verifier ?? {},
    prompt: spec.prompt ?? boxedPrompt,
    async load(options: LoadOptions = {}): Promise<Problem[]> {
      const split = options.split ?? 'test';
      const file = spec.files[split];
      if (file === undefined) throw new UserError(`task ${spec.name} has no ${split} split (it has: ${splits.join(', ')})`);
      const path = await ensureDatasetFile(file, options);
      const rows = await readJsonl(path);
      const limited = options.limit === undefined ? rows : rows.slice(0, options.limit);
      return limited.map(({ line, value }, index) => {
        const parsed = spec.rowSchema.safeParse(value);
        if (!parsed.success) throw new UserError(`${path}:${line}: not a valid ${spec.name} row (${describeIssues(parsed.error)})`);
        return { task: spec.name, ...spec.toProblem(parsed.data, index, split) };
      });
    },
    goldAnswer(record: RawRecord): string {
      const parsed = spec.answerSchema.safeParse(record);
      if (!parsed.success) throw new UserError(`not a valid ${spec.name} record (${describeIssues(parsed.error)})`);
      return spec.answerOf(parsed.data);
    },
  };
}
