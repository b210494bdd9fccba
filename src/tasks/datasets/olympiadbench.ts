import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';

const answerSchema = z.object({ final_answer: z.array(z.string()).min(1) });
const rowSchema = answerSchema.extend({
  id: z.union([z.number(), z.string()]),
  question: z.string(),
  solution: z.array(z.string()),
  unit: z.string().nullable().optional(),
  is_multiple_answer: z.boolean().optional(),
});

/**
 * The gold answer: the `final_answer` list joined with commas, math delimiters removed
 * (`['$\\sqrt{2}-1$,$\\frac{3-\\sqrt{2}}{7}$']` → `\sqrt{2}-1,\frac{3-\sqrt{2}}{7}`). The verifier
 * reads a comma list as an unordered set of answers, which is what `is_multiple_answer` means.
 */
function joinedAnswer(fields: z.infer<typeof answerSchema>): string {
  return fields.final_answer.map((a) => a.replace(/\$/g, '').trim()).join(', ');
}

/** OlympiadBench (Qwen2.5-Math evaluation data): the English, text-only, open-ended math subset. */
export const olympiadbench = jsonlTask({
  name: 'olympiadbench',
  summary: 'OlympiadBench math (test 675); LaTeX answers, some multiple or with units',
  files: { test: 'olympiadbench/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: joinedAnswer,
  toProblem: (row) => ({
    id: `olympiadbench-${row.id}`,
    question: row.question,
    answer: joinedAnswer(row),
    // Alternative write-ups, in order. They are proofs: the final answer is stated in prose, if at all.
    solution: row.solution.join('\n\n'),
  }),
});
