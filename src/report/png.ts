/** SVG -> PNG through resvg (a Rust SVG renderer with no browser). */
import { Resvg } from '@resvg/resvg-js';

export interface PngOptions {
  /** Width of the PNG in px; the height follows the SVG's aspect ratio. Default 1200 (sharp on slides). */
  width?: number;
}

/**
 * Renders an SVG document to PNG bytes. Text needs fonts: resvg loads the system fonts (/usr/share/fonts)
 * and we name DejaVu, which the charts' font-family lists first, as every generic family's fallback.
 */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const width = options.width ?? 1200;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`PNG width must be a positive integer, got ${width}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans Mono',
    },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
