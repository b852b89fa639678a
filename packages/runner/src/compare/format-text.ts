/**
 * `xp compare --format table|csv|json`. The table is for people (cli-table3 draws it); csv and json are
 * for programs: raw values (milliseconds, full-precision metrics, params as numbers where they are
 * numbers) under plain names.
 */
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { derivedNote, formatNumber, groupColumns, metricHeader, runColumns, type Column } from './columns.ts';
import type { VariantGroup } from './groups.ts';
import type { ComparedRun, ComparisonReport } from './report.ts';

export interface TableOptions {
  /** One row per run only, without the per-variant summary over seeds. */
  runsOnly?: boolean;
}

export function formatTable(report: ComparisonReport, options: TableOptions = {}): string {
  const ranking = `ranked by ${metricHeader(report)}, ${orderText(report)}`;
  if (!report.runs.length) return `experiment ${report.experiment}: no runs\n`;
  const out: string[] = [];
  const note = derivedNote(report);
  if (report.grouped && !options.runsOnly) {
    out.push(`experiment ${report.experiment}: ${report.groups.length} variant(s) over ${report.runs.length} run(s), ${ranking} (by mean over seeds)`);
    out.push(renderTable(groupColumns(report), report.groups));
    out.push('', `runs (${report.runs.length}):`);
  } else {
    out.push(`experiment ${report.experiment}: ${report.runs.length} run(s), ${ranking}`);
  }
  if (report.search) out.push(searchLine(report));
  out.push(renderTable(runColumns(report), report.runs));
  if (note) out.push(note);
  return out.join('\n') + '\n';
}

/** "optuna search: 8 trials, 3 pruned (ranked after those that completed); best: trial-05, test_accuracy 0.9812". */
export function searchLine(report: ComparisonReport): string {
  const search = report.search!;
  const best = report.runs.find((run) => run.runId === search.bestRunId);
  const pruned = search.pruned > 0 ? `, ${search.pruned} pruned (ranked after those that completed)` : '';
  const drew = search.params.length ? ` over ${search.params.map((p) => `${p.param} (${p.distribution})`).join(', ')}` : '';
  const bestText = best ? `best: ${best.name}, ${report.metric} ${formatNumber(best.metrics[report.metric])}` : 'no trial completed';
  return `${search.search} search: ${search.trials} trial(s)${drew}${pruned}; ${bestText}`;
}

/** "best first", or "highest first" where --order asked for the worst first. */
export function orderText(report: Pick<ComparisonReport, 'order' | 'direction'>): string {
  const bestFirst = report.order === (report.direction === 'min' ? 'asc' : 'desc');
  return bestFirst ? 'best first' : `${report.order === 'asc' ? 'lowest' : 'highest'} first (--order ${report.order})`;
}

/** A table of rows under the columns' headers (two header rows where an axis spans several columns). */
export function renderTable<Row>(columns: Column<Row>[], rows: readonly Row[]): string {
  const table = new Table({ style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 } });
  const align = (c: Column<Row>) => (c.numeric ? 'right' : 'left') as 'right' | 'left';
  if (columns.some((c) => c.group !== undefined)) {
    const top: Table.CellOptions[] = [];
    for (let j = 0; j < columns.length; j++) {
      const group = columns[j].group;
      if (group === undefined) {
        top.push({ content: columns[j].header, rowSpan: 2, vAlign: 'bottom', hAlign: align(columns[j]) });
        continue;
      }
      let span = 1;
      while (columns[j + span]?.group === group) span++;
      top.push({ content: group, colSpan: span, hAlign: 'center' });
      j += span - 1;
    }
    table.push(top, columns.filter((c) => c.group !== undefined).map((c) => ({ content: c.header, hAlign: align(c) })));
  } else {
    table.push(columns.map((c) => ({ content: c.header, hAlign: align(c) })));
  }
  // A rule under the header only, not between body rows.
  const bare = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  rows.forEach((row, i) => table.push(columns.map((c) => ({ content: c.text(row), hAlign: align(c), ...(i > 0 ? { chars: bare } : {}) }))));
  return table.toString();
}

/** One record per run (group rows would make the file's shape depend on the data; the json has them). */
export function formatCsv(report: ComparisonReport): string {
  const params = csvParams(report);
  const hasThreshold = report.runs.some((run) => run.threshold !== null);
  const hasPruned = report.runs.some((run) => run.prunedAt !== null);
  const header = ['run_id', 'run', 'variant', 'seed', 'status', ...params, report.metric, ...(hasThreshold ? ['threshold_epoch'] : []), 'param_count', 'within_budget', 'epochs', ...(hasPruned ? ['pruned_at'] : []), 'wall_time_ms'];
  const records = report.runs.map((run) => [
    run.runId,
    run.name,
    run.variant,
    run.seed,
    run.status,
    ...params.map((param) => run.params[param]),
    run.metrics[report.metric],
    ...(hasThreshold ? [run.thresholdEpoch] : []),
    run.paramCount,
    run.withinBudget,
    run.epochs,
    ...(hasPruned ? [run.prunedAt] : []),
    run.wallTimeMs,
  ]);
  return stringify([header, ...records], {
    record_delimiter: '\r\n',
    cast: { boolean: (value) => String(value), number: (value) => String(value) },
  });
}

/** Every varied param, axis by axis, then those that follow an axis. */
function csvParams(report: ComparisonReport): string[] {
  return [...report.axes.flatMap((axis) => axis.params), ...report.derived.map((d) => d.param)];
}

export function formatJson(report: ComparisonReport): string {
  return (
    JSON.stringify(
      {
        experiment: report.experiment,
        metric: report.metric,
        direction: report.direction,
        order: report.order,
        unit: report.unit,
        varied: report.varied,
        axes: report.axes,
        derived: report.derived,
        parentRunId: report.parentRunId,
        search: report.search,
        groups: report.groups.map(groupJson),
        runs: report.runs.map(runJson),
      },
      null,
      2,
    ) + '\n'
  );
}

function groupJson(group: VariantGroup) {
  const t = group.thresholdEpoch;
  return {
    variant: group.variant,
    seeds: group.seeds,
    runIds: group.runs.map((run) => run.runId),
    count: group.runs.length,
    notCounted: group.notCounted.map((run) => run.runId),
    passing: group.passing,
    required: group.required,
    verdict: group.verdict,
    mean: group.metric?.mean ?? null,
    std: group.metric?.std ?? null,
    min: group.metric?.min ?? null,
    max: group.metric?.max ?? null,
    withMetric: group.metric?.count ?? 0,
    thresholdEpoch: t ? { threshold: t.threshold, reached: t.reached, mean: t.mean ?? null, std: t.std ?? null, min: t.min ?? null, max: t.max ?? null } : null,
  };
}

function runJson(run: ComparedRun) {
  return {
    runId: run.runId,
    name: run.name,
    variant: run.variant,
    seed: run.seed,
    status: run.status,
    params: Object.fromEntries(Object.entries(run.params).map(([key, value]) => [key, typedParam(value)])),
    metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)])),
    paramCount: run.paramCount,
    withinBudget: run.withinBudget,
    epochs: run.epochs,
    threshold: run.threshold,
    thresholdEpoch: run.thresholdEpoch,
    prunedAt: run.prunedAt,
    wallTimeMs: run.wallTimeMs,
  };
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * MLflow keeps params as text; xp records non-text spec values as JSON (run-sweep), so numbers, booleans,
 * null and empty lists come back as what they were (as `xp run --json` prints them).
 */
export function typedParam(value: string): unknown {
  if (JSON_NUMBER.test(value)) return Number(value);
  if (value === 'true' || value === 'false' || value === 'null' || value === '[]' || value === '{}') return JSON.parse(value);
  return value;
}
