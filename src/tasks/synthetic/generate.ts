import { UserError } from '../../util/errors.js';
import type { Problem, Split } from '../task.js';
import { chainKey, randomChain } from './arith-chain.js';
import { resolveArithOptions, type SyntheticArithOptions } from './arith-options.js';
import { tellChain } from './arith-story.js';
import { SeededRandom, hash32 } from './random.js';

/**
 * The split a computation belongs to: its hash, not the draw order, decides, so train and test
 * never share a computation whatever the seeds and counts.
 */
export function splitOfComputation(key: string, testFraction: number): Split {
  return hash32(key) / 2 ** 32 < testFraction ? 'test' : 'train';
}

/**
 * `count` distinct problems of one split, deterministic in (seed, split, knobs).
 * @throws UserError when the knobs allow too few distinct problems for `count`
 */
export function generateArithProblems(split: Split, options: Partial<SyntheticArithOptions> = {}): Problem[] {
  const o = resolveArithOptions(options);
  const rng = new SeededRandom(hash32(`synthetic-arith/${split}/${o.seed}`));
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const maxDraws = 100 * o.count + 1000;
  for (let draw = 0; draw < maxDraws && problems.length < o.count; draw++) {
    const chain = randomChain(rng, o);
    if (chain === null || splitOfComputation(chainKey(chain), o.testFraction) !== split) continue;
    const story = tellChain(chain, rng);
    if (seen.has(story.question)) continue;
    seen.add(story.question);
    problems.push({
      id: `synthetic-arith-${split}-${problems.length}`,
      task: 'synthetic-arith',
      question: story.question,
      answer: story.answer,
      solution: story.solution,
    });
  }
  if (problems.length < o.count) {
    throw new UserError(
      `synthetic-arith: only ${problems.length} distinct ${split} problems exist for these knobs (asked for ${o.count}); raise maxValue or maxSteps, or lower count`,
    );
  }
  return problems;
}
