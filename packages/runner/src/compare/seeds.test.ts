/**
 * Reporting over seeds (issue 9, item 3): scripted multi-seed sweeps in a real file store, compared as
 * `xp compare` does; the HTML report's mean curve and band checked in Chromium.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@xp/tracking';
import { chromiumSkipReason, launchChromium } from '../../../../tests/fixtures/mlflow-server.ts';
import { main } from '../cli/main.ts';
import { seedOf, stats } from './groups.ts';
import { buildComparison, loadCurves } from './report.ts';
import { CNN_TAGS, recordRun, recordSeedSweep, type SeedRun } from './test-fixtures.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-compare-seeds-'));
const store = new FileStore(path.join(dir, 'mlruns'));

/** lr=0.1: finals 0.997/0.995/0.993 (mean 0.995, sample std 0.002), 0.994 first reached at epochs 2 and 3, seed 3 never. */
const SWEEP: SeedRun[] = [
  { variant: 'lr=0.05', seed: 1, status: 'failed', accuracy: [0.98, 0.985, 0.99] },
  { variant: 'lr=0.1', seed: 1, status: 'passed', accuracy: [0.99, 0.995, 0.997] },
  { variant: 'lr=0.05', seed: 2, status: 'failed', accuracy: [0.981, 0.986, 0.989] },
  { variant: 'lr=0.1', seed: 2, status: 'passed', accuracy: [0.991, 0.992, 0.995] },
  { variant: 'lr=0.05', seed: 3, status: 'failed', accuracy: [0.979, 0.984, 0.991] },
  { variant: 'lr=0.1', seed: 3, status: 'failed', accuracy: [0.99, 0.991, 0.993] },
];

async function xp(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd: dir, env: {}, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { stdout, stderr, code };
}

beforeAll(async () => {
  await recordSeedSweep(store, 'two-of-three', SWEEP, { minTestAccuracy: 0.994, minPassingSeeds: 2 });
  await recordSeedSweep(store, 'all-seeds', SWEEP, { minTestAccuracy: 0.994 });
  // Runs from before seeds were an axis: no xp.seed tag; `xp run --set seed=N` twice, the seed in the param only.
  const old = await store.getOrCreateExperiment('before-seeds');
  for (const [seed, accuracy] of [[1, [0.99, 0.9942]], [2, [0.99, 0.9938]], [null, [0.99, 0.995]]] as const) {
    await recordRun(store, old, {
      name: 'cnn-19816',
      tags: { ...CNN_TAGS, 'xp.variant': 'cnn-19816', 'xp.status': accuracy[1] >= 0.994 ? 'passed' : 'failed' },
      params: { kind: 'cnn-classifier', 'train.epochs': 2, 'constraints.minTestAccuracy': 0.994, ...(seed === null ? {} : { seed }) },
      histories: { test_accuracy: [...accuracy] },
    });
  }
  // One `xp run --set seed=N` per seed, with what real use leaves behind: a run that crashed at its
  // start and was run again, a rerun still going, and a seed run twice to the end.
  const reruns = await store.getOrCreateExperiment('reruns');
  const runs: Array<[number, string, number[]]> = [
    [1, 'error', []],
    [1, 'passed', [0.99, 0.9941]],
    [2, 'failed', [0.99, 0.9931]],
    [2, 'passed', [0.99, 0.9945]],
    [3, 'failed', [0.99, 0.9939]],
    [2, 'running', [0.98]],
    [4, 'running', [0.97]],
  ];
  for (const [seed, status, accuracy] of runs) {
    await recordRun(store, reruns, {
      name: 'cnn-19816',
      tags: { ...CNN_TAGS, 'xp.variant': 'cnn-19816', 'xp.seed': String(seed), 'xp.status': status },
      params: { kind: 'cnn-classifier', 'train.epochs': 2, 'constraints.minTestAccuracy': 0.994, seed },
      histories: accuracy.length ? { test_accuracy: accuracy } : undefined,
      end: status === 'running' ? null : status === 'passed' ? 'FINISHED' : 'FAILED',
    });
    await new Promise((resolve) => setTimeout(resolve, 5)); // distinct start times: the latest decided run counts
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stats and seeds', () => {
  it('sample standard deviation (n − 1), none for a single value', () => {
    expect(stats([0.993, 0.995, 0.997])).toMatchObject({ count: 3, mean: expect.closeTo(0.995, 12), std: expect.closeTo(0.002, 12), min: 0.993, max: 0.997 });
    expect(stats([2, 4, 4, 4, 5, 5, 7, 9])!.std).toBeCloseTo(2.138089935, 9);
    expect(stats([0.5])).toEqual({ count: 1, mean: 0.5, std: null, min: 0.5, max: 0.5 });
    expect(stats([])).toBeNull();
    expect(stats([Number.NaN, 1, 3])).toMatchObject({ count: 2, mean: 2 });
  });

  it('reads the seed from xp.seed, else the seed param, else unknown', () => {
    expect(seedOf({ tags: { 'xp.seed': '7' }, params: { seed: '1' } })).toBe(7);
    expect(seedOf({ tags: {}, params: { seed: '3' } })).toBe(3);
    expect(seedOf({ tags: {}, params: {} })).toBeNull();
  });
});

describe('xp compare over seeds', () => {
  it('--format json has one group per variant: seeds, passing, mean ± std, min, max, verdict by minPassingSeeds', async () => {
    const { stdout, code } = await xp(['compare', '--experiment', 'two-of-three', '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.groups.map((g: { variant: string }) => g.variant)).toEqual(['lr=0.1', 'lr=0.05']);
    const [best, worst] = report.groups;
    expect(best).toMatchObject({ variant: 'lr=0.1', seeds: [1, 2, 3], count: 3, passing: 2, required: 2, verdict: 'passed', min: 0.993, max: 0.997 });
    expect(best.mean).toBeCloseTo(0.995, 12);
    expect(best.std).toBeCloseTo(0.002, 12);
    expect(best.thresholdEpoch).toMatchObject({ threshold: 0.994, reached: 2, mean: 2.5, min: 2, max: 3 });
    expect(worst).toMatchObject({ variant: 'lr=0.05', seeds: [1, 2, 3], passing: 0, verdict: 'failed', min: 0.989, max: 0.991 });
    expect(worst.std).toBeCloseTo(0.001, 12);
    expect(worst.thresholdEpoch).toMatchObject({ reached: 0, mean: null });
    // The runs follow their variants, each variant's seeds best first.
    expect(report.runs.map((r: { name: string }) => r.name)).toEqual(['lr=0.1_seed=1', 'lr=0.1_seed=2', 'lr=0.1_seed=3', 'lr=0.05_seed=3', 'lr=0.05_seed=1', 'lr=0.05_seed=2']);
    expect(report.runs[0]).toMatchObject({ variant: 'lr=0.1', seed: 1, epochs: 3, thresholdEpoch: 2 });
    expect(report.varied).toEqual([]);
  });

  it('without constraints.minPassingSeeds every seed must pass', async () => {
    const report = JSON.parse((await xp(['compare', '--experiment', 'all-seeds', '--format', 'json'])).stdout);
    expect(report.groups[0]).toMatchObject({ variant: 'lr=0.1', passing: 2, required: 3, verdict: 'failed' });
  });

  it('groups runs recorded before seeds were an axis by their seed param', async () => {
    const report = JSON.parse((await xp(['compare', '--experiment', 'before-seeds', '--all', '--format', 'json'])).stdout);
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ variant: 'cnn-19816', seeds: [1, 2], count: 3, passing: 2, required: 3, verdict: 'failed', min: 0.9938, max: 0.995 });
    expect(report.groups[0].thresholdEpoch).toMatchObject({ reached: 2, mean: 2 });
  });

  it('counts each seed once: its latest run with a verdict; crashed, superseded and running reruns are listed, not counted; values of runs still going are no result', async () => {
    const report = JSON.parse((await xp(['compare', '--experiment', 'reruns', '--all', '--format', 'json'])).stdout);
    expect(report.groups).toHaveLength(1);
    const [group] = report.groups;
    // Seed 4's only run is still going: it counts for the verdict, but its value so far is not a result.
    expect(group).toMatchObject({ seeds: [1, 2, 3, 4], count: 4, passing: 2, required: 4, verdict: 'failed', min: 0.9939, max: 0.9945, withMetric: 3 });
    expect(group.mean).toBeCloseTo((0.9941 + 0.9945 + 0.9939) / 3, 12);
    expect(group.notCounted).toHaveLength(3);
    const statusOf = (id: string) => report.runs.find((run: { runId: string }) => run.runId === id).status;
    expect(group.notCounted.map(statusOf).sort()).toEqual(['error', 'failed', 'running']);
    const table = (await xp(['compare', '--experiment', 'reruns', '--all'])).stdout;
    expect(table).toMatch(/│ 1,2,3,4 \(3 other run\(s\) not counted\)/);
    expect(table.match(/\(not counted\)/g)).toHaveLength(3);
  });

  it('the table shows the variants over seeds, then the runs; --runs only the runs', async () => {
    const { stdout } = await xp(['compare', '--experiment', 'two-of-three']);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('experiment two-of-three: 2 variant(s) over 6 run(s), ranked by test_accuracy (higher is better), best first (by mean over seeds)');
    expect(lines[2]).toMatch(/│ variant │ seeds │ +passed │ verdict │ test_accuracy mean ± std │ +min │ +max │ first epoch ≥ 0\.994 \(mean, min–max\) │/);
    expect(stdout).toMatch(/│ lr=0\.1 +│ 1,2,3 │ 2\/3 \(2 needed\) │ passed +│ +0\.995 ± 0\.002 │ 0\.993 │ 0\.997 │ +2\.5 \(2–3\), 2\/3 reached │/);
    expect(stdout).toMatch(/│ lr=0\.05 +│ 1,2,3 │ 0\/3 \(2 needed\) │ failed +│ +0\.99 ± 0\.001 │ 0\.989 │ 0\.991 │ +never │/);
    expect(stdout).toContain('runs (6):');
    expect(stdout).toMatch(/│ lr=0\.1 +│ +3 │ failed │ +0\.993 │ +never │/);
    const runsOnly = (await xp(['compare', '--experiment', 'two-of-three', '--runs'])).stdout;
    expect(runsOnly).not.toContain('mean ± std');
    expect(runsOnly.split('\n').filter((line) => /^│ lr=/.test(line))).toHaveLength(6);
  });

  it('curves: per variant and epoch, the mean over seeds with min and max', async () => {
    const report = await buildComparison(store, { experiment: 'two-of-three' });
    const curves = await loadCurves(store, report);
    expect(curves).toMatchObject({ metric: 'test_accuracy', unit: 'epoch' });
    const at = (variant: string, step: number) => curves.points.find((p) => p.variant === variant && p.step === step);
    expect(at('lr=0.1', 3)).toMatchObject({ min: 0.993, max: 0.997, n: 3, band: true });
    expect(at('lr=0.1', 3)!.mean).toBeCloseTo(0.995, 12);
    expect(at('lr=0.05', 1)).toMatchObject({ min: 0.979, max: 0.981, n: 3 });
    expect(curves.points.filter((p) => p.variant === 'lr=0.1').map((p) => p.step)).toEqual([1, 2, 3]);
  });
});

const skip = chromiumSkipReason();
describe.skipIf(skip !== null)(`xp compare --format html over seeds in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('shows the variants over seeds and each variant\'s mean curve with a band, by epoch with integer ticks', async () => {
    const out = path.join(dir, 'seeds.html');
    expect((await xp(['compare', '--experiment', 'two-of-three', '--format', 'html', '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      await page.goto(`file://${out}`);
      const groups = () => page.$$eval('#groups tbody tr', (rows) => rows.map((row) => Array.from((row as HTMLTableRowElement).cells, (c) => c.textContent)));
      expect(await groups()).toEqual([
        ['lr=0.1', '1,2,3', '2/3 (2 needed)', 'passed', '0.995 ± 0.002', '0.993', '0.997', '2.5 (2–3), 2/3 reached'],
        ['lr=0.05', '1,2,3', '0/3 (2 needed)', 'failed', '0.99 ± 0.001', '0.989', '0.991', 'never'],
      ]);
      await page.click('#groups th:has-text("mean ± std")');
      expect((await groups()).map((row) => row[0])).toEqual(['lr=0.05', 'lr=0.1']);
      expect(await page.$$eval('#runs tbody tr', (rows) => rows.length)).toBe(6);
      expect(await page.textContent('#curves-title')).toBe('test_accuracy per epoch: mean over seeds, band from min to max');
      // One mean line and one band per variant.
      expect(await page.$$eval('#curves svg .mark-line path', (p) => p.length)).toBe(2);
      expect(await page.$$eval('#curves svg .mark-area path', (p) => p.length)).toBe(2);
      // The band of lr=0.1 spans its seeds: taller than the line is thick, and the line runs inside it.
      const box = await page.$$eval('#curves svg .mark-area path', (paths) => paths.map((p) => (p as SVGGraphicsElement).getBBox().height));
      expect(Math.min(...box)).toBeGreaterThan(10);
      const xAxis = await page.$eval('#curves svg [aria-label^="X-axis"]', (axis) => ({
        label: axis.getAttribute('aria-label'),
        ticks: Array.from(axis.querySelectorAll('.role-axis-label text'), (t) => t.textContent),
      }));
      expect(xAxis.label).toMatch(/^X-axis titled 'epoch'/);
      expect(xAxis.ticks).toEqual(['1', '2', '3']);
      const shots = process.env.XP_SCREENSHOT_DIR ?? path.join(os.tmpdir(), 'xp-compare-screenshots');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'compare-seeds.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
