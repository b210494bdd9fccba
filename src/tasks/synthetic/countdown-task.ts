import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import type { LoadOptions, Problem, RawRecord, TaskDefinition } from '../task.js';
import { generateCountdownProblems, gradeCountdown } from './countdown.js';

const recordSchema = z.object({ answer: z.union([z.string(), z.number()]) });

/**
 * countdown (see ./countdown.ts): reach the target from the given numbers. The prompt is the
 * problem text and a newline; the model continues with its equations and `#### <target>`. Graded
 * by checking the whole computation, not only the stated answer.
 */
export const countdown: TaskDefinition = {
  name: 'countdown',
  summary: 'Generated countdown problems (reach a target from given numbers with + - *): a search fork, then exact arithmetic',
  splits: ['train', 'validation', 'test'],
  verifier: {},
  prompt: (question: string) => `${question}\n`,
  async load(options: LoadOptions = {}): Promise<Problem[]> {
    const problems = generateCountdownProblems(options.split ?? 'test', options.countdown);
    return options.limit === undefined ? problems : problems.slice(0, options.limit);
  },
  goldAnswer(record: RawRecord): string {
    const parsed = recordSchema.safeParse(record);
    if (!parsed.success) throw new UserError('not a valid countdown record (needs an "answer" field)');
    return String(parsed.data.answer);
  },
  grade: (response, problem, verify) => gradeCountdown(response, problem.question, verify.formatPenalty ?? 0),
};
