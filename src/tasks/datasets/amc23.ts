import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';

const answerSchema = z.object({ answer: z.union([z.number(), z.string()]) });
const rowSchema = answerSchema.extend({
  id: z.union([z.number(), z.string()]),
  problem: z.string(),
});

/** The answer field is a JSON number (27.0); as text it is the shortest form, `27`. */
function answerText(fields: z.infer<typeof answerSchema>): string {
  return typeof fields.answer === 'number' ? String(fields.answer) : fields.answer.trim();
}

/** AMC 2023 (Qwen2.5-Math evaluation data): 40 problems, answers only, no solutions. */
export const amc23 = jsonlTask({
  name: 'amc23',
  summary: 'AMC 2023 (test 40); numeric answers, no reference solutions',
  files: { test: 'amc23/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: answerText,
  toProblem: (row) => ({ id: `amc23-${row.id}`, question: row.problem, answer: answerText(row) }),
});
