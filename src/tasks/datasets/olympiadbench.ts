import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';
import { splitTopLevel } from '../verifier/latex-scan.js';

const answerSchema = z.object({ final_answer: z.array(z.string()).min(1), is_multiple_answer: z.boolean().optional() });
const rowSchema = answerSchema.extend({
  id: z.union([z.number(), z.string()]),
  question: z.string(),
  solution: z.array(z.string()),
  unit: z.string().nullable().optional(),
});

/**
 * The gold answer: the `final_answer` list joined with commas, math delimiters removed
 * (`['$\\sqrt{2}-1$,$\\frac{3-\\sqrt{2}}{7}$']` → `\sqrt{2}-1,\frac{3-\sqrt{2}}{7}`). Several answers
 * (`is_multiple_answer`, or a comma list when the flag is absent) are a set: the verifier reads a bare
 * comma list as ordered, but the answers of a multiple-answer problem may come in any order.
 */
function joinedAnswer(fields: z.infer<typeof answerSchema>): string {
  const joined = fields.final_answer.map((a) => a.replace(/\$/g, '').trim()).join(', ');
  const multiple = fields.is_multiple_answer ?? splitTopLevel(joined, ',').length > 1;
  return multiple && splitTopLevel(joined, ',').length > 1 ? `\\{${joined}\\}` : joined;
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
