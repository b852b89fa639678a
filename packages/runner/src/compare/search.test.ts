/**
 * `xp compare` on a search (#13 item 3): a random search of the CNN with ASHA, recorded as `xp run`
 * records it. The best complete trial comes first; pruned trials show as pruned with the epoch they
 * reached, after those that completed; the HTML report draws the metric against each drawn parameter
 * (log axis for the log-uniform one) and marks on the curves where runs were stopped. The HTML is
 * opened in a real Chromium where there is one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@xp/tracking';
import { chromiumSkipReason, launchChromium } from '../../../../tests/fixtures/mlflow-server.ts';
import { groupByVariant } from './groups.ts';
import { renderComparison } from './index.ts';
import type { ComparedRun } from './compared-run.ts';
import { recordSearch, type SearchTrial } from './test-fixtures.ts';

const SPEC = `name: cnn-search
kind: cnn-classifier
vars: { c1: 12 }
train: { epochs: 9, lr: 0.05, momentum: 0.9 }
sweep:
  random:
    trials: 6
    space:
      train.lr: { loguniform: [0.001, 0.5] }
      train.momentum: { uniform: [0.8, 0.99] }
      vars.c1: { choice: [8, 12, 16] }
  scheduler:
    asha: { metric: test_accuracy, mode: max, grace: 1, reduction: 3, max: 9 }
`;

// Trial 4 was stopped at epoch 1 with 0.991: higher than trial 6 finished with, yet measured after one epoch.
const TRIALS: SearchTrial[] = [
  { trial: 1, status: 'pruned', accuracy: [0.95], params: { 'train.lr': 0.0012, 'train.momentum': 0.81, 'vars.c1': 8 } },
  { trial: 2, status: 'passed', accuracy: [0.97, 0.98, 0.985, 0.988, 0.99, 0.991, 0.992, 0.993, 0.994], params: { 'train.lr': 0.05, 'train.momentum': 0.9, 'vars.c1': 12 } },
  { trial: 3, status: 'pruned', accuracy: [0.96, 0.97, 0.975], params: { 'train.lr': 0.3, 'train.momentum': 0.95, 'vars.c1': 16 } },
  { trial: 4, status: 'pruned', accuracy: [0.991], params: { 'train.lr': 0.004, 'train.momentum': 0.85, 'vars.c1': 8 } },
  { trial: 5, status: 'passed', accuracy: [0.975, 0.982, 0.986, 0.989, 0.991, 0.993, 0.994, 0.995, 0.996], params: { 'train.lr': 0.02, 'train.momentum': 0.93, 'vars.c1': 16 } },
  { trial: 6, status: 'failed', accuracy: [0.96, 0.97, 0.975, 0.978, 0.98, 0.982, 0.984, 0.985, 0.986], params: { 'train.lr': 0.15, 'train.momentum': 0.98, 'vars.c1': 12 } },
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-compare-search-'));
const store = new FileStore(path.join(dir, 'mlruns'));
let runIds: Map<number, string>;

beforeAll(async () => {
  ({ runIds } = await recordSearch(store, 'cnn-search', 'random', SPEC, TRIALS));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xp compare on a search', () => {
  it('ranks the best complete trial first and pruned trials after every complete one, with the epoch they reached', async () => {
    const json = JSON.parse(await renderComparison(store, { experiment: 'cnn-search', format: 'json' }));
    expect(json.runs.map((r: { name: string }) => r.name)).toEqual(['trial-05', 'trial-02', 'trial-06', 'trial-04', 'trial-03', 'trial-01']);
    const byName = new Map(json.runs.map((r: { name: string }) => [r.name, r]));
    expect(byName.get('trial-04')).toMatchObject({ status: 'pruned', prunedAt: 1, epochs: 1 });
    expect(byName.get('trial-03')).toMatchObject({ status: 'pruned', prunedAt: 3, epochs: 3 });
    // Not pruned: no stopping point, whatever its verdict.
    expect(byName.get('trial-06')).toMatchObject({ status: 'failed', prunedAt: null, epochs: 9 });
    expect(json.search).toEqual({
      search: 'random',
      params: [
        { param: 'train.lr', distribution: 'loguniform' },
        { param: 'train.momentum', distribution: 'uniform' },
        { param: 'vars.c1', distribution: 'choice' },
      ],
      trials: 6,
      pruned: 3,
      bestRunId: runIds.get(5),
    });
    // The drawn paths are the sweep's axes, not loose params.
    expect(json.axes.map((a: { key: string; source: string }) => [a.key, a.source])).toEqual([
      ['train.lr', 'search'],
      ['train.momentum', 'search'],
      ['vars.c1', 'search'],
    ]);
  });

  it('the table says which search, how many were pruned and the best trial, and where each pruned run stopped', async () => {
    const table = await renderComparison(store, { experiment: 'cnn-search', format: 'table' });
    const lines = table.split('\n');
    expect(lines[1]).toBe('random search: 6 trial(s) over train.lr (loguniform), train.momentum (uniform), vars.c1 (choice), 3 pruned (ranked after those that completed); best: trial-05, test_accuracy 0.996');
    expect(table).toContain('pruned at epoch');
    expect(table).toMatch(/│ trial-04 +│ pruned +│ 0\.004 +│ 0\.85 +│ 8 +│ +0\.991 │ +19816 │ yes +│ +1 │ +1 │/);
    expect(table).toMatch(/│ trial-06 +│ failed +│ .*│ +9 │ +- │/);
    const csv = parseCsv(await renderComparison(store, { experiment: 'cnn-search', format: 'csv' })) as string[][];
    const column = csv[0].indexOf('pruned_at');
    expect(csv.slice(1).map((row) => [row[1], row[column]])).toEqual([
      ['trial-05', ''],
      ['trial-02', ''],
      ['trial-06', ''],
      ['trial-04', '1'],
      ['trial-03', '3'],
      ['trial-01', '1'],
    ]);
  });

  it('a variant whose seeds were all pruned is judged pruned, not failed, and ranks after the complete ones', () => {
    const run = (variant: string, seed: number, status: string, accuracy: number): ComparedRun => ({
      runId: `${variant}-${seed}`,
      name: `${variant}_seed=${seed}`,
      variant,
      seed,
      status,
      params: {},
      metrics: { test_accuracy: accuracy },
      paramCount: null,
      withinBudget: true,
      epochs: 1,
      threshold: null,
      thresholdEpoch: null,
      prunedAt: status === 'pruned' ? 1 : null,
      wallTimeMs: 1,
      startTime: 0,
    });
    const groups = groupByVariant([run('a', 1, 'pruned', 0.99), run('a', 2, 'pruned', 0.99), run('b', 1, 'failed', 0.9), run('b', 2, 'passed', 0.95)], {
      metric: 'test_accuracy',
      direction: 'max',
    });
    expect(groups.map((g) => [g.variant, g.verdict])).toEqual([
      ['b', 'failed'],
      ['a', 'pruned'],
    ]);
  });

  it('the HTML draws the metric against each drawn parameter, log-scaled for the log-uniform one, and marks where runs stopped', async () => {
    const html = await renderComparison(store, { experiment: 'cnn-search', format: 'html' });
    const figures = [...html.matchAll(/<figure class="search-param" id="([^"]+)" data-param="([^"]+)" data-points="(\d+)">([\s\S]*?)<\/figure>/g)];
    expect(figures.map((f) => [f[2], f[3]])).toEqual([
      ['train.lr', '6'],
      ['train.momentum', '6'],
      ['vars.c1', '6'],
    ]);
    expect(figures[0][4]).toContain('train.lr (log scale)');
    expect(figures[1][4]).not.toContain('log scale');
    // One symbol per trial in each chart.
    for (const figure of figures) expect(symbolCount(figure[4])).toBe(6);
    expect(html).toContain('<p id="search-summary">random search: 6 trial(s)');
    expect(html).toMatch(/<h2 id="curves-title">test_accuracy per epoch; × where the scheduler stopped a run \(3\)<\/h2>/);
    const curves = /<figure id="curves">([\s\S]*?)<\/figure>/.exec(html)![1];
    expect(symbolCount(curves)).toBe(3);
    expect(html).toContain('class="status-pruned"');
  });
});

/** The symbols (points) vega drew in an SVG: the paths of its symbol marks. */
function symbolCount(svg: string): number {
  return [...svg.matchAll(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].reduce((n, group) => n + (group[1].match(/<path/g)?.length ?? 0), 0);
}

const skip = chromiumSkipReason();
describe.skipIf(skip !== null)(`a search's HTML report in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('shows one chart per drawn parameter with a point per trial, and the stops on the curves', async () => {
    const out = path.join(dir, 'search.html');
    writeFileSync(out, await renderComparison(store, { experiment: 'cnn-search', format: 'html' }));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${out}`);
      const charts = await page.$$eval('figure.search-param', (figures) =>
        figures.map((f) => ({ param: f.getAttribute('data-param'), points: f.querySelectorAll('.mark-symbol.role-mark path').length, width: f.getBoundingClientRect().width })),
      );
      expect(charts.map((c) => [c.param, c.points])).toEqual([
        ['train.lr', 6],
        ['train.momentum', 6],
        ['vars.c1', 6],
      ]);
      for (const chart of charts) expect(chart.width).toBeGreaterThan(300);
      expect(await page.$$eval('#curves .mark-symbol.role-mark path', (paths) => paths.length)).toBe(3);
      const firstRow = await page.$eval('#runs tbody tr', (row) => (row as HTMLTableRowElement).cells[0].textContent);
      expect(firstRow).toBe('trial-05');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
