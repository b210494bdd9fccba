import { existsSync, statSync } from 'node:fs';
import { readJsonl } from '../tasks/data/jsonl.js';
import { getTask, gradeBatch, tasks, type GradeRecord, type RawRecord } from '../tasks/index.js';
import { UserError } from '../util/errors.js';
import { at } from '../util/must.js';

export interface GradeFileOptions {
  input: string;
  /** read each line's gold answer from this task's own fields (e.g. gsm8k's `answer` with `####`) */
  task?: string;
  /** grading threads (default: the cores less one); 1 grades in this thread */
  workers?: number;
}

export interface LineVerdict {
  /** 1-based line number in the input file */
  line: number;
  /** the gold answer the response was graded against */
  answer: string;
  extracted: string | null;
  correct: boolean;
}

export interface GradeFileResult {
  verdicts: LineVerdict[];
  /** fraction of lines graded correct (0 for an empty file) */
  accuracy: number;
}

/**
 * Grades a JSON-lines file of responses with the verifier. Each non-blank line is
 * `{"response": "...", "answer": "..."}`, or, with `task`, a record with a `response` beside that
 * task's own answer fields, graded with the task's verifier settings.
 * @throws UserError for a missing file, or naming the line of a malformed record
 */
export async function gradeFile(options: GradeFileOptions): Promise<GradeFileResult> {
  const { input } = options;
  if (!existsSync(input) || !statSync(input).isFile()) throw new UserError(`${input}: no such file to grade`);
  if (options.task !== undefined && !tasks.has(options.task))
    throw new UserError(`unknown task "${options.task}"; valid: ${tasks.names().join(', ')}`);
  const task = options.task === undefined ? undefined : getTask(options.task);
  const rows = await readJsonl(input);
  const records: (GradeRecord & { line: number })[] = rows.map(({ line, value }) => {
    const where = `${input}:${line}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${where}: expected a JSON object`);
    const record = value as RawRecord;
    if (typeof record.response !== 'string') throw new UserError(`${where}: no string field "response" to grade`);
    let answer: string;
    if (task) {
      try {
        answer = task.goldAnswer(record);
      } catch (error) {
        if (error instanceof UserError) throw new UserError(`${where}: ${error.message}`, { cause: error });
        throw error;
      }
    } else if (typeof record.answer === 'string' || typeof record.answer === 'number') {
      answer = String(record.answer);
    } else {
      throw new UserError(
        `${where}: no "answer" field (a string or number) to grade against; or pass --task to read a dataset's own fields`,
      );
    }
    return { line, response: record.response, answer };
  });
  const summary = await gradeBatch(records, task?.verifier ?? {}, options.workers);
  return {
    verdicts: summary.verdicts.map((v, i) => {
      const { line, answer } = at(records, i, 'graded records');
      return { line, answer, extracted: v.extracted, correct: v.correct };
    }),
    accuracy: summary.accuracy,
  };
}
