/**
 * The comparison's statistics, pure functions over per-problem scores: pass@k for several k from
 * one set of n samples, and paired differences between two methods with a hierarchical bootstrap
 * confidence interval over training seeds and problems.
 *
 * Paired: both methods were evaluated on the same problems with the same evaluation seed (and so
 * the same token draws, see rollout/engine.ts), so their per-problem difference removes the
 * problem-difficulty and sampling noise they share; what is left is the methods' difference plus
 * training-seed noise, which the bootstrap over seeds carries into the interval.
 */
import { mean, mulberry32, quantileSorted } from '../util/stats.js';
import { passAtK } from './metrics.js';
import { at } from '../util/must.js';

/** One method's per-problem result under one evaluation policy for one training seed. */
export interface ProblemScores {
  /** samples per problem (n) */
  samples: number;
  /** correct samples of each problem, in problem order */
  correct: readonly number[];
}

/** Mean over problems of the unbiased pass@k (1 - C(n-c, k)/C(n, k)) for every k <= n; k > n are left out. */
export function passAtKs(scores: ProblemScores, ks: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const k of ks) {
    if (k > scores.samples) continue;
    out[k] = mean(scores.correct.map((c) => passAtK(scores.samples, c, k)));
  }
  return out;
}

/** avg@n per problem: the fraction of its samples that are correct. */
export function problemAccuracy(scores: ProblemScores): number[] {
  return scores.correct.map((c) => c / scores.samples);
}

export interface PairedDifference {
  /** mean over seeds and problems of (method - reference) */
  mean: number;
  low: number;
  high: number;
  seeds: number;
  problems: number;
}

/**
 * The paired difference of per-problem values, `differences[seed][problem]` = method - reference,
 * with a percentile bootstrap interval that resamples seeds with replacement and then problems
 * with replacement within each drawn seed (two-stage: both are sources of variation in a
 * published number). One seed gives an interval over problems only.
 */
export function pairedBootstrap(
  differences: readonly (readonly number[])[],
  options: { seed: number; resamples?: number; confidence?: number },
): PairedDifference {
  const S = differences.length;
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (S === 0 || differences.some((d) => d.length === 0)) return { mean: NaN, low: NaN, high: NaN, seeds: S, problems: 0 };
  const overall = mean(differences.map((d) => mean(d)));
  const random = mulberry32(options.seed);
  const draws = new Float64Array(resamples);
  // The bootstrap kernel (resamples x seeds x problems draws): floor(u * n) < n for u in [0, 1), so every
  // drawn index is in range.
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let s = 0; s < S; s++) {
      const d = differences[Math.floor(random() * S)]!;
      let sum = 0;
      for (let i = 0; i < d.length; i++) sum += d[Math.floor(random() * d.length)]!;
      total += sum / d.length;
    }
    draws[r] = total / S;
  }
  draws.sort();
  return {
    mean: overall,
    low: quantileSorted(draws, (1 - confidence) / 2),
    high: quantileSorted(draws, (1 + confidence) / 2),
    seeds: S,
    problems: at(differences, 0, 'seed differences').length,
  };
}

/** Per-problem differences of two methods' accuracies over the seeds both have. */
export function pairedDifferences(method: ReadonlyMap<number, ProblemScores>, reference: ReadonlyMap<number, ProblemScores>): number[][] {
  const out: number[][] = [];
  for (const [seed, m] of method) {
    const r = reference.get(seed);
    if (r === undefined) continue;
    if (r.correct.length !== m.correct.length)
      throw new RangeError(`seed ${seed}: ${m.correct.length} and ${r.correct.length} problems cannot be paired`);
    const a = problemAccuracy(m);
    const b = problemAccuracy(r);
    out.push(a.map((x, i) => x - at(b, i, 'reference accuracies')));
  }
  return out;
}
