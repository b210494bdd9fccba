/**
 * General statistics over plain arrays: mean, std, confidence intervals of a mean, quantiles,
 * correlations and binned means. Used by evaluation (eval/), the plots (report/) and the comparison.
 */
/** Arithmetic mean; NaN for an empty input. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length > 0 ? sum / values.length : NaN;
}

/**
 * Standard deviation. Sample std (n - 1 denominator) unless `unbiased: false` asks for the population std.
 * NaN when there are too few values (n < 2 sample, n < 1 population).
 */
export function std(values: ArrayLike<number>, options: { unbiased?: boolean } = {}): number {
  const unbiased = options.unbiased ?? true;
  const n = values.length;
  if (n < (unbiased ? 2 : 1)) return NaN;
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - m) ** 2;
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
export function meanConfidenceInterval(values: ArrayLike<number>, how: IntervalMethod, confidence = 0.95): ConfidenceInterval {
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
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)];
    means[r] = sum / n;
  }
  means.sort();
  return { mean: m, low: quantileSorted(means, (1 - confidence) / 2), high: quantileSorted(means, (1 + confidence) / 2), n };
}

/** Quantile of sorted values with linear interpolation between order statistics (numpy's default, R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). @param p in (0, 1) */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs p in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  const pLow = 0.02425;
  if (p < pLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - pLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
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
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
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
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

function isConstant(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** 1-based ranks, tied values sharing the mean of their ranks. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let i = start; i < end; i++) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson on average ranks (handles ties). NaN as {@link pearson}. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
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
export function binnedMeans(x: ArrayLike<number>, y: ArrayLike<number>, bins: number, range?: readonly [number, number]): Bin[] {
  checkPaired(x, y);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (let i = 0; i < x.length; i++) [lo, hi] = [Math.min(lo, x[i]), Math.max(hi, x[i])];
  if (x.length === 0 && !range) [lo, hi] = [0, 0];
  if (!(hi >= lo)) throw new RangeError(`bin range must have hi >= lo, got [${lo}, ${hi}]`);
  const width = (hi - lo) / bins;
  const sums = Array.from({ length: bins }, () => ({ count: 0, x: 0, y: 0 }));
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo || x[i] > hi) continue;
    const index = width > 0 ? Math.min(bins - 1, Math.floor((x[i] - lo) / width)) : 0;
    sums[index].count++;
    sums[index].x += x[i];
    sums[index].y += y[i];
  }
  return sums.map((s, i) => ({
    lo: lo + i * width,
    hi: i === bins - 1 ? hi : lo + (i + 1) * width,
    count: s.count,
    meanX: s.count > 0 ? s.x / s.count : NaN,
    meanY: s.count > 0 ? s.y / s.count : NaN,
  }));
}
