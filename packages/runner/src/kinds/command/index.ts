/**
 * Experiment kind `command`: a program of the user's own (a PyTorch script, a Node script, anything),
 * run once per variant and seed under xp's sweeps, budgets, verdicts, schedulers and launchers.
 *
 * The protocol the program sees (README "Running your own code"):
 * - argv: the spec's `command`, each `${path}` replaced by that value of the resolved spec;
 * - cwd: `cwd`, relative to the spec's folder (default the folder itself); env: xp's, the spec's `env`,
 *   XP_PARAMS_FILE (the resolved job as JSON), XP_OUTPUT_DIR (files written there become artifacts),
 *   XP_SEED, and MLflow's MLFLOW_TRACKING_URI, MLFLOW_RUN_ID, MLFLOW_EXPERIMENT_ID, so mlflow's own
 *   client logs into xp's run;
 * - metrics: JSON lines on stdout (./metric-lines.ts) or mlflow.log_metric (./mlflow-logged.ts), each
 *   in the run once, each a report for the sweep's scheduler;
 * - a stop: SIGTERM, then SIGKILL after `stopGrace` seconds; exit 0 is a finished run judged by its
 *   constraints, anything else a failed run with the stderr tail as its message;
 * - the run cache: a finished run stands for a new one while the spec and the files its argv names
 *   (train.py), its paramsSchema and its `inputs` hold the same bytes (./inputs-key.ts). Modules the
 *   script imports are not followed: list them in `inputs`, or `xp run --force`.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandSpecOf, type ResolvedCommandSpec, type ResolvedSpec, type SpecIssue } from '@xp/core';
import type { MetricPoint } from '@xp/tracking';
import { guessDirection } from '../../compare/directions.ts';
import { judgeMetrics, metricBoundsOf, type MetricHistories } from '../../verdict/metric-constraints.ts';
import type { CheckPlace, ExperimentKind, KindCheck, Locator, MetricDirection, RunContext, RunOutcome } from '../types.ts';
import { resolveInvocation } from './interpolate.ts';
import { MlflowLoggedMetrics } from './mlflow-logged.ts';
import { countParams } from './params-count.ts';
import { paramsSchemaIssues } from './params-schema.ts';
import { commandInputsKey, missingInputs } from './inputs-key.ts';
import { findProgram } from './program.ts';
import { runProgram } from './run-program.ts';

/** How often the run's store is read for metrics the program logged through MLflow, and stdout's metric lines are flushed. */
const FLUSH_INTERVAL_MS = 1000;
const MESSAGE_TAIL_LINES = 5;

function programDir(specFile: string, spec: ResolvedCommandSpec): string {
  return resolve(dirname(specFile), spec.cwd);
}

/** The program's PATH: the spec's env may set its own. */
function searchPath(specEnv: Record<string, string>): string | undefined {
  return specEnv.PATH ?? process.env.PATH;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** paramsCommand per (argv, cwd, env): a sweep's variants that do not change the model count once. */
const countsSeen = new Map<string, Promise<Awaited<ReturnType<typeof countParams>>>>();

async function countedParams(argv: string[], cwd: string, env: NodeJS.ProcessEnv, paramsJson: string): Promise<Awaited<ReturnType<typeof countParams>>> {
  const key = JSON.stringify([argv, cwd, paramsJson]);
  let counting = countsSeen.get(key);
  if (!counting) {
    counting = (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'xp-params-'));
      try {
        const paramsFile = join(dir, 'resolved-spec.json');
        await writeFile(paramsFile, paramsJson);
        return await countParams(argv, cwd, { ...env, XP_PARAMS_FILE: paramsFile });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    countsSeen.set(key, counting);
  }
  return counting;
}

async function check(resolved: ResolvedSpec, locate: Locator, where?: CheckPlace): Promise<KindCheck> {
  const spec = commandSpecOf(resolved);
  if (!where) throw new TypeError('the command kind checks a variant knowing its spec file (relative paths resolve from its folder)');
  const issues: SpecIssue[] = [];
  const invocation = resolveInvocation(spec, 'command', locate);
  issues.push(...invocation.issues);
  const cwd = programDir(where.specFile, spec);
  if (!isDirectory(cwd)) {
    issues.push({ path: 'cwd', message: `the program's folder ${cwd} does not exist`, expected: "a folder, relative to the spec's", found: spec.cwd, location: locate(['cwd']) });
    return { params: null, issues };
  }
  const program = findProgram(invocation.argv[0], cwd, searchPath(invocation.env));
  if ('missing' in program) issues.push({ path: 'command.0', message: `the program ${program.missing}`, expected: 'an installed program, or a path to one', found: invocation.argv[0], location: locate(['command', 0]) });
  if (spec.paramsSchema !== undefined) issues.push(...paramsSchemaIssues(spec.params, spec.paramsSchema, dirname(where.specFile), locate));
  for (const missing of missingInputs(spec, cwd)) {
    issues.push({ path: `inputs.${missing.index}`, message: `${missing.path} does not exist`, expected: "a file or folder the program reads, relative to cwd", found: missing.item, location: locate(['inputs', missing.index]) });
  }
  if (spec.paramsCommand === undefined || issues.length > 0) return { params: null, issues };

  const counting = resolveInvocation(spec, 'paramsCommand', locate);
  if (counting.issues.length > 0) return { params: null, issues: counting.issues };
  const counter = findProgram(counting.argv[0], cwd, searchPath(counting.env));
  if ('missing' in counter) {
    return { params: null, issues: [{ path: 'paramsCommand.0', message: `the program ${counter.missing}`, expected: 'an installed program, or a path to one', found: counting.argv[0], location: locate(['paramsCommand', 0]) }] };
  }
  const counted = await countedParams(counting.argv, cwd, { ...process.env, ...counting.env }, `${JSON.stringify(spec, null, 2)}\n`);
  if ('issue' in counted) return { params: null, issues: [{ ...counted.issue, path: 'paramsCommand', location: locate(['paramsCommand']) }] };
  return { params: counted.params, issues: [] };
}

/** MLflow's client takes a file store as a file: URI; a server's URL as it is. */
function mlflowTrackingUri(trackingUri: string): string {
  return isAbsolute(trackingUri) ? pathToFileURL(trackingUri).href : trackingUri;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

function directionsOf(spec: ResolvedCommandSpec, metrics: readonly string[]): Record<string, MetricDirection> {
  const bounds = metricBoundsOf(spec.constraints);
  return Object.fromEntries(
    metrics.map((name) => {
      const bound = bounds[name];
      // A lower bound says higher is better; an upper bound, lower.
      const direction: MetricDirection = bound?.min !== undefined ? 'max' : bound?.max !== undefined ? 'min' : guessDirection(name);
      return [name, direction];
    }),
  );
}

function lastOf(history: ReadonlyArray<{ step: number; value: number }>): number {
  return history[history.length - 1].value;
}

async function run(ctx: RunContext): Promise<RunOutcome> {
  const spec = commandSpecOf(ctx.spec);
  const { run: tracked, log } = ctx;
  if (ctx.trackingUri === undefined) throw new TypeError('the command kind runs knowing where its run is tracked (RunContext.trackingUri)');
  const cwd = programDir(ctx.specFile, spec);
  // A queue worker runs the program in its own checkout, which may lack the spec's folder.
  if (!isDirectory(cwd)) return { status: 'error', metrics: {}, artifacts: {}, message: `this machine has no folder ${cwd} (the spec's cwd, from ${ctx.specFile}): its checkout lacks what the program needs` };
  // check() refused bad references before any run; here they cannot occur.
  const { argv, env: specEnv } = resolveInvocation(spec, 'command', () => undefined);
  const outputDir = join(tracked.artifactDir, 'outputs');
  mkdirSync(outputDir, { recursive: true });
  const { MLFLOW_EXPERIMENT_NAME: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...specEnv,
    XP_PARAMS_FILE: join(tracked.artifactDir, 'resolved-spec.json'),
    XP_OUTPUT_DIR: outputDir,
    XP_SEED: String(spec.seed),
    XP_VARIANT: ctx.variantName,
    MLFLOW_TRACKING_URI: mlflowTrackingUri(ctx.trackingUri),
    MLFLOW_RUN_ID: tracked.runId,
    MLFLOW_EXPERIMENT_ID: tracked.experimentId,
  };
  const prefix = `[${ctx.variantName} seed=${spec.seed}] `;

  // Metrics from stdout lines wait here until the next flush, which first reads what the program logged
  // through MLflow: a name it logged there is not logged again.
  const fromLines: Record<string, Array<{ step: number; value: number }>> = {};
  const loggedByXp = new Set<string>(['params', 'wall_time_s']);
  const mlflow = new MlflowLoggedMetrics(ctx.trackingUri, process.cwd(), tracked.experimentId, tracked.runId, loggedByXp);
  let waiting: MetricPoint[] = [];
  let lastLineStep = 0;
  const nonFinite = new Set<string>();
  const flush = async (): Promise<void> => {
    for (const [step, metrics] of await mlflow.poll()) ctx.report?.(step, metrics);
    const points = waiting.filter((point) => !mlflow.histories.has(point.key));
    waiting = [];
    for (const point of points) loggedByXp.add(point.key);
    if (points.length > 0) await tracked.logMetrics(points);
  };
  let flushing: Promise<void> = Promise.resolve();
  const flushSoon = (): void => {
    flushing = flushing.then(flush).catch((error: Error) => log(`${prefix}warning: metrics not yet logged: ${error.message}`));
  };
  const timer = setInterval(flushSoon, FLUSH_INTERVAL_MS);

  const exit = await runProgram({
    argv,
    cwd,
    env,
    stdoutFile: join(tracked.artifactDir, 'stdout.log'),
    stderrFile: join(tracked.artifactDir, 'stderr.log'),
    stopGraceMs: spec.stopGrace * 1000,
    signal: ctx.signal,
    output: (line) => log(`${prefix}${line}`),
    warn: (line) => log(`${prefix}warning: ${line}`),
    onMetrics: (step, metrics) => {
      const at = step ?? lastLineStep + 1;
      lastLineStep = at;
      const timestamp = Date.now();
      for (const [key, value] of Object.entries(metrics)) {
        (fromLines[key] ??= []).push({ step: at, value });
        if (Number.isFinite(value)) waiting.push({ key, value, step: at, timestamp });
        else if (!nonFinite.has(key)) {
          nonFinite.add(key);
          log(`${prefix}warning: metric '${key}' is ${value} at step ${at}: not logged (MLflow records numbers); the run is judged on it as it is`);
        }
      }
    },
  });
  clearInterval(timer);
  flushSoon();
  await flushing;

  const artifacts: Record<string, string> = {};
  for (const path of [join(tracked.artifactDir, 'stdout.log'), join(tracked.artifactDir, 'stderr.log'), ...filesUnder(outputDir)]) {
    const folder = relative(tracked.artifactDir, dirname(path));
    await tracked.logArtifact(path, folder === '' ? undefined : folder);
    artifacts[relative(tracked.artifactDir, path)] = path;
  }

  const histories: MetricHistories = { ...fromLines };
  for (const [key, points] of mlflow.histories) histories[key] = points.map(({ step, value }) => ({ step, value }));
  for (const key of Object.keys(histories)) histories[key] = [...histories[key]].sort((a, b) => a.step - b.step);
  const metrics = Object.fromEntries(Object.entries(histories).map(([key, history]) => [key, lastOf(history)]));
  const names = Object.keys(metrics);
  const bounds = metricBoundsOf(spec.constraints);
  const primary = Object.keys(bounds)[0] ?? names[0];
  const tags: Record<string, string> = {
    'xp.command': argv.join(' ').slice(0, 5000),
    'xp.metricDirections': JSON.stringify(directionsOf(spec, [...new Set([...names, ...Object.keys(bounds)])])),
    ...(primary ? { 'xp.primaryMetric': primary } : {}),
  };
  if (exit.malformedLines > 0) {
    tags['xp.malformedMetricLines'] = String(exit.malformedLines);
    log(`${prefix}${exit.malformedLines} malformed metric line${exit.malformedLines === 1 ? '' : 's'} ignored`);
  }
  const tail = exit.stderrTail.slice(-MESSAGE_TAIL_LINES).join('\n');
  const outcome = (status: RunOutcome['status'], message?: string): RunOutcome => ({ status, metrics, artifacts, tags, ...(message ? { message } : {}) });

  if (exit.spawnError !== undefined) return outcome('error', exit.spawnError);
  if (ctx.signal.aborted) {
    const how = exit.killedAfterGrace ? `killed (SIGKILL) after stopGrace ${spec.stopGrace} s` : 'ended on SIGTERM';
    return outcome('killed', `stopped: the program ${how}`);
  }
  if (exit.code !== 0) {
    const how = exit.signalName ? `was killed by ${exit.signalName}` : `exited with code ${exit.code}`;
    return outcome('failed', `the program ${how}${tail ? `; stderr ends:\n${tail}` : ' (nothing on stderr)'}`);
  }
  if (names.length === 0) {
    return outcome('failed', 'the program wrote no metric: print JSON lines such as {"step": 1, "metrics": {"test_accuracy": 0.99}} on stdout, or log through mlflow (MLFLOW_RUN_ID is set)');
  }
  const judged = judgeMetrics(histories, bounds);
  for (const line of judged.messages) log(`${prefix}${line}`);
  return judged.passed ? outcome('passed') : outcome('failed', judged.messages.filter((m) => !m.includes(' within ')).join('; '));
}

export const commandKind: ExperimentKind = {
  kind: 'command',
  // A program's metrics are its own: each run tags their directions (from constraints.metrics, else by name).
  metricDirections: {},
  primaryMetric: 'test_accuracy',
  curveMetric: 'test_accuracy',
  check,
  inputsKey: async (resolved, where) => {
    const spec = commandSpecOf(resolved);
    return commandInputsKey(spec, programDir(where.specFile, spec), where.specFile);
  },
  summary: (resolved) => {
    const spec = commandSpecOf(resolved);
    return `a program of your own: ${spec.command.join(' ')}${spec.paramsCommand ? `\nparameters counted by: ${spec.paramsCommand.join(' ')}` : ''}`;
  },
  run,
};
