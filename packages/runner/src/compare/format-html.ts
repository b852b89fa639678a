/**
 * `xp compare --format html`: one self-contained page (opened from disk, offline, mailed around):
 * no external script, style, font or image. The table sorts by clicking a header (a small inline
 * script); the curves are rendered to SVG here, with vega-lite, and inlined.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { columnsOf } from './columns.ts';
import type { ComparisonReport, Curves } from './report.ts';

export async function formatHtml(report: ComparisonReport, curves: Curves): Promise<string> {
  const columns = columnsOf(report);
  const head = columns.map((c, j) => `<th data-col="${j}" data-numeric="${c.numeric}" tabindex="0">${escapeHtml(c.header)}</th>`).join('');
  const body = report.runs
    .map((run, i) => {
      const cells = columns.map((c) => `<td data-sort="${escapeHtml(JSON.stringify(c.sortValue(run, i + 1)))}"${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.text(run, i + 1))}</td>`);
      return `<tr data-run-id="${escapeHtml(run.runId)}" class="status-${escapeHtml(run.status)}">${cells.join('')}</tr>`;
    })
    .join('\n');
  const chart = curves.points.length ? await renderCurves(curves) : '<p class="empty">No per-step metrics recorded.</p>';
  const title = `xp compare: ${report.experiment}`;
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
<p>${report.runs.length} run(s)${report.parentRunId ? ` of sweep <code>${escapeHtml(report.parentRunId)}</code>` : ''}, best <b>${escapeHtml(report.metric)}</b> first
(${report.direction === 'min' ? 'lower' : 'higher'} is better). Varied: ${report.varied.length ? report.varied.map((v) => `<code>${escapeHtml(v)}</code>`).join(', ') : 'nothing'}. Click a column header to sort.</p>
<table id="runs">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<h2>${escapeHtml(curves.metric)} per step</h2>
<figure id="curves">${chart}</figure>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

async function renderCurves(curves: Curves): Promise<string> {
  const values = curves.points.map((p) => p.value);
  const positive = values.every((v) => v > 0);
  const spread = positive ? Math.max(...values) / Math.min(...values) : 0;
  const spec: vegaLite.TopLevelSpec = {
    width: 720,
    height: 320,
    data: { values: curves.points },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      // Losses fall over orders of magnitude: a log axis keeps the tail of each curve visible.
      y: { field: 'value', type: 'quantitative', title: curves.metric, scale: spread > 100 ? { type: 'log' } : { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run' },
    },
  };
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
table { border-collapse: collapse; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
th { cursor: pointer; user-select: none; background: #f4f4f4; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.status-failed td, tr.status-error td { color: #a00; }
tr.status-killed td { color: #888; }
code { font-size: 90%; }
figure { margin: 0; }
`;

/** Sorts the table by the clicked column; a second click reverses. Empty values stay last. */
const SORT_SCRIPT = `
(function () {
  var table = document.getElementById('runs');
  var headers = table.querySelectorAll('th');
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
})();
`;
