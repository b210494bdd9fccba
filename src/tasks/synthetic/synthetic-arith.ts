import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import type { LoadOptions, Problem, RawRecord, TaskDefinition } from '../task.js';
import { generateArithProblems } from './generate.js';

const answerSchema = z.object({ answer: z.union([z.string(), z.number()]) });

/**
 * The project's own multi-step arithmetic word problems, for pretraining and testing a tiny
 * character-level model. The prompt is the problem text and a newline; the model continues with
 * the short solution that ends in `#### <answer>` and a newline.
 */
export const syntheticArith: TaskDefinition = {
  name: 'synthetic-arith',
  summary: 'Generated multi-step arithmetic word problems (+, -, *) with worked solutions ending in #### N',
  splits: ['train', 'test'],
  verifier: {},
  prompt: (question: string) => `${question}\n`,
  async load(options: LoadOptions = {}): Promise<Problem[]> {
    const problems = generateArithProblems(options.split ?? 'test', options.synthetic);
    return options.limit === undefined ? problems : problems.slice(0, options.limit);
  },
  goldAnswer(record: RawRecord): string {
    const parsed = answerSchema.safeParse(record);
    if (!parsed.success) throw new UserError('not a valid synthetic-arith record (needs an "answer" field)');
    return String(parsed.data.answer);
  },
};
