/** The columns every tabular format shares (table, csv, html), so they agree on names and values. */
import type { ComparedRun, ComparisonReport } from './report.ts';

export interface Column {
  header: string;
  /** Display text. */
  text(run: ComparedRun, rank: number): string;
  /** What sorting compares (html); numbers sort numerically, null last. */
  sortValue(run: ComparedRun, rank: number): number | string | null;
  numeric: boolean;
}

export function columnsOf(report: ComparisonReport): Column[] {
  const metric = report.metric;
  return [
    { header: '#', numeric: true, text: (_, rank) => String(rank), sortValue: (_, rank) => rank },
    { header: 'run', numeric: false, text: (run) => run.name, sortValue: (run) => run.name },
    { header: 'status', numeric: false, text: (run) => run.status, sortValue: (run) => run.status },
    ...report.varied.map<Column>((param) => ({
      header: param,
      numeric: false,
      text: (run) => run.params[param] ?? '',
      sortValue: (run) => {
        const value = run.params[param];
        return value !== undefined && value !== '' && Number.isFinite(Number(value)) ? Number(value) : (value ?? null);
      },
    })),
    {
      header: `${metric} (${report.direction === 'min' ? 'lower' : 'higher'} is better)`,
      numeric: true,
      text: (run) => formatNumber(run.metrics[metric]),
      sortValue: (run) => finiteOrNull(run.metrics[metric]),
    },
    { header: 'params', numeric: true, text: (run) => (run.paramCount === null ? '' : String(run.paramCount)), sortValue: (run) => run.paramCount },
    {
      header: 'within budget',
      numeric: false,
      text: (run) => (run.withinBudget === null ? '' : run.withinBudget ? 'yes' : 'NO'),
      sortValue: (run) => (run.withinBudget === null ? null : run.withinBudget ? 'yes' : 'no'),
    },
    { header: 'epochs', numeric: true, text: (run) => (run.epochs === null ? '' : String(run.epochs)), sortValue: (run) => run.epochs },
    { header: 'wall time', numeric: true, text: (run) => formatDuration(run.wallTimeMs), sortValue: (run) => run.wallTimeMs },
  ];
}

export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e6) ? value.toExponential(4) : String(Number(value.toPrecision(6)));
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1_000) return `${ms} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
