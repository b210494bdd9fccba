import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';

/** Prepended to every problem in the shipped MATH-500 copy; our own prompt replaces it. */
const INSTRUCTION_PREFIX = 'Return your final response within \\boxed{}.';

const answerSchema = z.object({ answer: z.string() });
const rowSchema = answerSchema.extend({
  problem: z.string(),
  solution: z.string(),
  unique_id: z.string().optional(),
});

/** MATH-500: the 500-problem subset of Hendrycks et al.'s MATH test set. */
export const math500 = jsonlTask({
  name: 'math500',
  summary: 'MATH-500 competition problems (test 500); LaTeX answers',
  files: { test: 'math500/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: (fields) => fields.answer,
  toProblem: (row, index) => ({
    id: row.unique_id ?? `math500-${index}`,
    question: row.problem.startsWith(INSTRUCTION_PREFIX) ? row.problem.slice(INSTRUCTION_PREFIX.length).trimStart() : row.problem,
    answer: row.answer,
    solution: row.solution,
  }),
});
