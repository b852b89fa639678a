/**
 * `xp compare` over a file store holding two sweeps, through the registered commander command; the
 * HTML report is opened in a real Chromium and sorted by clicking.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../../../tests/fixtures/mlflow-server.ts';
import { register } from '../cli/commands/compare.ts';
import { UsageError, type CliContext } from '../cli/context.ts';
import { FileStore } from '../tracking/file-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-compare-'));
const store = new FileStore(path.join(dir, 'mlruns'));
const ETAS = [0.1, 2, 0.5];

async function recordSweep(experimentId: string, etas: number[]): Promise<string> {
  const parent = await store.createRun(experimentId, { name: 'sweep' });
  for (const eta of etas) {
    const run = await store.createRun(experimentId, {
      name: `eta=${eta}`,
      parentRunId: parent.runId,
      tags: { 'xp.primaryMetric': 'E', 'xp.metricDirections': JSON.stringify({ E: 'min', E1: 'min', E2: 'min' }) },
    });
    await run.logParams({ kind: 'toy-mlp', 'train.eta': String(eta), 'train.steps': '20', seed: '1' });
    await run.logMetrics(Array.from({ length: 20 }, (_, step) => ({ key: 'E', value: 0.3 / (1 + eta * step), step })));
    await run.logMetrics([{ key: 'params', value: 12, step: 0 }]);
    await run.setTags({ 'xp.status': eta > 1 ? 'failed' : 'passed', 'xp.withinBudget': 'true', 'xp.params': '12' });
    await run.end('FINISHED');
  }
  await parent.end('FINISHED');
  return parent.runId;
}

async function xpCompare(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const ctx: CliContext = {
    cwd: dir,
    env: {},
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    exit: (c) => (code = Math.max(code, c)),
  };
  const program = new Command('xp').exitOverride();
  register(program, ctx);
  await program.parseAsync(['compare', ...args], { from: 'user' });
  return { stdout, stderr, code };
}

let latestParent = '';
beforeAll(async () => {
  const experimentId = await store.getOrCreateExperiment('toy-eta-sweep');
  await recordSweep(experimentId, [5, 6]);
  await new Promise((resolve) => setTimeout(resolve, 5));
  latestParent = await recordSweep(experimentId, ETAS);
  await store.getOrCreateExperiment('other-experiment');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xp compare', () => {
  it('--format json: the latest sweep\'s children, best E first, with what varied', async () => {
    const { stdout, code } = await xpCompare(['--experiment', 'toy-eta-sweep', '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ experiment: 'toy-eta-sweep', metric: 'E', direction: 'min', varied: ['train.eta'], parentRunId: latestParent });
    expect(report.runs.map((r: { name: string }) => r.name)).toEqual(['eta=2', 'eta=0.5', 'eta=0.1']);
    expect(report.runs[0]).toMatchObject({ status: 'failed', paramCount: 12, withinBudget: true, params: { 'train.eta': '2' } });
    expect(report.runs[0].metrics.E).toBeCloseTo(0.3 / (1 + 2 * 19));
  });

  it('--order desc reverses, --all includes every sweep, csv and table agree', async () => {
    const desc = JSON.parse((await xpCompare(['--experiment', 'toy-eta-sweep', '--format', 'json', '--order', 'desc'])).stdout);
    expect(desc.runs.map((r: { name: string }) => r.name)).toEqual(['eta=0.1', 'eta=0.5', 'eta=2']);
    const all = JSON.parse((await xpCompare(['--experiment', 'toy-eta-sweep', '--format', 'json', '--all'])).stdout);
    expect(all.runs.map((r: { name: string }) => r.name)).toEqual(['eta=6', 'eta=5', 'eta=2', 'eta=0.5', 'eta=0.1']);
    const csv = (await xpCompare(['--experiment', 'toy-eta-sweep', '--format', 'csv'])).stdout.trim().split('\r\n');
    expect(csv[0]).toBe('run_id,#,run,status,train.eta,E (lower is better),params,within budget,epochs,wall time');
    expect(csv).toHaveLength(4);
    const table = (await xpCompare(['--experiment', 'toy-eta-sweep'])).stdout;
    expect(table).toMatch(/eta=2 +failed +2 /);
  });

  it('names the experiments that exist when asked for one that does not', async () => {
    const error = await xpCompare(['--experiment', 'nope']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/no experiment named "nope".*Default, other-experiment, toy-eta-sweep/);
  });
});

const skip = chromiumSkipReason();
describe.skipIf(skip !== null)(`xp compare --format html in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('is self-contained, sorts by clicking a header, and draws every run\'s curve', async () => {
    const out = path.join(dir, 'report.html');
    const { code } = await xpCompare(['--experiment', 'toy-eta-sweep', '--format', 'html', '--out', out]);
    expect(code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain('<svg');

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      const requests: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(`file://${out}`);
      const names = () => page.$$eval('#runs tbody tr', (rows) => rows.map((row) => (row as HTMLTableRowElement).cells[1].textContent));
      expect(await names()).toEqual(['eta=2', 'eta=0.5', 'eta=0.1']);
      await page.click('#runs th:has-text("train.eta")');
      expect(await names()).toEqual(['eta=0.1', 'eta=0.5', 'eta=2']);
      await page.click('#runs th:has-text("train.eta")');
      expect(await names()).toEqual(['eta=2', 'eta=0.5', 'eta=0.1']);
      await page.click('#runs th:has-text("run")');
      expect(await names()).toEqual(['eta=0.1', 'eta=0.5', 'eta=2']);
      expect(await page.$$eval('#curves svg path[aria-roledescription="line mark"], #curves svg .mark-line path', (p) => p.length)).toBe(3);
      expect(requests).toEqual([]);
      const shots = process.env.XP_SCREENSHOT_DIR ?? path.join(os.tmpdir(), 'xp-compare-screenshots');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'compare-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
