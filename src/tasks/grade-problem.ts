import type { Problem, ProblemGrader, TaskDefinition } from './task.js';
import { gradeResponse, type VerifyOptions } from './verifier/grade.js';

/**
 * The grader of a task's responses, with the task's verifier settings under `verify`: the one
 * place that decides between a task's own `grade` and the generic answer comparison, so the
 * trainer's rewards and the evaluation's scores always agree.
 */
export function problemGrader(task: TaskDefinition, verify: Partial<VerifyOptions> = {}): ProblemGrader {
  const options = { ...task.verifier, ...verify };
  if (task.grade !== undefined) {
    const grade = task.grade.bind(task);
    return (response: string, problem: Problem) => grade(response, problem, options);
  }
  return (response: string, problem: Problem) => gradeResponse(response, problem.answer, options);
}
