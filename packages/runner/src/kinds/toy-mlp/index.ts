/**
 * Experiment kind `toy-mlp` (Part I): the seed's 2-2-2 sigmoid network trained by hand-derived backprop,
 * with every derivative checked by finite differences and by automatic differentiation, and the user's own
 * formulas (model.gradientFormulas) held against them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentSpec, SpecIssue } from '@xp/core';
// Only the plain arithmetic is imported up front: the checks (TensorFlow.js), formula parsing (mathjs),
// chart and workbook libraries load when a run needs them, so `xp validate` and `xp plan` start fast.
import { trainToyNetwork, WEIGHT_NAMES, type ToyRow, type ToySetup } from '@xp/models/toy/network';
import type { GradientCheckResult } from '@xp/models/toy/checks';
import type { MetricPoint, TrackedRun } from '@xp/tracking';
import type { ExperimentKind, Locator, RunContext, RunOutcome, KindCheck, SweepResult } from '../types.ts';
import type { LossCurve } from './chart.ts';
import { tableToCsv } from './csv.ts';

const PARAMS = WEIGHT_NAMES.length;
const AUTODIFF_TOLERANCE = 1e-4;
const DEFAULT_FD_TOLERANCE = 1e-8;
/** Metric points per logMetrics call: one call per step would be a request per step on a server store. */
const METRIC_BATCH = 500;

function setupOf(spec: ExperimentSpec): ToySetup {
  const { data, model, train } = spec;
  // The schema requires all of these for toy-mlp; a spec reaching here without them is a bug upstream.
  if (!data?.inputs || !data.targets || !model?.weights || train?.steps === undefined || train.lr === undefined) {
    throw new Error('toy-mlp spec lacks data.inputs, data.targets, model.weights, train.steps or train.lr');
  }
  return { inputs: data.inputs, targets: data.targets, weights: { ...model.weights }, lr: train.lr, steps: train.steps };
}

async function formulaIssues(spec: ExperimentSpec, locate: Locator): Promise<SpecIssue[]> {
  if (spec.model?.gradientFormulas === undefined) return [];
  const { parseGradientFormulas } = await import('@xp/models/toy/formulas');
  return parseGradientFormulas(spec.model.gradientFormulas).issues.map((issue) => ({
    ...issue,
    location: locate(issue.path.split('.')),
  }));
}

async function check(spec: ExperimentSpec, locate: Locator): Promise<KindCheck> {
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

function describeWorst(name: string, result: GradientCheckResult): string {
  const w = result.worst;
  if (!w) return `${name}: nothing to compare`;
  return (
    `${name}: ${result.failures.length} gradient value(s) beyond ${result.tolerance} relative; worst ${w.gradient} at step ${w.step}: ` +
    `analytic ${w.analytic}, ${name} ${w.reference} (relative error ${w.relativeError.toPrecision(3)})`
  );
}

async function logLosses(run: TrackedRun, rows: readonly ToyRow[]): Promise<void> {
  const timestamp = Date.now();
  const points: MetricPoint[] = rows.flatMap((r) => [
    { key: 'E', value: r.E, step: r.step, timestamp },
    { key: 'E1', value: r.E1, step: r.step, timestamp },
    { key: 'E2', value: r.E2, step: r.step, timestamp },
  ]);
  for (let k = 0; k < points.length; k += METRIC_BATCH) await run.logMetrics(points.slice(k, k + METRIC_BATCH));
}

async function run(ctx: RunContext): Promise<RunOutcome> {
  const { checkAutodiff, checkFiniteDifferences } = await import('@xp/models/toy/checks');
  const { checkFormulas, describeDisagreement, parseGradientFormulas } = await import('@xp/models/toy/formulas');
  const { renderLossCurves } = await import('./chart.ts');
  const { writeWorkbook } = await import('./workbook.ts');
  const { spec, run: tracked, log } = ctx;
  const setup = setupOf(spec);
  const parsed = parseGradientFormulas(spec.model?.gradientFormulas);
  if (parsed.issues.length > 0) {
    // check() refuses these before any run; reaching here means it was skipped.
    return { status: 'error', metrics: {}, artifacts: {}, message: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  }

  const rows = trainToyNetwork(setup);
  const final = rows[rows.length - 1];
  const metrics: Record<string, number> = { E: final.E, E1: final.E1, E2: final.E2 };
  await logLosses(tracked, rows);

  const fd = checkFiniteDifferences(rows, spec.constraints?.maxGradientError ?? DEFAULT_FD_TOLERANCE);
  const ad = await checkAutodiff(rows, AUTODIFF_TOLERANCE);
  metrics.max_fd_rel_error = fd.maxRelativeError;
  metrics.max_autodiff_rel_error = ad.maxRelativeError;
  const checkPoints: MetricPoint[] = [
    { key: 'max_fd_rel_error', value: fd.maxRelativeError, step: final.step },
    { key: 'max_autodiff_rel_error', value: ad.maxRelativeError, step: final.step },
  ];
  await tracked.logMetrics(checkPoints);

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

  const problems: string[] = [];
  if (fd.failures.length > 0) problems.push(describeWorst('finite differences', fd));
  if (ad.failures.length > 0) problems.push(describeWorst('autodiff', ad));

  const wrong = checkFormulas(rows, parsed.formulas, spec.constraints?.maxGradientError ?? DEFAULT_FD_TOLERANCE);
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
    const rows = trainToyNetwork(setupOf(result.spec));
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
  afterSweep,
};
