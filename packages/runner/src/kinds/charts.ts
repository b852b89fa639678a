/**
 * Charts drawn headless, shared by the kinds: vega-lite compiles to a vega spec, vega renders SVG without
 * a canvas, resvg rasterises SVG to PNG. Text is set in DejaVu Sans, so the SVG and the PNG match.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';

export const CHART_FONT = 'DejaVu Sans';

/** Config every chart starts from: the font, readable label sizes, a white background. */
export const CHART_CONFIG = {
  font: CHART_FONT,
  axis: { labelFontSize: 12, titleFontSize: 13 },
  legend: { labelFontSize: 12, titleFontSize: 13 },
} as const;

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Rasterises an SVG document (charts, or any SVG with embedded PNG images) at `zoom` times its size. */
export function svgToPng(svg: string, zoom = 2): Buffer {
  return new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: zoom },
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
  })
    .render()
    .asPng();
}

/** Renders a vega-lite spec to SVG and to PNG (at twice the SVG's size). */
export async function renderVegaLite(spec: TopLevelSpec): Promise<RenderedChart> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return { svg, png: svgToPng(svg) };
}
