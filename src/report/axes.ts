/** Chart furniture shared by every chart: plot area, title, axes with ticks and labels, legend. */
import { type Axis, formatTick } from './scale.js';
import { el, text, textWidth } from './svg.js';

/** Pixel geometry of a chart: the whole canvas and the plot area inside its margins. */
export interface Frame {
  width: number;
  height: number;
  /** Plot area edges, px. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface FrameOptions {
  width?: number;
  height?: number;
  /** Room kept right of the plot for a legend, px. */
  legendWidth?: number;
  /** Extra room below the plot (e.g. rotated category labels), px. */
  extraBottom?: number;
}

export function makeFrame(options: FrameOptions = {}): Frame {
  const width = options.width ?? 760;
  const height = options.height ?? 460;
  const legend = options.legendWidth ?? 0;
  return { width, height, left: 78, right: width - 24 - legend, top: 48, bottom: height - 58 - (options.extraBottom ?? 0) };
}

const AXIS_COLOR = '#333';
const GRID_COLOR = '#e3e3e3';

export function drawTitle(frame: Frame, title: string): string {
  return text(frame.width / 2, 28, title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold', class: 'title' });
}

/** Y axis: gridlines, ticks, tick labels and the rotated axis label. */
export function drawYAxis(frame: Frame, axis: Axis, y: (v: number) => number, label: string): string {
  const parts = axis.ticks.map((t) =>
    el('g', { class: 'y-tick' }, [
      el('line', { x1: frame.left, x2: frame.right, y1: y(t), y2: y(t), stroke: GRID_COLOR }),
      el('line', { x1: frame.left - 5, x2: frame.left, y1: y(t), y2: y(t), stroke: AXIS_COLOR }),
      text(frame.left - 8, y(t) + 4, formatTick(t, axis.decimals), { 'text-anchor': 'end', 'font-size': 11 }),
    ]),
  );
  const midY = (frame.top + frame.bottom) / 2;
  parts.push(el('line', { x1: frame.left, x2: frame.left, y1: frame.top, y2: frame.bottom, stroke: AXIS_COLOR }));
  parts.push(text(20, midY, label, { 'text-anchor': 'middle', transform: `rotate(-90 20 ${midY})`, 'font-size': 13, class: 'y-label' }));
  return el('g', { class: 'y-axis' }, parts);
}

/** Numeric x axis: ticks, tick labels and the axis label. */
export function drawXAxis(frame: Frame, axis: Axis, x: (v: number) => number, label: string): string {
  const parts = axis.ticks.map((t) =>
    el('g', { class: 'x-tick' }, [
      el('line', { x1: x(t), x2: x(t), y1: frame.bottom, y2: frame.bottom + 5, stroke: AXIS_COLOR }),
      text(x(t), frame.bottom + 19, formatTick(t, axis.decimals), { 'text-anchor': 'middle', 'font-size': 11 }),
    ]),
  );
  parts.push(el('line', { x1: frame.left, x2: frame.right, y1: frame.bottom, y2: frame.bottom, stroke: AXIS_COLOR }));
  parts.push(xLabel(frame, label));
  return el('g', { class: 'x-axis' }, parts);
}

/** Categorical x axis (bar charts): one label under each category, rotated when they would collide. */
export function drawCategoryAxis(frame: Frame, categories: { label: string; x: number }[], slotWidth: number, label?: string): string {
  const rotate = categoryLabelsRotate(categories.map((c) => c.label), slotWidth);
  const parts = categories.map((c) => {
    const y = frame.bottom + 18;
    const attrs = rotate
      ? { 'text-anchor': 'end', transform: `rotate(-30 ${c.x} ${y})`, 'font-size': 11, class: 'category' }
      : { 'text-anchor': 'middle', 'font-size': 11, class: 'category' };
    return text(c.x, y, c.label, attrs);
  });
  parts.push(el('line', { x1: frame.left, x2: frame.right, y1: frame.bottom, y2: frame.bottom, stroke: AXIS_COLOR }));
  if (label) parts.push(xLabel(frame, label));
  return el('g', { class: 'x-axis' }, parts);
}

/** Whether category labels of this slot width will be rotated (so the caller can reserve room below). */
export function categoryLabelsRotate(labels: string[], slotWidth: number): boolean {
  return labels.some((l) => textWidth(l, 11) > slotWidth - 4);
}

function xLabel(frame: Frame, label: string): string {
  return text((frame.left + frame.right) / 2, frame.height - 14, label, { 'text-anchor': 'middle', 'font-size': 13, class: 'x-label' });
}

export interface LegendEntry {
  label: string;
  color: string;
  /** How the entry's swatch is drawn: a line, a dot, a filled box, a dot with an error bar, or no swatch (a note). */
  mark: 'line' | 'point' | 'box' | 'errorbar' | 'none';
}

/** Width a legend with these entries needs right of the plot, px (0 when there are none). */
export function legendWidth(entries: LegendEntry[]): number {
  if (entries.length === 0) return 0;
  return Math.min(320, 40 + Math.max(...entries.map((e) => textWidth(e.label, 11))));
}

/** The legend, stacked top-down right of the plot area. */
export function drawLegend(frame: Frame, entries: LegendEntry[]): string {
  const x = frame.right + 16;
  const rows = entries.map((entry, i) => {
    const y = frame.top + 8 + i * 20;
    return el('g', { class: 'legend-entry' }, [swatch(entry, x, y), text(x + (entry.mark === 'none' ? 0 : 24), y + 4, entry.label, { 'font-size': 11 })]);
  });
  return el('g', { class: 'legend' }, rows);
}

function swatch(entry: LegendEntry, x: number, y: number): string {
  switch (entry.mark) {
    case 'line':
      return el('line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: entry.color, 'stroke-width': 2.5 });
    case 'point':
      return el('circle', { cx: x + 9, cy: y, r: 3, fill: entry.color, 'fill-opacity': 0.5 });
    case 'box':
      return el('rect', { x: x + 2, y: y - 6, width: 14, height: 12, fill: entry.color });
    case 'errorbar':
      return el('g', {}, [
        el('line', { x1: x + 9, x2: x + 9, y1: y - 7, y2: y + 7, stroke: entry.color, 'stroke-width': 1.5 }),
        el('circle', { cx: x + 9, cy: y, r: 4, fill: entry.color }),
      ]);
    case 'none':
      return '';
  }
}
