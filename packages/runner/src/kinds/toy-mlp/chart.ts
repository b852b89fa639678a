/** Loss curves (E against step, one line per η), drawn headless by ../charts.ts. */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, renderVegaLite, type RenderedChart } from '../charts.ts';

export type { RenderedChart };

export interface LossCurve {
  eta: number;
  /** E at steps 0, 1, 2, ... */
  losses: readonly number[];
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
    config: CHART_CONFIG,
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
  return renderVegaLite(spec);
}
