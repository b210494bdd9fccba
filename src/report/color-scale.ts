/**
 * The temperature colour scale of the token renderings: blue for the lowest temperature, white for the
 * middle, red for the highest (a diverging scale, the ends of ColorBrewer's RdYlBu), interpolated linearly
 * in sRGB between the three stops, so an SVG linearGradient with the same stops draws the same legend.
 */

export type Rgb = readonly [number, number, number];

export const LOW_COLOR: Rgb = [69, 117, 180]; // #4575b4
export const MID_COLOR: Rgb = [255, 255, 255];
export const HIGH_COLOR: Rgb = [215, 48, 39]; // #d73027

export interface TemperatureRange {
  min: number;
  max: number;
}

/**
 * Colour of temperature t on a scale from `range.min` (blue) to `range.max` (red); values outside are
 * clamped. A degenerate range (a fixed-temperature policy) maps everything to the middle, white.
 */
export function temperatureColor(t: number, range: TemperatureRange): Rgb {
  const span = range.max - range.min;
  const u = span > 0 && Number.isFinite(t) ? Math.min(1, Math.max(0, (t - range.min) / span)) : 0.5;
  const [from, to, f] = u < 0.5 ? [LOW_COLOR, MID_COLOR, u / 0.5] : [MID_COLOR, HIGH_COLOR, (u - 0.5) / 0.5];
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * f);
  return [mix(from[0], to[0]), mix(from[1], to[1]), mix(from[2], to[2])];
}

export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r},${g},${b})`;
}

/** Black or white, whichever reads better on this background (WCAG relative luminance threshold). */
export function textColorOn([r, g, b]: Rgb): string {
  const linear = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  // contrast with black (L + 0.05) / 0.05 beats contrast with white 1.05 / (L + 0.05) above L ~ 0.179
  return luminance > 0.179 ? '#000' : '#fff';
}

/** Extent of the finite temperatures, {min: 0, max: 0} when there are none. */
export function temperatureRange(temperatures: Iterable<number>): TemperatureRange {
  let min = Infinity;
  let max = -Infinity;
  for (const t of temperatures) {
    if (!Number.isFinite(t)) continue;
    min = Math.min(min, t);
    max = Math.max(max, t);
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}
