/**
 * Loss curves (E against step, one line per η) drawn headless: vega-lite compiles to a vega spec, vega
 * renders SVG without a canvas, resvg rasterises it to PNG.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';

export interface LossCurve {
  eta: number;
  /** E at steps 0, 1, 2, ... */
  losses: readonly number[];
}

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

export async function renderLossCurves(curves: readonly LossCurve[], title = 'Total loss E against step, one curve per learning rate η'): Promise<RenderedChart> {
  const sorted = [...curves].sort((a, b) => a.eta - b.eta);
  const values = sorted.flatMap((c) => c.losses.map((E, step) => ({ step, E, eta: `η = ${c.eta}` })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    width: 640,
    height: 380,
    background: 'white',
    config: { font: 'DejaVu Sans', axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { labelFontSize: 12, titleFontSize: 13 } },
    data: { values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step (gradient-descent updates)', scale: { nice: false } },
      y: { field: 'E', type: 'quantitative', title: 'total loss E = E1 + E2', scale: { zero: true } },
      color: {
        field: 'eta',
        type: 'nominal',
        title: 'learning rate',
        // Keep legend order numeric, not lexicographic.
        sort: sorted.map((c) => `η = ${c.eta}`),
        scale: { scheme: 'category10' },
      },
    },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return { svg, png };
}
