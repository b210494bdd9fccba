/**
 * Charts as Vega-Lite specs, rendered to SVG in Node by vega (no browser, no canvas: text widths are
 * estimated) and to PNG by resvg. Every chart's spec is saved beside its images as `<name>.vl.json`,
 * with the data inlined, so a user can restyle it in the Vega editor or re-render it with vl2svg.
 */
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { svgToPng, type PngOptions } from './png.js';

export type { TopLevelSpec };

/** The look every chart shares: DejaVu Sans (what resvg finds), a light grid, no chart border. */
export const BASE_CONFIG = {
  font: 'DejaVu Sans',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
} as const;

/** Renders a Vega-Lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<path>.vl.json` (the spec), `<path>.svg` and `<path>.png`; returns the three paths. */
export async function writeVegaChart(pathWithoutExt: string, spec: TopLevelSpec, options: PngOptions = {}): Promise<string[]> {
  const full = { ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const svg = await renderSvg(full);
  const [specFile, svgFile, pngFile] = [`${pathWithoutExt}.vl.json`, `${pathWithoutExt}.svg`, `${pathWithoutExt}.png`];
  writeFileSync(specFile, JSON.stringify({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...full }, null, 2) + '\n');
  writeFileSync(svgFile, svg);
  writeFileSync(pngFile, svgToPng(svg, options));
  return [specFile, svgFile, pngFile];
}
