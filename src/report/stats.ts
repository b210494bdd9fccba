/** Statistics the plots show beside the raw points: binned means with spread, correlations, point samples. */
import { at, last, swap } from '../util/must.js';
import { binnedMeans, isConstant, mean, pearson, spearman, type Bin, type Numbers } from '../util/stats.js';

/** One bin of {@link binnedStats}: the bin of {@link binnedMeans} plus the sample std of y inside it. */
export interface BinStats extends Bin {
  /** Sample std of y over the bin (n - 1 denominator); NaN with fewer than 2 points. */
  stdY: number;
}

/**
 * Means and standard deviations of y over equal-width bins of x. The std comes from a second
 * {@link binnedMeans} pass over (y - c)^2 with c the overall mean of y, so both passes assign every point
 * to the same bin; centring on c keeps E[(y-c)^2] - (E[y]-c)^2 free of cancellation when y has a large
 * offset and a small spread (temperatures near 1 that vary by 0.01).
 */
export function binnedStats(x: Numbers, y: Numbers, bins: number, range?: readonly [number, number]): BinStats[] {
  const c = Number.isFinite(mean(y)) ? mean(y) : 0;
  const squares = Array.from(y, (v) => (v - c) ** 2);
  const first = binnedMeans(x, y, bins, range);
  const second = binnedMeans(x, squares, bins, range);
  return first.map((bin, i) => {
    const variance = Math.max(0, at(second, i, 'bin of squares').meanY - (bin.meanY - c) ** 2) * (bin.count / (bin.count - 1));
    return { ...bin, stdY: bin.count >= 2 ? Math.sqrt(variance) : NaN };
  });
}

/**
 * Means and standard deviations of y over (about) equal-count bins of x: bin edges at the
 * quantiles of x, so a skewed x (token entropies: most tokens near 0) still spreads over all bins
 * instead of crowding the first. Equal x values always share a bin, so with many ties there are
 * fewer bins than asked; empty bins are left out.
 */
export function equalFrequencyBinStats(x: ArrayLike<number>, y: ArrayLike<number>, bins: number): BinStats[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  const points = Array.from(x, (xi, i) => ({ x: xi, y: at(y, i, 'y') })).sort((a, b) => a.x - b.x);
  const out: BinStats[] = [];
  let start = 0;
  for (let b = 0; b < bins && start < points.length; b++) {
    let end = Math.max(start + 1, Math.round(((b + 1) * points.length) / bins));
    // Keep ties together: extend the bin over every point equal to its last one.
    while (end < points.length && points[end]?.x === points[end - 1]?.x) end++;
    const members = points.slice(start, end);
    const ys = members.map((p) => p.y);
    const meanY = mean(ys);
    const stdY = ys.length >= 2 ? Math.sqrt(ys.reduce((acc, v) => acc + (v - meanY) ** 2, 0) / (ys.length - 1)) : NaN;
    const lo = at(members, 0, 'bin member').x;
    out.push({ lo, hi: last(members, 'bin member').x, count: members.length, meanX: mean(members.map((p) => p.x)), meanY, stdY });
    start = end;
  }
  return out;
}

export interface Correlation {
  pearson: number;
  spearman: number;
  /** Why the correlations are NaN ("constant temperature", "fewer than 2 points"), null when they are defined. */
  undefinedBecause: string | null;
}

/**
 * Pearson and Spearman correlations of paired values, with the reason when they are undefined: a fixed
 * temperature policy gives constant y, and a correlation with a constant is 0/0, not 0.
 * @param names what x and y are, for the reason ("constant temperature")
 */
export function correlate(x: Numbers, y: Numbers, names: { x: string; y: string }): Correlation {
  // Decide "undefined" from the data itself, before the formula: metrics.pearson only returns NaN when its
  // sums of squares are exactly 0, and the mean of a constant like 0.6 is not always exactly 0.6 in floating
  // point, so a fixed temperature would otherwise get a meaningless r of order 1e-17.
  let undefinedBecause: string | null = null;
  if (x.length < 2) undefinedBecause = 'fewer than 2 points';
  else if (isConstant(y)) undefinedBecause = `constant ${names.y}`;
  else if (isConstant(x)) undefinedBecause = `constant ${names.x}`;
  if (undefinedBecause) return { pearson: NaN, spearman: NaN, undefinedBecause };
  const r = pearson(x, y);
  const rho = spearman(x, y);
  return { pearson: r, spearman: rho, undefinedBecause: Number.isNaN(r) || Number.isNaN(rho) ? 'non-finite values' : null };
}

/** "0.987", or "undefined (constant temperature)" for a NaN correlation. */
export function formatCorrelation(value: number, correlation: Correlation, digits = 3): string {
  return Number.isNaN(value) ? `undefined (${correlation.undefinedBecause ?? 'NaN'})` : value.toFixed(digits);
}

/**
 * At most `limit` of the items, chosen by a seeded partial Fisher-Yates shuffle and returned in their
 * original order: a scatter of 100k tokens is unreadable and huge, and an evenly strided pick would alias
 * with the periodic structure of concatenated answers (every k-th token of same-length answers).
 */
export function samplePoints<T>(items: readonly T[], limit: number, seed = 1): T[] {
  if (items.length <= limit) return items.slice();
  const index = Array.from({ length: items.length }, (_, i) => i);
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: deterministic and plenty for picking plot points
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(next() * (items.length - i));
    swap(index, i, j);
  }
  return index
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => at(items, i, 'point'));
}
