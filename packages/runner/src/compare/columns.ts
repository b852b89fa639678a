/**
 * The columns of the human formats (table, html), so they agree on names and values: one set for the
 * runs, one for the variants grouped over their seeds. Display text only; the machine formats (csv, json,
 * in format-text.ts) carry raw values under plain names. Missing values show as '-': a variant refused
 * over budget never trained, it has no epochs and no accuracy.
 */
import type { AxisGroup } from './axes.ts';
import type { VariantGroup } from './groups.ts';
import type { ComparedRun, ComparisonReport } from './report.ts';

export const MISSING = '-';

export interface Column<Row> {
  /** The column's own header; under `group` where it has one. */
  header: string;
  /** A header spanning this column and its neighbours of the same group (a sweep axis with several varied leaves). */
  group?: string;
  /** Display text. */
  text(row: Row): string;
  /** What sorting compares (html); numbers sort numerically, null last. */
  sortValue(row: Row): number | string | null;
  numeric: boolean;
}

export function metricHeader(report: Pick<ComparisonReport, 'metric' | 'direction'>): string {
  return `${report.metric} (${report.direction === 'min' ? 'lower' : 'higher'} is better)`;
}

export function runColumns(report: ComparisonReport): Column<ComparedRun>[] {
  const metric = report.metric;
  const columns: Column<ComparedRun>[] = [{ header: 'variant', numeric: false, text: (run) => run.variant, sortValue: (run) => run.variant }];
  if (new Set(report.runs.map((run) => run.seed)).size > 1 || report.grouped) {
    columns.push({ header: 'seed', numeric: true, text: (run) => (run.seed === null ? MISSING : String(run.seed)), sortValue: (run) => run.seed });
  }
  const notCounted = new Set(report.groups.flatMap((group) => group.notCounted.map((run) => run.runId)));
  const status = (run: ComparedRun) => (notCounted.has(run.runId) ? `${run.status} (not counted)` : run.status);
  columns.push({ header: 'status', numeric: false, text: status, sortValue: status });
  columns.push(...axisColumns<ComparedRun>(report.axes, (run) => run.params));
  columns.push({
    header: metricHeader(report),
    numeric: true,
    text: (run) => formatNumber(run.metrics[metric]),
    sortValue: (run) => finiteOrNull(run.metrics[metric]),
  });
  const threshold = thresholdHeader(report.runs);
  if (threshold) {
    columns.push({
      header: threshold,
      numeric: true,
      text: (run) => (run.thresholdEpoch !== null ? String(run.thresholdEpoch) : run.epochs ? 'never' : MISSING),
      sortValue: (run) => run.thresholdEpoch,
    });
  }
  columns.push(
    { header: 'params', numeric: true, text: (run) => (run.paramCount === null ? MISSING : String(run.paramCount)), sortValue: (run) => run.paramCount },
    {
      header: 'within budget',
      numeric: false,
      text: (run) => (run.withinBudget === null ? MISSING : run.withinBudget ? 'yes' : 'NO'),
      sortValue: (run) => (run.withinBudget === null ? null : run.withinBudget ? 'yes' : 'no'),
    },
  );
  if (report.runs.some((run) => run.epochs !== null)) {
    columns.push({ header: 'epochs', numeric: true, text: (run) => (run.epochs === null ? MISSING : String(run.epochs)), sortValue: (run) => run.epochs });
  }
  // Where the scheduler stopped each pruned run: its metric above is from there, not from a full training.
  if (report.runs.some((run) => run.prunedAt !== null)) {
    columns.push({ header: `pruned at ${report.unit}`, numeric: true, text: (run) => (run.prunedAt === null ? MISSING : String(run.prunedAt)), sortValue: (run) => run.prunedAt });
  }
  columns.push({ header: 'wall time', numeric: true, text: (run) => formatDuration(run.wallTimeMs), sortValue: (run) => run.wallTimeMs });
  return columns;
}

export function groupColumns(report: ComparisonReport): Column<VariantGroup>[] {
  const columns: Column<VariantGroup>[] = [
    { header: 'variant', numeric: false, text: (g) => g.variant, sortValue: (g) => g.variant },
    {
      header: 'seeds',
      numeric: false,
      text: (g) =>
        [g.seeds.join(','), g.runs.length > g.seeds.length ? `${g.runs.length - g.seeds.length} unknown` : ''].filter(Boolean).join(' + ') +
        (g.notCounted.length ? ` (${g.notCounted.length} other run(s) not counted)` : ''),
      sortValue: (g) => g.runs.length,
    },
    {
      header: 'passed',
      numeric: true,
      text: (g) => `${g.passing}/${g.runs.length}${g.required !== g.runs.length ? ` (${g.required} needed)` : ''}`,
      sortValue: (g) => g.passing / Math.max(1, g.runs.length),
    },
    { header: 'verdict', numeric: false, text: (g) => g.verdict, sortValue: (g) => g.verdict },
    ...axisColumns<VariantGroup>(report.axes, (g) => g.runs[0]?.params ?? {}),
    {
      header: `${report.metric} mean ± std`,
      numeric: true,
      text: (g) => (g.metric ? `${formatNumber(g.metric.mean)}${g.metric.std !== null ? ` ± ${formatNumber(Number(g.metric.std.toPrecision(2)))}` : ''}` : MISSING),
      sortValue: (g) => g.metric?.mean ?? null,
    },
    { header: 'min', numeric: true, text: (g) => (g.metric ? formatNumber(g.metric.min) : MISSING), sortValue: (g) => g.metric?.min ?? null },
    { header: 'max', numeric: true, text: (g) => (g.metric ? formatNumber(g.metric.max) : MISSING), sortValue: (g) => g.metric?.max ?? null },
  ];
  const threshold = thresholdHeader(report.runs);
  if (threshold) {
    columns.push({
      header: `${threshold} (mean, min–max)`,
      numeric: true,
      text: (g) => thresholdEpochText(g),
      sortValue: (g) => g.thresholdEpoch?.mean ?? null,
    });
  }
  return columns;
}

function thresholdEpochText(g: VariantGroup): string {
  const t = g.thresholdEpoch;
  if (!t || g.runs.every((run) => run.epochs === null)) return MISSING;
  if (!t.reached || t.mean === undefined) return 'never';
  const range = t.min === t.max ? '' : ` (${t.min}–${t.max})`;
  return `${formatNumber(t.mean)}${range}${t.reached < g.runs.length ? `, ${t.reached}/${g.runs.length} reached` : ''}`;
}

/** "first epoch ≥ 0.994" when the runs have one threshold, null where none has any. */
function thresholdHeader(runs: readonly ComparedRun[]): string | null {
  const thresholds = new Set(runs.map((run) => run.threshold).filter((t) => t !== null));
  if (!thresholds.size) return null;
  return `first epoch ≥ ${thresholds.size === 1 ? [...thresholds][0] : 'threshold'}`;
}

/** One column per varied param, under its axis's spanning header where the axis varies several. */
function axisColumns<Row>(axes: readonly AxisGroup[], paramsOf: (row: Row) => Record<string, string>): Column<Row>[] {
  return axes.flatMap((axis) =>
    axis.params.map<Column<Row>>((param) => {
      const single = axis.params.length === 1 && param === axis.key;
      return {
        header: single ? param : param === axis.key ? '(value)' : param.slice(axis.key.length + 1),
        group: single ? undefined : axis.key,
        numeric: false,
        text: (row) => paramsOf(row)[param] ?? MISSING,
        sortValue: (row) => {
          const value = paramsOf(row)[param];
          return value !== undefined && value !== '' && Number.isFinite(Number(value)) ? Number(value) : (value ?? null);
        },
      };
    }),
  );
}

export function formatNumber(value: number | undefined | null): string {
  if (value === undefined || value === null) return MISSING;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e6) ? value.toExponential(4) : String(Number(value.toPrecision(6)));
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return MISSING;
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

/** "model.blocks.conv1.0.conv2d.filters, … follow vars.c1", for a note under the table. */
export function derivedNote(report: ComparisonReport): string | null {
  if (!report.derived.length) return null;
  const byAxis = new Map<string, string[]>();
  for (const { param, follows } of report.derived) byAxis.set(follows, [...(byAxis.get(follows) ?? []), param]);
  return `Also varied, following ${[...byAxis].map(([axis, params]) => `${axis}: ${params.join(', ')}`).join('; ')}`;
}
