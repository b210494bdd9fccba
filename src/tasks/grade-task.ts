import { UserError } from '../util/errors.js';
import { problemGrader } from './grade-problem.js';
import { getTask } from './registry.js';
import type { RawRecord } from './task.js';
import { gradeRecords, type GradeSummary, type VerifyOptions } from './verifier/grade.js';

export interface TaskGradeOptions extends Partial<VerifyOptions> {
  /** The field holding the model's response in each record (default `response`). */
  responseField?: string;
}

/**
 * Grades records that carry a response beside a dataset's own fields (gsm8k's `answer` with
 * `####`, olympiadbench's `final_answer` list, minerva's `solution`, ...), with the task's verifier
 * settings under the caller's options. This is what `introspect grade --task` runs.
 * @throws UserError naming the first record without a string response or the task's answer fields
 */
export function gradeTaskRecords(taskName: string, records: readonly RawRecord[], options: TaskGradeOptions = {}): GradeSummary {
  const task = getTask(taskName);
  const { responseField = 'response', ...verify } = options;
  if (task.grade !== undefined) {
    // Tasks that grade the whole computation need the question, not only the gold answer.
    const grade = problemGrader(task, verify);
    const verdicts = records.map((record, i) => {
      const { [responseField]: response, question } = record;
      if (typeof response !== 'string') throw new UserError(`record ${i + 1}: no string field "${responseField}" to grade`);
      if (typeof question !== 'string')
        throw new UserError(`record ${i + 1}: ${taskName} grades the computation and needs the "question" field`);
      return grade(response, { id: String(i), task: taskName, question, answer: task.goldAnswer(record) });
    });
    return { verdicts, accuracy: verdicts.length === 0 ? 0 : verdicts.filter((v) => v.correct).length / verdicts.length };
  }
  const graded = records.map((record, i) => {
    const response = record[responseField];
    if (typeof response !== 'string') throw new UserError(`record ${i + 1}: no string field "${responseField}" to grade`);
    try {
      return { response, answer: task.goldAnswer(record) };
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`record ${i + 1}: ${err.message}`, { cause: err });
      throw err;
    }
  });
  return gradeRecords(graded, { ...task.verifier, ...verify });
}
