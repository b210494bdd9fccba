import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';

const answerSchema = z.object({ answer: z.union([z.string(), z.number()]) });
const rowSchema = answerSchema.extend({
  id: z.union([z.number(), z.string()]),
  problem: z.string(),
  solution: z.string(),
});

/** AIME 2024 (Qwen2.5-Math evaluation data): 30 problems with integer answers 0-999. */
export const aime24 = jsonlTask({
  name: 'aime24',
  summary: 'AIME 2024 (test 30); integer answers',
  files: { test: 'aime24/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: (fields) => String(fields.answer).trim(),
  toProblem: (row) => ({
    id: `aime24-${row.id}`,
    question: row.problem,
    answer: String(row.answer).trim(),
    // AoPS solutions: several write-ups one after another, mostly ending in \boxed{} (one in \framebox{}).
    solution: row.solution,
  }),
});
