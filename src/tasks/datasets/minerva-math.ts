import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import { jsonlTask } from '../jsonl-task.js';
import { lastBoxed } from '../verifier/extract.js';

const answerSchema = z.object({ solution: z.string() });
const rowSchema = answerSchema.extend({ problem: z.string(), idx: z.union([z.number(), z.string()]).optional() });

/** Minerva's answer is the last \boxed{} of its solution (the file has no answer field). */
function boxedAnswer(fields: z.infer<typeof answerSchema>): string {
  const answer = lastBoxed(fields.solution);
  if (answer === null) throw new UserError('minerva_math record has no \\boxed{} answer in its solution');
  return answer;
}

/** Minerva's MIT OCW problems (Qwen2.5-Math evaluation data): science and engineering, often with units. */
export const minervaMath = jsonlTask({
  name: 'minerva_math',
  summary: 'Minerva OCW science problems (test 272); answers boxed in the solution, units stripped',
  files: { test: 'minerva_math/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: boxedAnswer,
  toProblem: (row, index) => ({
    id: `minerva_math-${row.idx ?? index}`,
    question: row.problem,
    answer: boxedAnswer(row),
    solution: row.solution,
  }),
});
