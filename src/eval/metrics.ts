/**
 * Evaluation metrics over sampled answers: avg@k, pass@k, maj@k and avg@k's confidence interval.
 * Pure functions over plain arrays; per-problem inputs are `[problems][samples]`. General statistics
 * (mean, std, intervals, correlations) live in util/stats.
 */
import { mean, meanConfidenceInterval, type ConfidenceInterval, type IntervalMethod } from '../util/stats.js';
import { at } from '../util/must.js';

/** Fraction of correct samples per problem: [problems][samples] -> [problems]. */
export function perProblemAccuracy(correct: readonly (readonly boolean[])[]): number[] {
  return correct.map((samples) => {
    if (samples.length === 0) throw new RangeError('a problem has no samples');
    return samples.filter(Boolean).length / samples.length;
  });
}

/**
 * avg@k: mean accuracy over all k samples of all problems. Computed as the mean over problems of each
 * problem's accuracy, so every problem weighs the same even if one has fewer samples (identical to the mean
 * over all samples when every problem has k). @param correct [problems][k]
 */
export function avgAtK(correct: readonly (readonly boolean[])[]): number {
  return mean(perProblemAccuracy(correct));
}

/**
 * Unbiased pass@k of one problem from n samples of which c are correct (Chen et al. 2021, Codex):
 * 1 - C(n - c, k) / C(n, k), evaluated as 1 - prod_{i = n-c+1..n} (1 - k / i), which never forms the
 * (overflowing) binomial coefficients.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k))
    throw new RangeError(`pass@k needs integers, got n=${n} c=${c} k=${k}`);
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) throw new RangeError(`pass@k needs 0 <= c <= n and 1 <= k <= n, got n=${n} c=${c} k=${k}`);
  if (n - c < k) return 1; // every k-subset contains a correct sample
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** Mean over problems of the unbiased pass@k, each problem's n being its number of samples. @param correct [problems][n] */
export function meanPassAtK(correct: readonly (readonly boolean[])[], k: number): number {
  return mean(correct.map((samples) => passAtK(samples.length, samples.filter(Boolean).length, k)));
}

/** One sampled answer of a problem: the extracted final answer (null when none was found) and its verdict. */
export interface VotedSample<A> {
  answer: A | null;
  correct: boolean;
}

/** How maj@k decides that two answers are the same: a normalising key, or a pairwise equivalence. */
export type AnswerIdentity<A> = { key: (answer: A) => string } | { equivalent: (a: A, b: A) => boolean };

export interface MajorityVote<A> {
  /** The winning answer (its first occurrence), or null when no sample had an answer. */
  answer: A | null;
  /** Index of the winning answer's first occurrence among the samples (-1 when none). */
  index: number;
  /** How many samples voted for it. */
  votes: number;
  /** Verdict of the winning answer's first occurrence; false when no sample had an answer. */
  correct: boolean;
}

/**
 * Majority vote over one problem's samples (pass the first k for maj@k). Samples without an answer do not
 * vote. With a `key`, answers with equal keys form one class; with `equivalent`, each answer joins the first
 * class (in sample order) whose first answer it is equivalent to. Ties go to the class whose first answer
 * comes earliest in sample order, so the result depends only on the order of the samples. The verdict of a
 * class is that of its first sample (the verifier should agree within a class).
 */
export function majorityVote<A>(samples: readonly VotedSample<A>[], identity: AnswerIdentity<A>): MajorityVote<A> {
  type AnswerClass = { first: number; votes: number };
  const classes: AnswerClass[] = []; // in order of first occurrence
  const byKey = new Map<string, AnswerClass>();
  samples.forEach((sample, i) => {
    if (sample.answer === null) return;
    const answer = sample.answer;
    const key = 'key' in identity ? identity.key(answer) : undefined;
    let cls =
      key !== undefined
        ? byKey.get(key)
        : classes.find((c) =>
            (identity as { equivalent: (a: A, b: A) => boolean }).equivalent(at(samples, c.first, 'sample').answer as A, answer),
          );
    if (!cls) {
      cls = { first: i, votes: 0 };
      classes.push(cls);
      if (key !== undefined) byKey.set(key, cls);
    }
    cls.votes++;
  });
  // classes are in order of first occurrence; a strict > keeps the earliest among tied classes.
  let best: (typeof classes)[number] | undefined;
  for (const c of classes) if (!best || c.votes > best.votes) best = c;
  if (!best) return { answer: null, index: -1, votes: 0, correct: false };
  const { answer, correct } = at(samples, best.first, 'sample');
  return { answer, index: best.first, votes: best.votes, correct };
}

/** maj@k over problems: the fraction of problems whose majority answer is correct. @param samples [problems][k] */
export function majAtK<A>(samples: readonly (readonly VotedSample<A>[])[], identity: AnswerIdentity<A>): number {
  return mean(samples.map((s) => (majorityVote(s, identity).correct ? 1 : 0)));
}

/** avg@k with a confidence interval over problems. @param correct [problems][k] */
export function avgAtKWithInterval(correct: readonly (readonly boolean[])[], how: IntervalMethod, confidence = 0.95): ConfidenceInterval {
  return meanConfidenceInterval(perProblemAccuracy(correct), how, confidence);
}
