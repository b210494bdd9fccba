/** Axis domains and "nice" tick values (steps of 1, 2 or 5 times a power of ten). */

export interface Axis {
  /** Domain ends, widened to whole ticks. */
  min: number;
  max: number;
  ticks: number[];
  /** Decimals that show every tick distinctly. */
  decimals: number;
}

/** The 1-2-5 step closest to `span / target`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
  return nice * power;
}

/**
 * An axis covering [lo, hi] with about `target` ticks. Non-finite or empty input gives [0, 1]; a single
 * value v gets v ± 10% (± 0.5 around 0), so a constant series still has a readable axis.
 */
export function niceAxis(lo: number, hi: number, target = 6): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) [lo, hi] = [0, 1];
  // a span lost in rounding (a constant whose computed mean is off by an ulp) is a constant too
  if (hi - lo <= 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))) {
    lo = hi = (lo + hi) / 2;
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = niceStep(hi - lo, target);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  // round each tick to the step's precision so labels read 0.3, not 0.30000000000000004
  for (let i = 0; min + i * step <= max + step * 1e-9; i++) ticks.push(Number((min + i * step).toFixed(decimals)));
  return { min, max, ticks, decimals };
}

/** Extent of finite values, [Infinity, -Infinity] when there are none. */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Maps a domain [d0, d1] linearly onto a pixel range [r0, r1] (r1 < r0 for a y axis that grows upward). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** A tick label: fixed decimals, and no "-0". */
export function formatTick(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  return Number(s) === 0 ? (0).toFixed(decimals) : s;
}
