/**
 * General statistics over plain arrays: mean, std, confidence intervals of a mean, quantiles,
 * correlations and binned means. Used by evaluation (eval/), the plots (report/) and the comparison.
 */
import { at } from './must.js';

/** Plain or typed arrays of numbers: indexable and iterable. */
export type Numbers = ArrayLike<number> & Iterable<number>;

/** Arithmetic mean; NaN for an empty input. */
export function mean(values: Numbers): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length > 0 ? sum / values.length : NaN;
}

/**
 * Standard deviation. Sample std (n - 1 denominator) unless `unbiased: false` asks for the population std.
 * NaN when there are too few values (n < 2 sample, n < 1 population).
 */
export function std(values: Numbers, options: { unbiased?: boolean } = {}): number {
  const unbiased = options.unbiased ?? true;
  const n = values.length;
  if (n < (unbiased ? 2 : 1)) return NaN;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return Math.sqrt(squares / (unbiased ? n - 1 : n));
}

export interface ConfidenceInterval {
  mean: number;
  low: number;
  high: number;
  /** Number of values (problems). */
  n: number;
}

export type IntervalMethod =
  /** mean +- z * s / sqrt(n), s the sample std, z the normal quantile (no t correction: n is usually hundreds). */
  | { method: 'normal' }
  /** Percentile bootstrap: `resamples` (default 10000) means of n values drawn with replacement by a seeded rng. */
  | { method: 'bootstrap'; seed: number; resamples?: number };

/**
 * Mean and a two-sided confidence interval of per-problem values (e.g. {@link perProblemAccuracy} for avg@k).
 * @param confidence coverage, default 0.95
 */
export function meanConfidenceInterval(values: Numbers, how: IntervalMethod, confidence = 0.95): ConfidenceInterval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const n = values.length;
  const m = mean(values);
  if (how.method === 'normal') {
    const half = normalQuantile(0.5 + confidence / 2) * (std(values) / Math.sqrt(n));
    return { mean: m, low: m - half, high: m + half, n };
  }
  const resamples = how.resamples ?? 10000;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be an integer >= 1, got ${resamples}`);
  if (n === 0) return { mean: NaN, low: NaN, high: NaN, n };
  const random = mulberry32(how.seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)]!; // floor(u * n) < n for u in [0, 1)
    means[r] = sum / n;
  }
  means.sort();
  return { mean: m, low: quantileSorted(means, (1 - confidence) / 2), high: quantileSorted(means, (1 + confidence) / 2), n };
}

/** Quantile of sorted values with linear interpolation between order statistics (numpy's default, R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const low = at(sorted, lo, 'quantile order statistic');
  return low + (h - lo) * (at(sorted, hi, 'quantile order statistic') - low);
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). @param p in (0, 1) */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs p in (0, 1), got ${p}`);
  const [a0, a1, a2, a3, a4, a5] = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ] as const;
  const [b0, b1, b2, b3, b4] = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572] as const;
  const [c0, c1, c2, c3, c4, c5] = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783,
  ] as const;
  const [d0, d1, d2, d3] = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416] as const;
  const tail = (q: number) => (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  const pLow = 0.02425;
  if (p < pLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - pLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/** Deterministic uniform [0, 1) generator (mulberry32) so bootstrap intervals are reproducible from a seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new RangeError(`paired data of different lengths: ${x.length} and ${y.length}`);
}

/** Pearson correlation; NaN when fewer than 2 pairs or either variable is constant. */
export function pearson(x: Numbers, y: Numbers): number {
  checkPaired(x, y);
  if (x.length < 2) return NaN;
  // A constant side has no correlation; test it exactly, since a rounded mean of equal values
  // leaves tiny non-zero deviations (sum of squares ~1e-30) that would give a spurious ~0.
  if (isConstant(x) || isConstant(y)) return NaN;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] ?? NaN) - mx; // i < x.length = y.length (checkPaired)
    const dy = (y[i] ?? NaN) - my;
    sxy += dx * dy;
    sxx += dx ** 2;
    syy += dy ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Whether every value equals the first, exactly (true for fewer than 2 values). */
export function isConstant(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** 1-based ranks, tied values sharing the mean of their ranks. */
export function averageRanks(values: Numbers): Float64Array {
  const sorted = Array.from(values, (value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Float64Array(sorted.length);
  for (let start = 0; start < sorted.length;) {
    const tied = sorted[start]?.value;
    let end = start + 1;
    while (end < sorted.length && sorted[end]?.value === tied) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (const { index } of sorted.slice(start, end)) ranks[index] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson on average ranks (handles ties). NaN as {@link pearson}. */
export function spearman(x: Numbers, y: Numbers): number {
  checkPaired(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

export interface Bin {
  /** Bin edges: [lo, hi), the last bin [lo, hi]. */
  lo: number;
  hi: number;
  count: number;
  /** Means of x and y over the bin; NaN for an empty bin. */
  meanX: number;
  meanY: number;
}

/**
 * Means of y over equal-width bins of x (for binned plots, e.g. accuracy against temperature).
 * @param range [lo, hi] of the bins, default [min x, max x]; points outside it are left out
 */
export function binnedMeans(x: Numbers, y: Numbers, bins: number, range?: readonly [number, number]): Bin[] {
  checkPaired(x, y);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (const xi of x) [lo, hi] = [Math.min(lo, xi), Math.max(hi, xi)];
  if (x.length === 0 && !range) [lo, hi] = [0, 0];
  if (!(hi >= lo)) throw new RangeError(`bin range must have hi >= lo, got [${lo}, ${hi}]`);
  const width = (hi - lo) / bins;
  const sums = Array.from({ length: bins }, () => ({ count: 0, x: 0, y: 0 }));
  for (let i = 0; i < x.length; i++) {
    const xi = at(x, i, 'binned x');
    if (xi < lo || xi > hi) continue;
    const sum = at(sums, width > 0 ? Math.min(bins - 1, Math.floor((xi - lo) / width)) : 0, 'bin');
    sum.count++;
    sum.x += xi;
    sum.y += at(y, i, 'binned y');
  }
  return sums.map((s, i) => ({
    lo: lo + i * width,
    hi: i === bins - 1 ? hi : lo + (i + 1) * width,
    count: s.count,
    meanX: s.count > 0 ? s.x / s.count : NaN,
    meanY: s.count > 0 ? s.y / s.count : NaN,
  }));
}
