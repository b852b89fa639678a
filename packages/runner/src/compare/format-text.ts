/** `xp compare --format table|csv|json`. */
import { columnsOf } from './columns.ts';
import type { ComparisonReport } from './report.ts';

export function formatTable(report: ComparisonReport): string {
  const columns = columnsOf(report);
  const rows = [columns.map((c) => c.header), ...report.runs.map((run, i) => columns.map((c) => c.text(run, i + 1)))];
  const widths = columns.map((_, j) => Math.max(...rows.map((row) => row[j].length)));
  const line = (row: string[]) => row.map((cell, j) => (columns[j].numeric ? cell.padStart(widths[j]) : cell.padEnd(widths[j]))).join('  ').trimEnd();
  const title = `experiment ${report.experiment}: ${report.runs.length} run(s), best ${report.metric} first`;
  if (!report.runs.length) return `${title}\n(no runs)\n`;
  return [title, line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n';
}

export function formatCsv(report: ComparisonReport): string {
  const columns = columnsOf(report);
  const rows = [['run_id', ...columns.map((c) => c.header)], ...report.runs.map((run, i) => [run.runId, ...columns.map((c) => c.text(run, i + 1))])];
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** RFC 4180: quote cells holding a comma, quote or line break; double inner quotes. */
function csvCell(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function formatJson(report: ComparisonReport): string {
  return (
    JSON.stringify(
      {
        experiment: report.experiment,
        metric: report.metric,
        direction: report.direction,
        varied: report.varied,
        parentRunId: report.parentRunId,
        runs: report.runs.map((run) => ({
          runId: run.runId,
          name: run.name,
          status: run.status,
          params: run.params,
          metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)])),
          paramCount: run.paramCount,
          withinBudget: run.withinBudget,
          epochs: run.epochs,
          wallTimeMs: run.wallTimeMs,
        })),
      },
      null,
      2,
    ) + '\n'
  );
}
