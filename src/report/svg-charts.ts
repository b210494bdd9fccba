/**
 * Dependency-free SVG charts for the comparison report: training curves (lineChart) and final scores with
 * error bars (barChart); the analysis plots are Vega-Lite (charts.ts). Each returns a standalone SVG document;
 * `writeChart` in png.ts also renders it to PNG. Marks carry a class (series, marker, bar, error-bar, point,
 * bin-mean) so tests and style sheets can find them.
 */
import { type Frame, type LegendEntry, categoryLabelsRotate, drawCategoryAxis, drawLegend, drawTitle, drawXAxis, drawYAxis, legendWidth, makeFrame } from './axes.js';
import { extent, linearScale, niceAxis } from './scale.js';
import { el, num, pathThrough, seriesColor, svgDocument, text } from './svg.js';

type Point = [number, number];

/** Canvas size in px; the PNG is rendered at the requested width whatever this is. */
export interface ChartSize {
  width?: number;
  height?: number;
}

export interface LineSeries {
  name: string;
  /** [x, y] pairs; non-finite pairs are left out. */
  points: Point[];
}

export interface LineChartSpec extends ChartSize {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
}

/** Points get markers only while they stay distinguishable. */
const MAX_MARKERS = 60;

/** One line per series (e.g. mean training reward per iteration for each method), with a legend. */
export function lineChart(spec: LineChartSpec): string {
  const series = spec.series.map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const legend: LegendEntry[] = series.map((s, i) => ({ label: s.name, color: seriesColor(i), mark: 'line' }));
  const frame = makeFrame({ ...spec, legendWidth: legendWidth(legend) });
  const all = series.flatMap((s) => s.points);
  const { xAxis, x, yAxis, y } = numericAxes(frame, extent(all.map((p) => p[0])), extent(all.map((p) => p[1])));
  const lines = series.map((s, i) => {
    const color = seriesColor(i);
    const pixels = s.points.map(([px, py]): Point => [x(px), y(py)]);
    const markers = pixels.length <= MAX_MARKERS ? pixels.map(([cx, cy]) => el('circle', { cx, cy, r: 2.5, fill: color, class: 'marker' })) : [];
    const path = el('path', { d: pathThrough(pixels), fill: 'none', stroke: color, 'stroke-width': 2, class: 'series', 'data-name': s.name });
    return el('g', {}, [path, ...markers]);
  });
  return svgDocument(frame.width, frame.height, [
    drawTitle(frame, spec.title),
    drawYAxis(frame, yAxis, y, spec.yLabel),
    drawXAxis(frame, xAxis, x, spec.xLabel),
    clipped(frame, lines),
    drawLegend(frame, legend),
  ]);
}

export interface Bar {
  label: string;
  value: number;
  /** Half-length of the error bar (e.g. the std over seeds); drawn as value ± error. */
  error?: number;
}

export interface BarChartSpec extends ChartSize {
  title: string;
  yLabel: string;
  xLabel?: string;
  bars: Bar[];
}

/** One bar per method (e.g. final avg@k) with value ± error bars and the value printed above each bar. */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 760;
  const slot = (width - 78 - 24) / Math.max(1, spec.bars.length);
  const labels = spec.bars.map((b) => b.label);
  const rotate = categoryLabelsRotate(labels, slot);
  const extraBottom = rotate ? Math.min(120, Math.max(...labels.map((l) => l.length)) * 4) : 0;
  const frame = makeFrame({ ...spec, extraBottom });
  const tops = spec.bars.flatMap((b) => [b.value + (b.error ?? 0), b.value - (b.error ?? 0)]);
  const [lo, hi] = extent([0, ...tops]); // bars grow from 0, so 0 is always in the domain
  const yAxis = niceAxis(lo, hi);
  const y = linearScale(yAxis.min, yAxis.max, frame.bottom, frame.top);
  const step = (frame.right - frame.left) / Math.max(1, spec.bars.length);
  const barWidth = Math.min(80, step * 0.6);
  const marks = spec.bars.map((bar, i) => {
    const cx = frame.left + step * (i + 0.5);
    const color = seriesColor(i);
    if (!Number.isFinite(bar.value)) return text(cx, y(0) - 6, 'n/a', { 'text-anchor': 'middle', 'font-size': 11 });
    const parts = [el('rect', { x: cx - barWidth / 2, y: Math.min(y(bar.value), y(0)), width: barWidth, height: Math.abs(y(bar.value) - y(0)), fill: color, class: 'bar', 'data-label': bar.label })];
    const error = bar.error !== undefined && Number.isFinite(bar.error) ? bar.error : 0;
    if (error > 0) parts.push(errorBar(cx, y(bar.value + error), y(bar.value - error), '#222'));
    // Two significant digits on the error keep neighbouring labels from running into each other.
    const valueLabel = error > 0 ? `${formatValue(bar.value)} ± ${Number(error.toPrecision(2))}` : formatValue(bar.value);
    parts.push(text(cx, Math.min(y(bar.value + error), y(bar.value), y(0)) - 6, valueLabel, { 'text-anchor': 'middle', 'font-size': 10, class: 'value' }));
    return el('g', {}, parts);
  });
  const categories = spec.bars.map((b, i) => ({ label: b.label, x: frame.left + step * (i + 0.5) }));
  return svgDocument(frame.width, frame.height, [
    drawTitle(frame, spec.title),
    drawYAxis(frame, yAxis, y, spec.yLabel),
    drawCategoryAxis(frame, categories, step, spec.xLabel),
    ...marks,
  ]);
}

function numericAxes(frame: Frame, xRange: [number, number], yRange: [number, number]) {
  const xAxis = niceAxis(...xRange);
  const yAxis = niceAxis(...yRange);
  return { xAxis, x: linearScale(xAxis.min, xAxis.max, frame.left, frame.right), yAxis, y: linearScale(yAxis.min, yAxis.max, frame.bottom, frame.top) };
}

/** Marks drawn inside the plot area only (a few px of slack so markers on the edge stay whole). */
function clipped(frame: Frame, marks: string[]): string {
  const id = 'plot-area';
  const clip = el('clipPath', { id }, el('rect', { x: frame.left - 5, y: frame.top - 5, width: frame.right - frame.left + 10, height: frame.bottom - frame.top + 10 }));
  return el('g', {}, [el('defs', {}, clip), el('g', { 'clip-path': `url(#${id})` }, marks)]);
}

/** A vertical error bar from pixel y `top` to `bottom` with caps. */
function errorBar(cx: number, top: number, bottom: number, color: string): string {
  const cap = 5;
  const d = `M${num(cx)} ${num(top)} L${num(cx)} ${num(bottom)} M${num(cx - cap)} ${num(top)} L${num(cx + cap)} ${num(top)} M${num(cx - cap)} ${num(bottom)} L${num(cx + cap)} ${num(bottom)}`;
  return el('path', { d, stroke: color, 'stroke-width': 1.5, fill: 'none', class: 'error-bar' });
}

/** Three significant digits, enough to tell methods apart on a bar label. */
function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}
