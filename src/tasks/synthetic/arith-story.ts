import type { ArithChain, ArithStep } from './arith-chain.js';
import { chainResult } from './arith-chain.js';
import type { SeededRandom } from './random.js';

const PEOPLE: ReadonlyArray<{ name: string; pronoun: string }> = [
  { name: 'Tom', pronoun: 'He' },
  { name: 'Ana', pronoun: 'She' },
  { name: 'Sam', pronoun: 'He' },
  { name: 'Mia', pronoun: 'She' },
  { name: 'Leo', pronoun: 'He' },
  { name: 'Zoe', pronoun: 'She' },
  { name: 'Ben', pronoun: 'He' },
  { name: 'Eva', pronoun: 'She' },
];

/** [singular, plural]: "1 apple", "3 apples". */
const ITEMS: ReadonlyArray<readonly [string, string]> = [
  ['apple', 'apples'],
  ['book', 'books'],
  ['marble', 'marbles'],
  ['card', 'cards'],
  ['coin', 'coins'],
  ['shell', 'shells'],
  ['pen', 'pens'],
  ['stamp', 'stamps'],
];

/** A few fixed phrasings per operation: enough variety to read as words, regular enough to learn. */
const PHRASES: Readonly<Record<ArithStep['op'], readonly string[]>> = {
  '+': ['buys {n} more', 'finds {n} more', 'gets {n} more'],
  '-': ['gives away {n}', 'loses {n}', 'sells {n}'],
  '*': ['ends up with {n} times as many'],
};

/** A word problem with its worked solution. */
export interface ArithStory {
  question: string;
  /** `3+5=8. 8-2=6.\n#### 6\n`: one equation per step, then the answer line. */
  solution: string;
  answer: string;
}

/**
 * Tells a chain as a word problem: "Tom has 3 apples. He buys 5 more, then gives away 2. How many
 * apples does Tom have?", with solution "3+5=8. 8-2=6.\n#### 6\n".
 */
export function tellChain(chain: ArithChain, rng: SeededRandom): ArithStory {
  const person = rng.pick(PEOPLE);
  const [singular, plural] = rng.pick(ITEMS);
  const clauses = chain.steps.map((step) => rng.pick(PHRASES[step.op]).replace('{n}', String(step.operand)));
  const has = `${person.name} has ${chain.start} ${chain.start === 1 ? singular : plural}.`;
  const actions = `${person.pronoun} ${clauses.join(', then ')}.`;
  const ask = `How many ${plural} does ${person.name} have?`;
  const answer = String(chainResult(chain));
  const work = chain.steps.map((s) => `${s.before}${s.op}${s.operand}=${s.after}.`).join(' ');
  return { question: `${has} ${actions} ${ask}`, solution: `${work}\n#### ${answer}\n`, answer };
}
