import { z } from 'zod';
import { jsonlTask } from '../jsonl-task.js';
import { afterHashes } from '../verifier/extract.js';

const answerSchema = z.object({ answer: z.string().includes('####') });
const rowSchema = answerSchema.extend({ question: z.string() });

/** GSM8K's gold answer: the text after `####` in its `answer` field (`70000`, never `70,000`). */
function finalAnswer(fields: z.infer<typeof answerSchema>): string {
  return (afterHashes(fields.answer) ?? '').replace(/,/g, '');
}

/**
 * GSM8K (openai/grade-school-math): grade-school word problems. The reference solution keeps the
 * `#### N` line but drops the `<<48/2=24>>` calculator annotations, which only a calculator-tool
 * model can use.
 */
export const gsm8k = jsonlTask({
  name: 'gsm8k',
  summary: 'GSM8K grade-school math word problems (train 7473, test 1319); answer after ####',
  files: { train: 'gsm8k/train.jsonl', test: 'gsm8k/test.jsonl' },
  rowSchema,
  answerSchema,
  answerOf: finalAnswer,
  toProblem: (row, index, split) => ({
    id: `gsm8k-${split}-${index}`,
    question: row.question,
    answer: finalAnswer(row),
    solution: row.answer.replace(/<<[^>]*>>/g, ''),
  }),
  // Plain-text answers: a model that forgets the marker usually ends with the number itself.
  verifier: {},
});
