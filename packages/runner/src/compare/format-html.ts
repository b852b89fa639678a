/**
 * `xp compare --format html`: one self-contained page (opened from disk, offline, mailed around):
 * no external script, style, font or image. The tables sort by clicking a header (a small inline
 * script); the curves are rendered to SVG here, with vega-lite, and inlined: one per variant, the mean
 * over its seeds with a band from the lowest to the highest seed at each epoch, and a cross where the
 * sweep's scheduler stopped a run. For a search, the metric against each parameter it drew, one chart
 * each (a log axis for a log-uniform parameter), pruned trials apart from those that completed.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { derivedNote, groupColumns, metricHeader, runColumns, type Column } from './columns.ts';
import { orderText, searchLine } from './format-text.ts';
import type { ComparisonReport, Curves } from './report.ts';
import { PRUNED, type SearchedParam } from './search.ts';

export interface HtmlOptions {
  /** One row per run only, without the per-variant table over seeds. */
  runsOnly?: boolean;
}

export async function formatHtml(report: ComparisonReport, curves: Curves, options: HtmlOptions = {}): Promise<string> {
  const showGroups = report.grouped && !options.runsOnly;
  const runsTable = htmlTable('runs', runColumns(report), report.runs, (run) => ({ 'data-run-id': run.runId, class: `status-${run.status}` }));
  const groupsTable = showGroups ? htmlTable('groups', groupColumns(report), report.groups, (g) => ({ 'data-variant': g.variant, class: `status-${g.verdict}` })) : '';
  const chart = curves.points.length ? await renderCurves(curves) : `<p class="empty">No per-${curves.unit} metrics recorded.</p>`;
  const title = `xp compare: ${report.experiment}`;
  const note = derivedNote(report);
  const axes = report.axes.length ? report.axes.map((a) => `<code>${escapeHtml(a.key)}</code>${a.source === 'variants' ? ' (named variants)' : ''}`).join(', ') : 'nothing';
  const banded = report.groups.some((g) => g.runs.length > 1);
  const searchCharts = report.search ? await renderSearchCharts(report) : [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${report.runs.length} run(s) of ${report.groups.length} variant(s)${report.parentRunId ? ` of sweep <code>${escapeHtml(report.parentRunId)}</code>` : ''},
ranked by <b>${escapeHtml(metricHeader(report))}</b>, ${escapeHtml(orderText(report))}. Varied: ${axes}.${note ? ` ${escapeHtml(note)}.` : ''}
Click a column header to sort.</p>
${report.search ? `<p id="search-summary">${escapeHtml(searchLine(report))}.</p>\n` : ''}${showGroups ? `<h2>Variants over seeds</h2>\n${groupsTable}\n<h2>Runs</h2>` : ''}
${runsTable}
<h2 id="curves-title">${escapeHtml(curves.metric)} per ${curves.unit}${banded ? ': mean over seeds, band from min to max' : ''}${curves.stops.length ? `; × where the scheduler stopped a run (${curves.stops.length})` : ''}</h2>
<figure id="curves">${chart}</figure>
${searchCharts.length ? `<h2 id="search-title">${escapeHtml(report.metric)} against each searched parameter</h2>\n${searchCharts.join('\n')}` : ''}
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

function htmlTable<Row>(id: string, columns: Column<Row>[], rows: readonly Row[], attributes: (row: Row) => Record<string, string>): string {
  const grouped = columns.some((c) => c.group !== undefined);
  const th = (c: Column<Row>, j: number, extra = '') =>
    `<th data-col="${j}" data-numeric="${c.numeric}" tabindex="0"${extra}>${escapeHtml(c.header)}</th>`;
  let head: string;
  if (grouped) {
    const top: string[] = [];
    const bottom: string[] = [];
    for (let j = 0; j < columns.length; j++) {
      const group = columns[j].group;
      if (group === undefined) {
        top.push(th(columns[j], j, ' rowspan="2"'));
        continue;
      }
      let span = 1;
      while (columns[j + span]?.group === group) span++;
      top.push(`<th colspan="${span}" class="axis" scope="colgroup">${escapeHtml(group)}</th>`);
      for (let k = j; k < j + span; k++) bottom.push(th(columns[k], k));
      j += span - 1;
    }
    head = `<tr>${top.join('')}</tr><tr>${bottom.join('')}</tr>`;
  } else {
    head = `<tr>${columns.map((c, j) => th(c, j)).join('')}</tr>`;
  }
  const body = rows
    .map((row) => {
      const cells = columns.map((c) => `<td data-sort="${escapeHtml(JSON.stringify(c.sortValue(row)))}"${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.text(row))}</td>`);
      const attrs = Object.entries(attributes(row)).map(([k, v]) => ` ${k}="${escapeHtml(v)}"`).join('');
      return `<tr${attrs}>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table id="${id}" class="sortable">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

async function renderCurves(curves: Curves): Promise<string> {
  const values = curves.points.flatMap((p) => [p.min, p.max]);
  const positive = values.every((v) => v > 0);
  const spread = positive ? Math.max(...values) / Math.min(...values) : 0;
  const epochs = curves.unit === 'epoch';
  const x: Record<string, unknown> = {
    field: 'step',
    type: 'quantitative',
    title: curves.unit,
    // Epochs are whole: integer ticks, no 1.5.
    ...(epochs ? { axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false } } : {}),
  };
  // Losses fall over orders of magnitude: a log axis keeps the tail of each curve visible.
  const scale = spread > 100 ? { type: 'log' } : { zero: false };
  const color = { field: 'variant', type: 'nominal', title: 'variant' };
  // Where the scheduler stopped a run: a cross on its curve's last point.
  const stopLayer = {
    data: { values: curves.stops },
    mark: { type: 'point', shape: 'cross', size: 90, filled: true, opacity: 1 },
    encoding: { x, y: { field: 'value', type: 'quantitative', scale }, color },
  };
  const spec = {
    width: 720,
    height: 320,
    // The legend names the lines (the bands are their faint shadows).
    config: { legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 } },
    data: { values: curves.points },
    layer: [
      {
        transform: [{ filter: 'datum.band' }],
        mark: { type: 'area', opacity: 0.18 },
        encoding: { x, y: { field: 'min', type: 'quantitative', title: curves.metric, scale }, y2: { field: 'max' }, color },
      },
      {
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: curves.metric, scale }, color },
      },
      ...(curves.stops.length ? [stopLayer] : []),
    ],
  } as vegaLite.TopLevelSpec;
  return renderSvg(spec);
}

/** One figure per searched parameter that the runs recorded: each run's metric at the value it drew. */
async function renderSearchCharts(report: ComparisonReport): Promise<string[]> {
  const figures: string[] = [];
  for (const searched of report.search!.params) {
    const points = report.runs
      .filter((run) => run.params[searched.param] !== undefined && Number.isFinite(run.metrics[report.metric]))
      .map((run) => ({ run: run.name, x: run.params[searched.param], y: run.metrics[report.metric], trial: run.status === PRUNED ? 'pruned' : 'completed' }));
    if (points.length === 0) continue;
    const svg = await renderSvg(searchChartSpec(searched, points, report.metric));
    figures.push(`<figure class="search-param" id="search-${escapeHtml(searched.param.replace(/[^A-Za-z0-9_-]/g, '-'))}" data-param="${escapeHtml(searched.param)}" data-points="${points.length}">${svg}</figure>`);
  }
  return figures;
}

function searchChartSpec(searched: SearchedParam, points: Array<{ run: string; x: string; y: number; trial: string }>, metric: string): vegaLite.TopLevelSpec {
  const numbers = points.every((p) => p.x.trim() !== '' && Number.isFinite(Number(p.x)));
  const values = points.map((p) => ({ ...p, x: numbers ? Number(p.x) : p.x }));
  const log = searched.distribution === 'loguniform' && numbers && values.every((p) => (p.x as number) > 0);
  // A choice is a set of values, not a range: one column per option, in their order.
  const x =
    searched.distribution === 'choice' || !numbers
      ? { field: 'x', type: 'ordinal', title: searched.param, sort: numbers ? 'ascending' : null }
      : { field: 'x', type: 'quantitative', title: `${searched.param}${log ? ' (log scale)' : ''}`, scale: log ? { type: 'log' } : { zero: false } };
  return {
    width: 360,
    height: 240,
    title: `${metric} against ${searched.param} (${searched.distribution})`,
    data: { values },
    mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', title: metric, scale: { zero: false } },
      shape: { field: 'trial', type: 'nominal', title: 'trial', scale: { domain: ['completed', 'pruned'], range: ['circle', 'cross'] } },
      color: { field: 'trial', type: 'nominal', title: 'trial', scale: { domain: ['completed', 'pruned'], range: ['#1f77b4', '#d62728'] } },
    },
  } as vegaLite.TopLevelSpec;
}

async function renderSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 1rem; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
th { background: #f4f4f4; vertical-align: bottom; }
th[data-col] { cursor: pointer; user-select: none; }
th.axis { text-align: center; border-bottom: 1px solid #bbb; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.status-failed td, tr.status-error td { color: #a00; }
tr.status-killed td, tr.status-running td, tr.status-pruned td { color: #888; }
figure.search-param { display: inline-block; margin: 0 1.5rem 1rem 0; }
code { font-size: 90%; }
figure { margin: 0; }
`;

/** Sorts a table by the clicked column; a second click reverses. Empty values stay last. */
const SORT_SCRIPT = `
(function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var headers = table.querySelectorAll('th[data-col]');
    function sortBy(th) {
      var col = Number(th.dataset.col);
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = JSON.parse(a.cells[col].dataset.sort), y = JSON.parse(b.cells[col].dataset.sort);
        if (x === null || y === null) return (x === null) - (y === null);
        var order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    headers.forEach(function (th) {
      th.addEventListener('click', function () { sortBy(th); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(th); } });
    });
  });
})();
`;
