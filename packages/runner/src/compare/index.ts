/** `xp compare`: build the comparison, then format it. */
import type { TrackingReader } from '@xp/tracking';
import { formatCsv, formatJson, formatTable } from './format-text.ts';
import { MetricHistories } from './history.ts';
import { buildComparison, loadCurves, type CompareOptions } from './report.ts';

export type CompareFormat = 'table' | 'csv' | 'json' | 'html';
export const COMPARE_FORMATS: readonly CompareFormat[] = ['table', 'csv', 'json', 'html'];

export interface RenderOptions extends CompareOptions {
  format: CompareFormat;
  /** table and html: one row per run only, without the variants' summary over seeds. */
  runsOnly?: boolean;
}

export async function renderComparison(reader: TrackingReader, options: RenderOptions): Promise<string> {
  const histories = new MetricHistories(reader);
  const report = await buildComparison(reader, options, histories);
  switch (options.format) {
    case 'table':
      return formatTable(report, { runsOnly: options.runsOnly });
    case 'csv':
      return formatCsv(report);
    case 'json':
      return formatJson(report);
    case 'html': {
      // vega and vega-lite take about a second to load: only the html page needs them.
      const { formatHtml } = await import('./format-html.ts');
      return formatHtml(report, await loadCurves(reader, report, histories), { runsOnly: options.runsOnly });
    }
  }
}

export {
  buildComparison,
  loadCurves,
  AmbiguousExperimentError,
  UnknownMetricError,
  type ComparisonReport,
  type ComparedRun,
  type CompareOptions,
  type Curves,
} from './report.ts';
export type { VariantGroup } from './groups.ts';
export { TAG_DIRECTIONS, TAG_PRIMARY_METRIC } from './directions.ts';
