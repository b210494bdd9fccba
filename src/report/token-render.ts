/**
 * Sampled solutions with every token coloured by the temperature it was sampled at (blue = low, red = high),
 * as a self-contained HTML page (hover a token for its temperature and entropy) and as an SVG picture.
 */
import {
  HIGH_COLOR,
  LOW_COLOR,
  MID_COLOR,
  type TemperatureRange,
  cssColor,
  temperatureColor,
  temperatureRange,
  textColorOn,
} from './color-scale.js';
import { FONT_FAMILY, MONO_FAMILY, el, escapeXml, svgDocument, text } from './svg.js';
import { layoutTokens } from './token-layout.js';
import { at } from '../util/must.js';

/** One sampled solution; per-token arrays are aligned with `tokens`. */
export interface TokenSolution {
  /** One line above the solution, e.g. "gsm8k/12 · sample 3 · correct". */
  heading: string;
  tokens: string[];
  temperatures: number[];
  /** Entropy of the untempered next-token distribution, nats. */
  entropies: number[];
}

export interface TokenRenderOptions {
  title: string;
  /** Colour scale ends; default the extent of the solutions' temperatures. */
  range?: TemperatureRange;
}

/** Tooltip of one token. T = 0 is how greedy decoding is recorded. */
export function tokenTooltip(temperature: number, entropy: number): string {
  const t = temperature === 0 ? '0 (greedy)' : temperature.toFixed(3);
  return `T = ${t}, H = ${Number.isFinite(entropy) ? entropy.toFixed(3) : 'n/a'} nats`;
}

function rangeOf(solutions: readonly TokenSolution[], options: TokenRenderOptions): TemperatureRange {
  return options.range ?? temperatureRange(solutions.flatMap((s) => s.temperatures));
}

type LegendStop = { value: number; label: string };

/** The legend's low, middle and high temperatures. */
function legendStops(range: TemperatureRange): readonly [LegendStop, LegendStop, LegendStop] {
  const stop = (value: number): LegendStop => ({ value, label: `T = ${value.toFixed(2)}` });
  return [stop(range.min), stop((range.min + range.max) / 2), stop(range.max)];
}

/** Token i's temperature and entropy (the solution's arrays run parallel to its tokens). */
function tokenValues(solution: TokenSolution, i: number): { temperature: number; entropy: number } {
  return { temperature: at(solution.temperatures, i, 'token temperatures'), entropy: at(solution.entropies, i, 'token entropies') };
}

const HTML_STYLE = `
body { font-family: ${FONT_FAMILY}; margin: 2em auto; max-width: 960px; color: #222; }
.legend { display: flex; align-items: center; gap: 0.6em; font-size: 0.9em; margin-bottom: 1.5em; }
.legend .bar { width: 240px; height: 14px; border: 1px solid #999; }
section { margin-bottom: 2em; }
h2 { font-size: 1em; margin-bottom: 0.4em; }
pre.tokens { font-family: ${MONO_FAMILY}; font-size: 13px; line-height: 1.6; white-space: pre-wrap; word-break: break-word;
  border: 1px solid #ddd; padding: 0.8em; margin: 0; }
pre.tokens span { border-radius: 2px; }`;

/** A standalone HTML page: title, colour legend, then each solution as coloured token spans. */
export function renderTokensHtml(solutions: readonly TokenSolution[], options: TokenRenderOptions): string {
  const range = rangeOf(solutions, options);
  const stops = legendStops(range);
  const gradient = `linear-gradient(to right, ${[LOW_COLOR, MID_COLOR, HIGH_COLOR].map(cssColor).join(', ')})`;
  const legend = `<div class="legend"><span>low ${escapeXml(stops[0].label)}</span><span class="bar" style="background: ${gradient}"></span><span>high ${escapeXml(stops[2].label)}</span></div>`;
  const sections = solutions.map((solution) => {
    const spans = solution.tokens.map((token, i) => {
      const { temperature, entropy } = tokenValues(solution, i);
      const color = temperatureColor(temperature, range);
      const style = `background:${cssColor(color)};color:${textColorOn(color)}`;
      return `<span style="${style}" title="${escapeXml(tokenTooltip(temperature, entropy))}">${escapeXml(token)}</span>`;
    });
    return `<section>\n<h2>${escapeXml(solution.heading)}</h2>\n<pre class="tokens">${spans.join('')}</pre>\n</section>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head>\n<meta charset="utf-8">\n<title>${escapeXml(options.title)}</title>\n<style>${HTML_STYLE}\n</style>\n</head>`,
    '<body>',
    `<h1>${escapeXml(options.title)}</h1>`,
    legend,
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface TokenSvgOptions extends TokenRenderOptions {
  /** Characters per line before wrapping (default 96). */
  columns?: number;
}

const FONT_SIZE = 13;
/** DejaVu Sans Mono advances 1233/2048 em per glyph. */
const CHAR_WIDTH = FONT_SIZE * (1233 / 2048);
const LINE_HEIGHT = 19;
const MARGIN = 24;

/** The same rendering as an SVG: wrapped lines of monospace tokens on coloured cells, with a legend. */
export function renderTokensSvg(solutions: readonly TokenSolution[], options: TokenSvgOptions): string {
  const range = rangeOf(solutions, options);
  const columns = options.columns ?? 96;
  const width = Math.max(480, 2 * MARGIN + columns * CHAR_WIDTH);
  const body: string[] = [text(MARGIN, 30, options.title, { 'font-size': 16, 'font-weight': 'bold' }), svgLegend(range, MARGIN, 44)];
  let y = 96;
  for (const solution of solutions) {
    body.push(text(MARGIN, y, solution.heading, { 'font-size': 13, 'font-weight': 'bold', class: 'heading' }));
    y += 10;
    const { pieces, lines } = layoutTokens(solution.tokens, columns);
    const cells = pieces.map((piece) => {
      const { temperature, entropy } = tokenValues(solution, piece.tokenIndex);
      const color = temperatureColor(temperature, range);
      const x = MARGIN + piece.column * CHAR_WIDTH;
      const top = y + piece.line * LINE_HEIGHT;
      const pieceWidth = [...piece.text].length * CHAR_WIDTH;
      return el('g', { class: 'token' }, [
        el('title', {}, escapeXml(tokenTooltip(temperature, entropy))),
        el('rect', { x, y: top, width: pieceWidth, height: LINE_HEIGHT - 2, fill: cssColor(color) }),
        piece.text.trim() === '' ? '' : text(x, top + LINE_HEIGHT - 6, piece.text, { fill: textColorOn(color), 'xml:space': 'preserve' }),
      ]);
    });
    body.push(el('g', { 'font-family': MONO_FAMILY, 'font-size': FONT_SIZE }, cells));
    y += Math.max(1, lines) * LINE_HEIGHT + 34;
  }
  return svgDocument(width, y, body);
}

/** A gradient bar with the min, mid and max temperatures under it. */
function svgLegend(range: TemperatureRange, x: number, y: number): string {
  const barWidth = 240;
  const stops = [LOW_COLOR, MID_COLOR, HIGH_COLOR].map((c, i) => el('stop', { offset: `${i * 50}%`, 'stop-color': cssColor(c) }));
  const gradient = el('defs', {}, el('linearGradient', { id: 'temperature-scale', x1: '0', x2: '1', y1: '0', y2: '0' }, stops));
  const labels = legendStops(range).map((s, i) =>
    text(x + (i * barWidth) / 2, y + 30, s.label, { 'font-size': 11, 'text-anchor': ['start', 'middle', 'end'][i] }),
  );
  return el('g', { class: 'legend' }, [
    gradient,
    el('rect', { x, y, width: barWidth, height: 14, fill: 'url(#temperature-scale)', stroke: '#999' }),
    ...labels,
  ]);
}
