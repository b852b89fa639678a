/** `xp compare`: build the comparison, then format it. */
import type { TrackingReader } from '../tracking/types.ts';
import { formatHtml } from './format-html.ts';
import { formatCsv, formatJson, formatTable } from './format-text.ts';
import { buildComparison, loadCurves, type CompareOptions } from './report.ts';

export type CompareFormat = 'table' | 'csv' | 'json' | 'html';
export const COMPARE_FORMATS: readonly CompareFormat[] = ['table', 'csv', 'json', 'html'];

export async function renderComparison(reader: TrackingReader, options: CompareOptions & { format: CompareFormat }): Promise<string> {
  const report = await buildComparison(reader, options);
  switch (options.format) {
    case 'table':
      return formatTable(report);
    case 'csv':
      return formatCsv(report);
    case 'json':
      return formatJson(report);
    case 'html':
      return formatHtml(report, await loadCurves(reader, report));
  }
}

export { buildComparison, loadCurves, AmbiguousExperimentError, type ComparisonReport, type ComparedRun, type CompareOptions } from './report.ts';
export { TAG_DIRECTIONS, TAG_PRIMARY_METRIC } from './directions.ts';
