/**
 * The few SVG primitives the token renderings are written with (charts are Vega-Lite, vega.ts): escaping, elements, numbers.
 * Strings in, strings out: no DOM, so the output is exactly what gets written to disk.
 */

/** Sans-serif family for chart text; resvg resolves it from the system fonts (DejaVu on our machines). */
export const FONT_FAMILY = 'DejaVu Sans, Arial, Helvetica, sans-serif';
export const MONO_FAMILY = 'DejaVu Sans Mono, Menlo, Consolas, monospace';

/**
 * Characters XML 1.0 forbids outright (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/FFFF).
 * A tokenizer can emit them (byte-level BPE pieces); escaping cannot express them, so they become U+FFFD.
 */
/* eslint-disable no-control-regex -- matching control characters is the point (a block, so it survives reformatting) */
const XML_INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/* eslint-enable no-control-regex */

/** Escapes text for XML/HTML content and attribute values (both quote kinds). */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export type Attributes = Record<string, string | number | undefined>;

/** Rounds coordinates to 0.01 px: keeps files small and diffs stable, invisible at any zoom we render at. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v as string)}"`)
    .join('');
}

/** One element; `children` is already-serialised markup (use {@link text} for plain text). */
export function el(tag: string, attrs: Attributes, children?: string | string[]): string {
  const inner = Array.isArray(children) ? children.join('') : children;
  return inner === undefined || inner === '' ? `<${tag}${attributes(attrs)}/>` : `<${tag}${attributes(attrs)}>${inner}</${tag}>`;
}

/** A `<text>` element with escaped content. */
export function text(x: number, y: number, content: string, attrs: Attributes = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** A standalone SVG document of the given size (px) with a white background. */
export function svgDocument(width: number, height: number, body: string[]): string {
  const root = attributes({
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${num(width)} ${num(height)}`,
    'font-family': FONT_FAMILY,
    'font-size': 12,
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg${root}>\n${el('rect', { x: 0, y: 0, width, height, fill: 'white' })}\n${body.join('\n')}\n</svg>\n`;
}
