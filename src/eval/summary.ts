/**
 * The numbers one evaluation reports for one task and policy, from its graded samples: avg@k with a
 * confidence interval, unbiased pass@k, maj@k, greedy accuracy, mean length and mean temperature.
 */
import { avgAtKWithInterval, majAtK, meanPassAtK, type AnswerIdentity } from './metrics.js';

/** What the summary needs of one graded sample. */
export interface GradedSample {
  /** the extracted final answer, null when none */
  extracted: string | null;
  correct: boolean;
  /** generated tokens */
  length: number;
  /** sum of the temperatures the tokens were sampled at */
  temperatureSum: number;
}

export interface EvalSummary {
  /** problems evaluated (fewer than asked when the run was stopped early) */
  problems: number;
  /** samples per problem */
  k: number;
  /** mean accuracy over all samples (every problem weighing the same) */
  avgAtK: number;
  /** two-sided 95% normal interval of avg@k over problems, clipped to [0, 1] */
  avgCiLow: number;
  avgCiHigh: number;
  /** unbiased pass@k (Chen et al. 2021) averaged over problems */
  passAtK: number;
  /** fraction of problems whose most frequent answer (equivalent answers pooled) is correct */
  majAtK: number;
  /** accuracy of one greedy completion per problem; null when not measured */
  greedyAccuracy: number | null;
  /** mean generated tokens per sample */
  meanLength: number;
  /** mean sampling temperature over all generated tokens (0 for greedy tokens) */
  meanTemperature: number;
  /** generated tokens in all (sampled and greedy) */
  tokens: number;
}

/**
 * Summarises graded samples. @param samples [problems][k] @param greedy one verdict per problem, or
 * undefined @param identity how maj@k decides that two answers agree
 */
export function summarizeSamples(
  samples: readonly (readonly GradedSample[])[],
  k: number,
  identity: AnswerIdentity<string>,
  greedy?: readonly GradedSample[],
): EvalSummary {
  const correct = samples.map((s) => s.map((x) => x.correct));
  const all = samples.flat();
  const tokens = all.reduce((n, s) => n + s.length, 0);
  const empty = samples.length === 0;
  const ci = empty ? { low: NaN, high: NaN, mean: NaN } : avgAtKWithInterval(correct, { method: 'normal' });
  // With one problem (or identical verdicts) the std is NaN or 0: the interval collapses to the mean.
  const spread = (x: number): number => (Number.isFinite(x) ? x : ci.mean);
  return {
    problems: samples.length,
    k,
    avgAtK: ci.mean,
    avgCiLow: clip01(spread(ci.low)),
    avgCiHigh: clip01(spread(ci.high)),
    passAtK: empty ? NaN : meanPassAtK(correct, k),
    majAtK: empty
      ? NaN
      : majAtK(
          samples.map((s) => s.map((x) => ({ answer: x.extracted, correct: x.correct }))),
          identity,
        ),
    greedyAccuracy: greedy === undefined ? null : greedy.length === 0 ? NaN : greedy.filter((g) => g.correct).length / greedy.length,
    meanLength: all.length === 0 ? NaN : tokens / all.length,
    meanTemperature: tokens === 0 ? NaN : all.reduce((t, s) => t + s.temperatureSum, 0) / tokens,
    tokens: tokens + (greedy ?? []).reduce((n, g) => n + g.length, 0),
  };
}

function clip01(x: number): number {
  return Number.isNaN(x) ? x : Math.min(1, Math.max(0, x));
}
