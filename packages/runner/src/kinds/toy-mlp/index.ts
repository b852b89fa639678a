/**
 * Experiment kind `toy-mlp` (Part I): the seed's 2-2-2 sigmoid network trained by hand-derived backprop,
 * with every derivative checked by finite differences and by automatic differentiation, and the user's own
 * formulas (model.gradientFormulas) held against them.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { toySpecOf, type ResolvedSpec, type ResolvedToySpec, type SpecIssue } from '@xp/core';
// Only the plain arithmetic is imported up front: the checks (TensorFlow.js), formula parsing (mathjs),
// chart and workbook libraries load when a run needs them, so `xp validate` and `xp plan` start fast.
import { trainToyNetwork, WEIGHT_NAMES, type ToyRow, type ToySetup } from '@xp/models/toy/network';
import type { GradientCheckResult } from '@xp/models/toy/checks';
import type { MetricPoint, TrackedRun } from '@xp/tracking';
import type { ExperimentKind, Locator, RunContext, RunOutcome, KindCheck, SweepResult } from '../types.ts';
import type { LossCurve } from './chart.ts';
import { tableToCsv } from './csv.ts';
import { NOTHING_LOGGED, readLoggedProgress, writeLoggedProgress, type LoggedProgress } from './logged-progress.ts';

const PARAMS = WEIGHT_NAMES.length;
const AUTODIFF_TOLERANCE = 1e-4;

function setupOf(spec: ResolvedToySpec): ToySetup {
  const { data, model, train } = spec;
  return { inputs: data.inputs, targets: data.targets, weights: { ...model.weights }, lr: train.lr, steps: train.steps };
}

async function formulaIssues(spec: ResolvedToySpec, locate: Locator): Promise<SpecIssue[]> {
  if (spec.model.gradientFormulas === undefined) return [];
  const { parseGradientFormulas } = await import('@xp/models/toy/formulas');
  return parseGradientFormulas(spec.model.gradientFormulas).issues.map((issue) => ({
    ...issue,
    location: locate(issue.path.split('.')),
  }));
}

async function check(resolved: ResolvedSpec, locate: Locator): Promise<KindCheck> {
  const spec = toySpecOf(resolved);
  const issues = await formulaIssues(spec, locate);
  // The schema cannot see that a finite spec may still overflow: e.g. a huge η sends weights to ±∞.
  const setup = setupOf(spec);
  if (!trainToyNetwork(setup).every((row) => Object.values(row).every(Number.isFinite))) {
    issues.push({
      path: 'train.lr',
      message: 'training overflows: the weights or the loss stop being finite numbers',
      found: String(setup.lr),
      hint: 'use a smaller learning rate or smaller starting weights',
      location: locate(['train', 'lr']),
    });
  }
  return { params: PARAMS, issues };
}

/** Interrupted, or stopped by a sweep's scheduler: the table and losses as far as they were reported. */
async function stoppedEarly(tracked: TrackedRun, rows: readonly ToyRow[], lastStep: number): Promise<RunOutcome> {
  const csvPath = join(tracked.artifactDir, 'backprop-table.csv');
  await writeFile(csvPath, tableToCsv(rows));
  await tracked.logArtifact(csvPath);
  const reached = rows[rows.length - 1];
  const metrics: Record<string, number> = reached ? { E: reached.E, E1: reached.E1, E2: reached.E2 } : {};
  return { status: 'killed', metrics, artifacts: { 'backprop-table.csv': csvPath }, message: `stopped at step ${reached?.step ?? 0} of ${lastStep}` };
}

function describeWorst(name: string, result: GradientCheckResult): string {
  const w = result.worst;
  if (!w) return `${name}: nothing to compare`;
  return (
    `${name}: ${result.failures.length} gradient value(s) beyond ${result.tolerance} relative; worst ${w.gradient} at step ${w.step}: ` +
    `analytic ${w.analytic}, ${name} ${w.reference} (relative error ${w.relativeError.toPrecision(3)})`
  );
}

/**
 * Logs E, E1 and E2 for the steps after `progress.lossesThroughStep`, `reportEvery` steps at a time
 * (each batch is a report a sweep's scheduler judges), each point stamped with when its step was
 * computed (the steps take microseconds, so many share a millisecond: that is the truth). Stops after
 * the batch during which `signal` aborted.
 */
async function logLosses(
  run: TrackedRun,
  rows: readonly ToyRow[],
  measuredAt: readonly number[],
  progress: LoggedProgress,
  reportEvery: number,
  signal: AbortSignal,
): Promise<LoggedProgress> {
  let logged = progress;
  for (let from = progress.lossesThroughStep + 1; from < rows.length && !signal.aborted; from += reportEvery) {
    const batch = rows.slice(from, from + reportEvery);
    await run.logMetrics(
      batch.flatMap((r) => {
        const timestamp = measuredAt[r.step];
        return [
          { key: 'E', value: r.E, step: r.step, timestamp },
          { key: 'E1', value: r.E1, step: r.step, timestamp },
          { key: 'E2', value: r.E2, step: r.step, timestamp },
        ];
      }),
    );
    logged = { ...logged, lossesThroughStep: batch[batch.length - 1].step };
    await writeLoggedProgress(run.artifactDir, logged);
  }
  return logged;
}

async function run(ctx: RunContext): Promise<RunOutcome> {
  const { checkAutodiff, checkFiniteDifferences } = await import('@xp/models/toy/checks');
  const { checkFormulas, describeDisagreement, parseGradientFormulas } = await import('@xp/models/toy/formulas');
  const { renderLossCurves } = await import('./chart.ts');
  const { writeWorkbook } = await import('./workbook.ts');
  const { run: tracked, log } = ctx;
  const spec = toySpecOf(ctx.spec);
  const setup = setupOf(spec);
  const parsed = parseGradientFormulas(spec.model.gradientFormulas);
  if (parsed.issues.length > 0) {
    // check() refuses these before any run; reaching here means it was skipped.
    return { status: 'error', metrics: {}, artifacts: {}, message: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  }

  const measuredAt: number[] = [];
  const rows = trainToyNetwork(setup, () => measuredAt.push(performance.timeOrigin + performance.now()));
  const final = rows[rows.length - 1];
  const metrics: Record<string, number> = { E: final.E, E1: final.E1, E2: final.E2 };
  // A resumed run continues its own history: what reached the store before the interruption is not sent
  // again. Where the store could not reopen the run, the resumed one is new and gets everything.
  const sameRun = ctx.resumeFrom !== undefined && resolve(ctx.resumeFrom) === resolve(tracked.artifactDir);
  const { reportEvery } = spec.train;
  let progress = await logLosses(tracked, rows, measuredAt, sameRun ? await readLoggedProgress(ctx.resumeFrom) : NOTHING_LOGGED, reportEvery, ctx.signal);
  if (progress.lossesThroughStep < final.step) return stoppedEarly(tracked, rows.slice(0, progress.lossesThroughStep + 1), final.step);

  const fd = checkFiniteDifferences(rows, spec.constraints.maxGradientError);
  const ad = await checkAutodiff(rows, AUTODIFF_TOLERANCE);
  metrics.max_fd_rel_error = fd.maxRelativeError;
  metrics.max_autodiff_rel_error = ad.maxRelativeError;
  const checkPoints: MetricPoint[] = [
    { key: 'max_fd_rel_error', value: fd.maxRelativeError, step: final.step },
    { key: 'max_autodiff_rel_error', value: ad.maxRelativeError, step: final.step },
  ];
  if (!progress.checksLogged) {
    await tracked.logMetrics(checkPoints);
    progress = { ...progress, checksLogged: true };
    await writeLoggedProgress(tracked.artifactDir, progress);
  }

  const artifacts: Record<string, string> = {};
  const csvPath = join(tracked.artifactDir, 'backprop-table.csv');
  await writeFile(csvPath, tableToCsv(rows));
  artifacts['backprop-table.csv'] = csvPath;

  const chart = await renderLossCurves([{ eta: setup.lr, losses: rows.map((r) => r.E) }], `Total loss E against step, η = ${setup.lr}`);
  const pngPath = join(tracked.artifactDir, 'loss-curve.png');
  await writeFile(pngPath, chart.png);
  artifacts['loss-curve.png'] = pngPath;

  const xlsxPath = join(tracked.artifactDir, 'backprop.xlsx');
  await writeWorkbook(xlsxPath, rows, { lossCurvePng: chart.png });
  artifacts['backprop.xlsx'] = xlsxPath;
  for (const path of Object.values(artifacts)) await tracked.logArtifact(path);
  // Where the tables went: the run's outputs are files the user opens, not only MLflow artifacts.
  log(`backpropagation table: ${csvPath}`);
  log(`workbook (live formulas, loss curve): ${xlsxPath}`);

  const problems: string[] = [];
  if (fd.failures.length > 0) problems.push(describeWorst('finite differences', fd));
  if (ad.failures.length > 0) problems.push(describeWorst('autodiff', ad));

  const wrong = checkFormulas(rows, parsed.formulas, spec.constraints.maxGradientError);
  if (parsed.formulas.length > 0) {
    const right = parsed.formulas.filter((f) => !wrong.some((w) => w.gradient === f.gradient)).map((f) => f.gradient);
    if (right.length > 0) log(`formulas that agree with the true derivatives at every step: ${right.join(', ')}`);
    for (const w of wrong) log(`wrong formula ${describeDisagreement(w)}`);
    if (wrong.length > 0) {
      problems.push(
        `wrong derivative formula${wrong.length === 1 ? '' : 's'}: ` +
          wrong.map((w) => `${w.gradient} gives ${w.formulaValue} at step ${w.step}, true value ${w.trueValue}`).join('; '),
      );
    }
  }

  const tags = { 'toy.formulas_checked': String(parsed.formulas.length), 'toy.formulas_wrong': wrong.map((w) => w.gradient).join(',') };
  if (problems.length > 0) return { status: 'failed', metrics, artifacts, message: problems.join('; '), tags };
  return { status: 'passed', metrics, artifacts, tags };
}

async function afterSweep(results: SweepResult[], parent: TrackedRun, log: (line: string) => void): Promise<Record<string, string>> {
  const curves: LossCurve[] = [];
  for (const result of results) {
    if (result.outcome.status === 'error') continue;
    // Recomputed rather than read back from the store: it is exact, instant, and independent of the store.
    const rows = trainToyNetwork(setupOf(toySpecOf(result.spec)));
    curves.push({ eta: rows[0].eta, losses: rows.map((r) => r.E) });
  }
  if (curves.length === 0) return {};
  const { renderLossCurves } = await import('./chart.ts');
  const { svg, png } = await renderLossCurves(curves);
  const svgPath = join(parent.artifactDir, 'loss-curves.svg');
  const pngPath = join(parent.artifactDir, 'loss-curves.png');
  await writeFile(svgPath, svg);
  await writeFile(pngPath, png);
  await parent.logArtifact(svgPath);
  await parent.logArtifact(pngPath);
  log(`loss curves of ${curves.length} learning rate${curves.length === 1 ? '' : 's'}: ${pngPath}`);
  return { 'loss-curves.svg': svgPath, 'loss-curves.png': pngPath };
}

export const toyMlpKind: ExperimentKind = {
  kind: 'toy-mlp',
  metricDirections: { E: 'min', E1: 'min', E2: 'min', max_fd_rel_error: 'min', max_autodiff_rel_error: 'min' },
  primaryMetric: 'E',
  curveMetric: 'E',
  check,
  summary: () =>
    '2-2-2 sigmoid network, no biases: h = W1·i (w1..w4), out_h = σ(h), o = W2·out_h (w5..w8), out_o = σ(o); ' +
    'loss E = ½Σ(t − out_o)²; 8 trainable parameters',
  run,
  async preload() {
    await Promise.all([import('@xp/models/toy/checks'), import('@xp/models/toy/formulas'), import('./chart.ts'), import('./workbook.ts')]);
  },
  afterSweep,
};
