import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { trainToyNetwork, TOY_COLUMNS } from '@xp/models';
import type { RunContext } from '../types.ts';
import { parseTableCsv, tableToCsv } from './csv.ts';
import { toyMlpKind } from './index.ts';
import { MemoryRun, seedSpec } from './test-helpers.ts';

const SEED_FORMULAS = {
  dE_dw1: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w5)) * (h1*(1-h1)) * (i1) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w7)) * (h1*(1-h1)) * (i1)',
  dE_dw2: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w5)) * (h1*(1-h1)) * (i2) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w7)) * (h1*(1-h1)) * (i2)',
  dE_dw3: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w6)) * (h2*(1-h2)) * (i1) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w8)) * (h2*(1-h2)) * (i1)',
  dE_dw4: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w6)) * (h2*(1-h2)) * (i2) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w8)) * (h2*(1-h2)) * (i2)',
  dE_dw5: '(out_o1 - t1) * (out_o1*(1-out_o1)) * (out_h1)',
  dE_dw6: '(out_o1 - t1) * (out_o1*(1-out_o1)) * (out_h2)',
  dE_dw7: '(out_o2 - t2) * (out_o2*(1-out_o2)) * (out_h1)',
  dE_dw8: '(out_o2 - t2) * (out_o2*(1-out_o2)) * (out_h2)',
};

function context(spec = seedSpec()): { ctx: RunContext; run: MemoryRun; lines: string[] } {
  const run = new MemoryRun();
  const lines: string[] = [];
  const ctx: RunContext = {
    spec, variantName: 'test', specFile: '/tmp/toy.yaml', run, backend: 'cpu',
    log: (line) => lines.push(line), signal: new AbortController().signal,
  };
  return { ctx, run, lines };
}

const locate = (path: readonly (string | number)[]) => ({ file: 'toy.yaml', line: path.length, column: 1 });

describe('toyMlpKind.check', () => {
  it('counts 8 parameters and leaves the budget to the one verdict module (not a spec error)', async () => {
    expect(await toyMlpKind.check(seedSpec(), locate)).toEqual({ params: 8, issues: [] });
    expect(await toyMlpKind.check(seedSpec({ constraints: { maxParams: 4 } }), locate)).toEqual({ params: 8, issues: [] });
  });

  it('locates formulas that do not parse or name unknown columns', async () => {
    const spec = seedSpec();
    spec.model!.gradientFormulas = { dE_dw1: '(out_o1 - t1', dE_dw5: 'outo1 * out_h1' };
    const seen: (string | number)[][] = [];
    const result = (await toyMlpKind.check(spec, (path) => (seen.push([...path]), { file: 'toy.yaml', line: 9, column: 3 }))) as {
      issues: { path: string; message: string; location?: unknown }[];
    };
    expect(result.issues.map((i) => i.path)).toEqual(['model.gradientFormulas.dE_dw1', 'model.gradientFormulas.dE_dw5']);
    expect(result.issues[1].message).toContain("unknown column 'outo1'");
    expect(seen).toContainEqual(['model', 'gradientFormulas', 'dE_dw1']);
    expect(result.issues[0].location).toEqual({ file: 'toy.yaml', line: 9, column: 3 });
  });
});

describe('toyMlpKind.run', () => {
  it('passes on the seed setup, logs losses and writes the table', async () => {
    const { ctx, run } = context();
    const outcome = await toyMlpKind.run(ctx);
    expect(outcome.status).toBe('passed');
    const rows = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: seedSpec().model!.weights!, lr: 0.1, steps: 157 });
    expect(outcome.metrics.E).toBe(rows[157].E);
    expect(outcome.metrics.max_fd_rel_error).toBeLessThan(1e-8);
    expect(outcome.metrics.max_autodiff_rel_error).toBeLessThan(1e-4);
    expect(run.metrics.filter((m) => m.key === 'E').map((m) => m.step)).toEqual([...Array(158).keys()]);
    expect(run.metricCalls).toBeLessThan(6); // 158 steps in reports of 50, and the checks
    expect(Object.keys(outcome.artifacts).sort()).toEqual(['backprop-table.csv', 'backprop.xlsx', 'loss-curve.png']);
    expect(run.artifacts.sort()).toEqual(Object.values(outcome.artifacts).sort());

    const text = readFileSync(outcome.artifacts['backprop-table.csv'], 'utf8');
    expect(text.split('\n')[0]).toBe(TOY_COLUMNS.join(','));
    const back = parseTableCsv(text);
    expect(back).toHaveLength(158);
    back.forEach((row, k) => TOY_COLUMNS.forEach((c) => expect(row[c]).toBe(rows[k][c])));
  });

  it("fails the seed's formulas, naming dE_dw1..dE_dw4 with both values", async () => {
    const spec = seedSpec({}, 0.5);
    spec.model!.gradientFormulas = SEED_FORMULAS;
    const { ctx, lines } = context(spec);
    const outcome = await toyMlpKind.run(ctx);
    expect(outcome.status).toBe('failed');
    const named = [...outcome.message!.matchAll(/dE_dw\d/g)].map((m) => m[0]);
    expect(named).toEqual(['dE_dw1', 'dE_dw2', 'dE_dw3', 'dE_dw4']);
    const rows = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: spec.model!.weights!, lr: 0.5, steps: 0 });
    expect(outcome.message).toContain(`true value ${rows[0].dE_dw1}`);
    expect(outcome.message).toContain('at step 0');
    expect(lines.filter((l) => l.startsWith('wrong formula'))).toHaveLength(4);
  });
});

describe('toyMlpKind.run: when and how often each step is logged', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stamps each step with the time it was computed, not one time for the whole run', async () => {
    // A clock that moves 7 ms between readings: one timestamp taken for all steps would show as equal stamps.
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 7));
    const { ctx, run } = context();
    await toyMlpKind.run(ctx);
    const stamps = run.metrics.filter((m) => m.key === 'E').map((m) => m.timestamp!);
    expect(stamps).toHaveLength(158);
    for (let k = 1; k < stamps.length; k++) expect(stamps[k] - stamps[k - 1]).toBeCloseTo(7, 6);
    // E1 and E2 of a step were measured with its E.
    for (const key of ['E1', 'E2']) expect(run.metrics.filter((m) => m.key === key).map((m) => m.timestamp)).toEqual(stamps);
  });

  it('a resumed run logs only what had not reached the store, so no step appears twice', async () => {
    const { ctx, run } = context();
    await toyMlpKind.run(ctx);
    const before = run.metrics.length;
    await toyMlpKind.run({ ...ctx, resumeFrom: run.artifactDir });
    expect(run.metrics.length).toBe(before);

    // Interrupted after step 99's batch: the rest of the losses and the checks follow, once.
    const cut = context();
    writeFileSync(join(cut.run.artifactDir, 'logged-progress.json'), JSON.stringify({ lossesThroughStep: 99, checksLogged: false }));
    await toyMlpKind.run({ ...cut.ctx, resumeFrom: cut.run.artifactDir });
    expect(cut.run.metrics.filter((m) => m.key === 'E').map((m) => m.step)).toEqual([...Array(58).keys()].map((k) => k + 100));
    expect(cut.run.metrics.filter((m) => m.key === 'max_fd_rel_error')).toHaveLength(1);
  });

  it('stops between reports when its signal aborts, with the table and losses as far as they went', async () => {
    const { ctx, run } = context();
    const controller = new AbortController();
    // The scheduler's answer to the report of steps 0..49 arrives while they are being logged.
    const logMetrics = run.logMetrics.bind(run);
    run.logMetrics = async (points) => {
      await logMetrics(points);
      if (points.some((p) => p.key === 'E' && p.step === 49)) controller.abort('xp:pruned');
    };
    const outcome = await toyMlpKind.run({ ...ctx, signal: controller.signal });
    expect(outcome.status).toBe('killed');
    expect(outcome.message).toBe('stopped at step 49 of 157');
    expect(run.metrics.filter((m) => m.key === 'E').map((m) => m.step)).toEqual([...Array(50).keys()]);
    expect(parseTableCsv(readFileSync(outcome.artifacts['backprop-table.csv'], 'utf8'))).toHaveLength(50);
  });

  it('a resume into a new run (a store that cannot reopen the old one) logs every step', async () => {
    const earlier = context();
    await toyMlpKind.run(earlier.ctx);
    const fresh = context();
    await toyMlpKind.run({ ...fresh.ctx, resumeFrom: earlier.run.artifactDir });
    expect(fresh.run.metrics.filter((m) => m.key === 'E')).toHaveLength(158);
  });
});

describe('CSV', () => {
  it('round-trips every float64 exactly', () => {
    const rows = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: seedSpec().model!.weights!, lr: 2, steps: 157 });
    const back = parseTableCsv(tableToCsv(rows));
    back.forEach((row, k) => TOY_COLUMNS.forEach((c) => expect(Object.is(row[c], rows[k][c])).toBe(true)));
  });
});

describe('toyMlpKind.afterSweep', () => {
  it('draws every η on one chart, as SVG and PNG', async () => {
    const parent = new MemoryRun();
    const results = [0.1, 0.5, 2].map((lr) => ({
      variantName: `lr=${lr}`, spec: seedSpec({}, lr), runId: String(lr), outcome: { status: 'passed' as const, metrics: {}, artifacts: {} },
    }));
    const out = await toyMlpKind.afterSweep!(results, parent, () => {});
    expect(Object.keys(out).sort()).toEqual(['loss-curves.png', 'loss-curves.svg']);
    const svg = readFileSync(out['loss-curves.svg'], 'utf8');
    for (const label of ['η = 0.1', 'η = 0.5', 'η = 2', 'step', 'total loss E']) expect(svg).toContain(label);
    const png = readFileSync(out['loss-curves.png']);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(parent.artifacts).toHaveLength(2);
  });
});
