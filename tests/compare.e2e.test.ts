/**
 * `xp compare` as a user runs it (the real binary, a subprocess) on runs written straight into a file store
 * through the tracking API, as the seeds-aware `xp run` records them: a two-seed sweep is grouped by
 * variant (issue 9, item 3), and issue 11's compare items (12–16) hold from the command line.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@xp/tracking';
import { recordCnnVariants, recordSeedSweep } from '../packages/runner/src/compare/test-fixtures.ts';
import { chromiumSkipReason, launchChromium } from './fixtures/mlflow-server.ts';
import { REPO, tempDir, xp } from './helpers.ts';

const dir = tempDir('xp-compare-e2e-');

beforeAll(async () => {
  const store = new FileStore(join(dir, 'mlruns'));
  await recordSeedSweep(
    store,
    'two-seeds',
    [
      { variant: 'lr=0.1', seed: 1, status: 'passed', accuracy: [0.991, 0.9942, 0.9951] },
      { variant: 'lr=0.1', seed: 2, status: 'passed', accuracy: [0.99, 0.9935, 0.9943] },
      { variant: 'lr=0.01', seed: 1, status: 'failed', accuracy: [0.985, 0.989, 0.9921] },
      { variant: 'lr=0.01', seed: 2, status: 'passed', accuracy: [0.986, 0.991, 0.9941] },
    ],
    { minTestAccuracy: 0.994 },
  );
  await recordCnnVariants(store, join(REPO, 'experiments/cnn-variants.yaml'), {
    sets: ['train.epochs=2'],
    accuracy: (variant) => (variant.startsWith('gap-5x5') ? [0.99, 0.9941] : [0.989, 0.993]),
  });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xp compare over seeds (subprocess)', () => {
  it('--format json groups a two-seed sweep by variant', () => {
    const result = xp(['compare', '--experiment', 'two-seeds', '--format', 'json'], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.groups).toHaveLength(2);
    const [first, second] = report.groups;
    expect(first).toMatchObject({ variant: 'lr=0.1', seeds: [1, 2], passing: 2, verdict: 'passed', min: 0.9943, max: 0.9951 });
    expect(first.mean).toBeCloseTo(0.9947, 12);
    expect(first.std).toBeCloseTo(Math.sqrt(2 * 0.0004 ** 2), 12);
    expect(first.thresholdEpoch).toMatchObject({ reached: 2, mean: 2.5, min: 2, max: 3 });
    // One seed of two failed and nothing lowers the default: every seed must pass.
    expect(second).toMatchObject({ variant: 'lr=0.01', seeds: [1, 2], passing: 1, required: 2, verdict: 'failed', min: 0.9921, max: 0.9941 });
    expect(second.mean).toBeCloseTo(0.9931, 12);
    for (const group of report.groups) for (const key of ['mean', 'std', 'min', 'max']) expect(typeof group[key]).toBe('number');
  });

  it('the table shows the variants over seeds first, then the runs', () => {
    const { stdout, code } = xp(['compare', '--experiment', 'two-seeds'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/│ lr=0\.1 +│ 1,2 +│ +2\/2 │ passed +│ +0\.9947 ± 0\.00057 │ 0\.9943 │ 0\.9951 │ +2\.5 \(2–3\) │/);
    expect(stdout).toMatch(/│ lr=0\.01 +│ 1,2 +│ +1\/2 │ failed +│/);
    expect(stdout).toContain('runs (4):');
  });
});

describe('xp compare from the command line: issue 11 items 12–16 (subprocess)', () => {
  it('12: --metric nope exits 2 and lists the metrics that exist', () => {
    const result = xp(['compare', '--experiment', 'two-seeds', '--metric', 'nope'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('xp: no metric named "nope" in the compared runs; metrics: params, test_accuracy, test_loss, wall_time_s');
  });

  it('13: --order desc on a loss sorts highest first and still says "lower is better"', () => {
    const { stdout, code } = xp(['compare', '--experiment', 'two-seeds', '--metric', 'test_loss', '--order', 'desc', '--runs'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('test_loss (lower is better)');
    expect(stdout).not.toContain('higher is better');
    const losses = stdout.split('\n').filter((line) => /^│ lr=/.test(line)).map((line) => Number(line.split('│')[4]));
    expect(losses).toEqual([...losses].sort((a, b) => b - a));
  });

  it('14 and 15: the CNN variants: name first, values under their axis, untrained shows "-"', () => {
    const { stdout, code } = xp(['compare', '--experiment', 'cnn-variants'], { cwd: dir });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[2]).toMatch(/^│ +│ +│ +model\.blocks\.conv3 +│/);
    expect(lines[4]).toMatch(/^│ variant +│ status │ 4\.conv2d\.padding │ 7\.conv2d\.padding │ vars\.c1 │/);
    const row = (name: string) => lines.find((line) => line.startsWith(`│ ${name} `))!.split('│').map((cell) => cell.trim());
    const header = lines[4].split('│').map((cell) => cell.trim());
    const epochs = header.indexOf('epochs');
    expect(row('gap-7x7_c1=32')[epochs]).toBe('-');
    expect(row('gap-5x5_c1=16')[epochs]).toBe('2');
  });

  it('16: csv and json carry raw values under plain names', () => {
    const csv = xp(['compare', '--experiment', 'cnn-variants', '--format', 'csv'], { cwd: dir }).stdout;
    expect(csv).not.toMatch(/ ms\b|is better/);
    const [header, ...records] = parseCsv(csv) as string[][];
    expect(header.slice(-5)).toEqual(['threshold_epoch', 'param_count', 'within_budget', 'epochs', 'wall_time_ms']);
    expect(header).toContain('test_accuracy');
    for (const record of records) expect(record[header.indexOf('wall_time_ms')]).toMatch(/^\d+$/);
    const json = JSON.parse(xp(['compare', '--experiment', 'cnn-variants', '--format', 'json'], { cwd: dir }).stdout);
    expect(json.runs[0].params['vars.c1']).toBe(16);
    expect(json.runs[0].params['train.epochs']).toBe(2);
  });

  it('15: the html report draws each variant per epoch with integer ticks, a band over seeds (Chromium)', async (ctx) => {
    const reason = chromiumSkipReason();
    if (reason) return ctx.skip(reason);
    const out = join(dir, 'two-seeds.html');
    expect(xp(['compare', '--experiment', 'two-seeds', '--format', 'html', '--out', out], { cwd: dir }).code).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${out}`);
      expect(await page.textContent('#curves-title')).toBe('test_accuracy per epoch: mean over seeds, band from min to max');
      expect(await page.$$eval('#curves svg .mark-line path', (p) => p.length)).toBe(2);
      expect(await page.$$eval('#curves svg .mark-area path', (p) => p.length)).toBe(2);
      const ticks = await page.$eval('#curves svg [aria-label^="X-axis"]', (axis) => Array.from(axis.querySelectorAll('.role-axis-label text'), (t) => t.textContent));
      expect(ticks).toEqual(['1', '2', '3']);
      expect(await page.$$eval('#groups tbody tr', (rows) => rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent))).toEqual(['lr=0.1', 'lr=0.01']);
    } finally {
      await browser.close();
    }
  });
});
