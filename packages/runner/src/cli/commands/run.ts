import { availableParallelism } from 'node:os';
import { redactUrl } from '@xp/core';
import { InvalidArgumentError, type Command } from 'commander';
import { envWithUriCredentials, findRunToResume, isPendingExperiment, mlflowUiRunsLink, openTrackingStore, parseTrackingUri, resolveTrackingUri, resumingStore, TrackingError } from '@xp/tracking';
import type { RunRecord, TrackingReader, TrackingStore } from '@xp/tracking';
import { runSweep, sweepStatus, type SweepReport } from '../../run/run-sweep.ts';
import { describeVerdict } from '../../run/seed-verdict.ts';
import { UsageError, type CliContext } from '../context.ts';
import { checkVariant, loadAndCheck, type CheckedVariant } from '../../run/static-checks.ts';
import { recordedSpec, ResumeConfigError, resumeSpec } from '../../run/resume-config.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, seedsOption, setOption, variantsOption } from '../options.ts';
import { BACKEND_NAMES, checkBackendName, quietTensorFlow, startBackend, type BackendName } from '../../run/backend-choice.ts';
import type { QueueOverhead } from '../../run/launchers/queue.ts';
import { optunaSearchOf } from '../../run/sweepers/optuna-search.ts';
import { kindOf } from '../../kinds/registry.ts';


interface RunOptions {
  set: string[];
  multirun?: boolean;
  backend?: string;
  trackingUri?: string;
  json?: boolean;
  maxVariants?: number;
  resume?: string;
  jobs: number;
  onlySeed?: number;
  seeds?: number[];
  queue?: string;
  detach?: boolean;
  force?: boolean;
  sharedStore?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('Validate a spec, expand its sweep and run every variant, tracking each run in MLflow. A variant over its parameter budget is recorded as failed and not trained.')
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--set <path=value>', 'override a field before validation (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_NAMES.join(', ')} (default: the spec's, else auto)`)
    .option('--tracking-uri <uri>', 'MLflow tracking URI: http://host:port, file:///path or a path (default: spec tracking.uri, $MLFLOW_TRACKING_URI, ./mlruns)')
    .option('--max-variants <n>', 'refuse sweeps larger than this (default 1000)', variantsOption)
    .option('--seeds <n|a..b|list>', "run every variant once per seed: '5' is seeds 1..5, '3..5' seeds 3 to 5 ('7..7' seed 7 alone), '3,7,11' those seeds (overrides the spec's seed/seeds)", seedsOption)
    .option('--resume <runId>', 'continue an interrupted run from its last checkpoint, with the configuration it recorded (its resolved-spec.json): overrides that would change it are refused, every difference listed')
    .option(
      '--jobs <n>',
      'run up to n runs of a sweep at once (variants × seeds), each in its own process (the processes launcher; a few seconds to start, so it pays off for longer trainings); "auto" = one per CPU core. The cores are divided between them (train.workers: auto). Their log lines are prefixed with [run name]',
      jobsOption,
      1,
    )
    .option('--queue <redis-url>', 'enqueue the jobs on a BullMQ queue in Redis (redis://HOST:PORT) for `xp worker`s on any machine, and follow them to the same report and exit code; needs an MLflow server (--tracking-uri http://…, started with --serve-artifacts)')
    .option('--detach', 'with --queue: enqueue, print the sweep id and return (`xp status --queue URL SWEEP` follows it)')
    .option('--force', 'train every job, even those with a finished run of the same content and xp version (the run cache)')
    .option('--shared-store', 'with --queue and a file store: every worker sees the store at this same path (a shared filesystem)')
    .option('--json', 'print {"experiment", "runs": [{"name", "runId", "status", "cached"?, "params", "metrics", "artifacts", "message"?}]} last on stdout (with --detach: {"sweep", "queue", "runs": the cached ones})')
    .addHelpText('after', '\nExit codes: 0 every variant passed (over several seeds: at least constraints.minPassingSeeds of them, default all); 1 a variant failed its constraints or a run crashed; 2 invalid spec or usage; 130 interrupted (Ctrl-C).')
    .action(async (spec: string, args: string[], options: RunOptions) => {
      checkBackendName(options.backend);
      const checked = await loadAndCheck(resolveFromCwd(ctx, spec), { ...commandLineOverrides(ctx, args, options, true), maxVariants: options.maxVariants, seeds: options.seeds });
      if (options.detach && optunaSearchOf(checked.experiment.spec)) {
        throw new UsageError('--detach: an Optuna search chooses each trial from the results of those before it, so it cannot enqueue its trials and leave; run it without --detach (with --queue its trials still train on the workers)');
      }
      if (options.detach && checked.experiment.spec.sweep?.scheduler) {
        throw new UsageError("--detach: sweep.scheduler stops jobs from the reports it follows, and a detached sweep has no one following them, so every job would run to its end; run it without --detach (with --queue its jobs still train on the workers)");
      }
      const backend = options.backend ?? checked.experiment.spec.backend;
      // A backend that is not installed is refused before any run exists.
      if (checked.experiment.spec.kind === 'cnn-classifier') await startBackend(backend as BackendName);
      else await quietTensorFlow();
      const trackingUri = options.trackingUri ?? checked.experiment.spec.tracking?.uri;
      const store = openTrackingStore({ uri: trackingUri, cwd: ctx.cwd, env: ctx.env });
      // Jobs in other processes open the same store themselves: a URL, or the file store's absolute path.
      const location = parseTrackingUri(resolveTrackingUri(trackingUri, ctx.env), ctx.cwd);
      const absoluteTrackingUri = location.kind === 'file' ? location.root : location.url;
      let resumeFrom: string | undefined;
      let runStore: TrackingStore = store;
      if (options.resume !== undefined) {
        const earlier = await findResumableRun(store, options.resume);
        checked.variants = checked.variants.filter(({ variant }) => variant.name === earlier.variant);
        if (checked.variants.length === 0) throw new UsageError(`run ${earlier.record.runId} was variant '${earlier.variant}', which this spec does not have`);
        resumeFrom = earlier.dir;
        // Of a multi-seed spec, only the interrupted run's seed is resumed.
        const seed = Number(earlier.record.tags['xp.seed'] ?? earlier.record.params.seed);
        if (Number.isInteger(seed)) options.onlySeed ??= seed;
        checked.variants = [await resumedVariant(ctx, checked.experiment.file, checked.variants[0], earlier, options.onlySeed ?? checked.experiment.seeds[0], [...options.set.map((s) => `--set ${s}`), ...args])];
        // The variant's run is the earlier run, reopened, where the store can (else a new one tagged xp.resumedFrom).
        runStore = resumingStore(store, earlier.record, (line) => ctx.stderr(`${line}\n`), store);
      }

      const launcher = options.queue === undefined ? undefined : await queueLauncherFor(ctx, options, location, resumeFrom);
      let sweepId: string | undefined;

      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        ctx.stderr('\nInterrupted: finishing the current batch and saving (Ctrl-C again to quit at once)…\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      let report: SweepReport;
      try {
        report = await runSweep({
          checked,
          store: runStore,
          trackingUri: absoluteTrackingUri,
          backend,
          log: (line) => ctx.stderr(`${line}\n`),
          signal: controller.signal,
          resumeFrom,
          onlySeed: options.onlySeed,
          // A resumed run continues in this process, on the store that reopens it.
          jobs: resumeFrom === undefined ? options.jobs : 1,
          cores: availableParallelism(),
          cwd: ctx.cwd,
          // Jobs carry the server's address without its userinfo; processes started here get it as MLflow's variables.
          env: location.kind === 'server' ? envWithUriCredentials(ctx.env, location.credentials) : ctx.env,
          launcher: launcher?.launcher,
          detached: options.detach,
          // The cache stands for finished jobs; a resumed run is not finished, and --force asks for training.
          cache: options.force || resumeFrom !== undefined ? undefined : store,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
      sweepId = launcher?.sweepId();
      if (options.detach) {
        const cached = report.runs.filter((run) => run.cached).length;
        ctx.stderr(`sweep ${sweepId ?? '(nothing enqueued)'} is in the queue${cached ? ` (${cached} job(s) cached, not enqueued)` : ''}; follow it with: xp status --queue ${redactUrl(options.queue!)} ${sweepId ?? ''}\n`);
        if (options.json) ctx.stdout(`${JSON.stringify({ sweep: sweepId ?? null, queue: redactUrl(options.queue!), experiment: report.experiment, runs: report.runs })}\n`);
        return;
      }
      printReport(ctx, report, store.description, (runId) => resumeCommand(spec, runId, options.trackingUri), Object.keys(kindOf(checked.experiment.spec).metricDirections), location);
      if (launcher) printQueueOverhead(ctx, launcher.overheads());
      if (launcher && controller.signal.aborted && sweepId) ctx.stderr(`the sweep goes on in the queue: xp status --queue ${redactUrl(options.queue!)} ${sweepId}\n`);
      if (options.json) {
        // `message` (why a run failed or errored) is present only where there is one.
        ctx.stdout(`${JSON.stringify({ experiment: report.experiment, runs: report.runs, variants: report.variants, sweepArtifacts: report.sweepArtifacts })}\n`);
      }
      const status = sweepStatus(report.runs, report.variants);
      if (status === 'killed' || controller.signal.aborted) ctx.exit(130);
      else if (status === 'failed') ctx.exit(1);
    });
}

/**
 * The queue launcher for `--queue URL`, once the queue answers and the tracking store is one that
 * workers on other machines can write to. BullMQ and its Redis client load here, only for --queue.
 */
async function queueLauncherFor(ctx: CliContext, options: RunOptions, location: ReturnType<typeof parseTrackingUri>, resumeFrom: string | undefined) {
  if (resumeFrom !== undefined) throw new UsageError('--resume continues a run in this process; it does not go through --queue');
  if (location.kind === 'file' && !options.sharedStore) {
    throw new UsageError(
      `--queue: the runs would be tracked in the file store ${location.root}, on this machine only, where workers elsewhere cannot write. ` +
        'Start an MLflow server that proxies artifacts (mlflow server --host 0.0.0.0 --port 5000 --serve-artifacts) and pass --tracking-uri http://HOST:5000 ' +
        '(or set MLFLOW_TRACKING_URI), or, if every worker sees this directory at this same path (a shared filesystem), add --shared-store.',
    );
  }
  const [{ assertQueueReachable, checkQueueUrl, QueueConnectionError }, { queueLauncher, queueOverheads }] = await Promise.all([
    import('../../run/queue/connection.ts'), import('../../run/launchers/queue.ts'),
  ]);
  try {
    await assertQueueReachable(checkQueueUrl(options.queue!));
  } catch (error) {
    if (error instanceof QueueConnectionError) throw new UsageError(error.message);
    throw error;
  }
  let sweepId: string | undefined;
  const launcher = queueLauncher({
    url: options.queue!,
    detach: options.detach === true,
    force: options.force === true,
    write: ctx.stderr,
    redraw: process.stderr.isTTY === true,
    onSweep: (sweep) => {
      sweepId = sweep.id;
      const already = sweep.alreadyQueued > 0 ? `, ${sweep.alreadyQueued} already in the queue (followed, not added again)` : '';
      ctx.stderr(`sweep ${sweep.id}: ${sweep.enqueued} job(s) enqueued on ${redactUrl(options.queue!)}${already}\n`);
    },
  });
  return { launcher, overheads: () => queueOverheads(launcher.times), sweepId: () => sweepId };
}

/** The queue's own cost per job, apart from training: what BENCHMARKS.md compares with --jobs. */
function printQueueOverhead(ctx: CliContext, overheads: readonly QueueOverhead[]): void {
  if (overheads.length === 0) return;
  const seconds = (values: number[]): string => {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    return `median ${(median / 1000).toFixed(2)} s, max ${(sorted[sorted.length - 1] / 1000).toFixed(2)} s`;
  };
  ctx.stderr(
    `  queue overhead over ${overheads.length} job(s): a free worker → start ${seconds(overheads.map((o) => o.pickupMs))}; ` +
      `finish → result seen ${seconds(overheads.map((o) => o.toSeenMs))} (enqueue → start, waiting for a worker included: ${seconds(overheads.map((o) => o.toStartMs))})\n`,
  );
}

function jobsOption(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, or 'auto' (one per CPU core: ${availableParallelism()} here)`);
  return n;
}

/**
 * The earlier run (named by its id or a unique prefix of it, as git takes commits), its variant, and
 * its local output directory, where its checkpoints are.
 */
async function findResumableRun(store: TrackingStore & TrackingReader, idOrPrefix: string): Promise<{ record: RunRecord; variant: string; dir: string }> {
  let record: RunRecord;
  try {
    record = await findRunToResume(store, idOrPrefix);
  } catch (error) {
    if (error instanceof TrackingError) throw new UsageError(`cannot resume run ${idOrPrefix}: ${error.message} (in ${store.description})`);
    throw error;
  }
  const dir = await store.localArtifactDir(record.runId);
  if (dir === null) throw new UsageError(`cannot resume run ${record.runId}: its outputs (checkpoints) are not on this machine (${store.description})`);
  return { record, variant: record.tags['xp.variant'] ?? record.name, dir };
}

/**
 * The variant a resumed run trains: the configuration the run recorded (run/resume-config.ts), checked
 * again like any variant; overrides that would change it are refused (exit 2), every difference listed.
 */
async function resumedVariant(ctx: CliContext, specFile: string, current: CheckedVariant, earlier: { record: RunRecord; dir: string }, seed: number, overridesTyped: string[]): Promise<CheckedVariant> {
  try {
    const recorded = recordedSpec(earlier.dir, earlier.record.runId);
    const spec = resumeSpec({ recorded, now: current.variant.spec, seed, runId: earlier.record.runId.slice(0, 8), overridesTyped, note: (line) => ctx.stderr(`note: ${line}\n`) });
    if (spec === current.variant.spec) return current;
    const variant = { ...current.variant, spec };
    return { variant, check: await checkVariant(variant, specFile) };
  } catch (error) {
    if (error instanceof ResumeConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** The command that continues a killed run: its recorded configuration needs no overrides. */
function resumeCommand(spec: string, runId: string, trackingUri: string | undefined): string {
  const quoted = (text: string): string => (/^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  // The URI's password as ***: credentials are given again where the command is run, never printed (#26.4).
  const where = trackingUri === undefined ? '' : ` --tracking-uri ${quoted(redactUrl(trackingUri))}`;
  return `npx xp run ${quoted(spec)} --resume ${runId.slice(0, 8)}${where}`;
}

/** Recorded for every run alike (the parameter count, the wall time), so not what tells runs apart in the summary. */
const NOT_SHOWN = new Set(['params', 'wall_time_s']);

/**
 * The metrics a summary line shows, in the kind's order then by name: the same for a run trained now and
 * for a cached one, whose metrics come back from the store in its own order.
 */
function shownMetrics(metrics: Record<string, number>, order: readonly string[]): Array<[string, number]> {
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  return Object.entries(metrics)
    .filter(([key]) => !NOT_SHOWN.has(key))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function printReport(ctx: CliContext, report: SweepReport, where: string, resume: (runId: string) => string, metricOrder: readonly string[], location: ReturnType<typeof parseTrackingUri>): void {
  const width = Math.max(...report.runs.map((r) => r.name.length), 4);
  ctx.stderr(`\n${report.experiment}: ${report.runs.length} run(s), tracked in ${where}\n`);
  if (isPendingExperiment(report.experimentId)) return printRuns(ctx, report, width, resume, metricOrder);
  // The link opens MLflow's UI on the runs table, not on its GenAI side (see mlflowUiRunsLink).
  if (location.kind === 'server') ctx.stderr(`  MLflow UI: ${mlflowUiRunsLink(location.url, report.experimentId)}\n`);
  else ctx.stderr(`  MLflow UI: MLFLOW_ALLOW_FILE_STORE=true mlflow server --backend-store-uri ${location.root}, then ${mlflowUiRunsLink('http://127.0.0.1:5000', report.experimentId)}\n`);
  printRuns(ctx, report, width, resume, metricOrder);
}

function printRuns(ctx: CliContext, report: SweepReport, width: number, resume: (runId: string) => string, metricOrder: readonly string[]): void {
  for (const run of report.runs) {
    const metrics = shownMetrics(run.metrics, metricOrder)
      .slice(0, 4)
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join(' ');
    ctx.stderr(`  ${(run.cached ? 'cached' : run.status).toUpperCase().padEnd(6)} ${run.name.padEnd(width)}  ${run.runId.slice(0, 8)}  ${metrics}${run.message && run.status !== 'passed' ? `  (${run.message.split('\n')[0]})` : ''}\n`);
  }
  for (const run of report.runs.filter((r) => r.status === 'killed' && r.runId)) ctx.stderr(`  resume ${run.name}: ${resume(run.runId)}\n`);
  // Over seeds, the variant's verdict is what counts: say it once per variant.
  if (report.variants.some((v) => v.seeds.length > 1)) {
    ctx.stderr('  over seeds:\n');
    for (const v of report.variants) ctx.stderr(`  ${v.verdict.toUpperCase().padEnd(6)} ${v.variant}: ${describeVerdict(v)}\n`);
  }
}

/** Integers as integers (epochs=0, params=19816); other values to 4 decimals, or 4 significant digits when tiny or huge. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toFixed(4).replace(/\.?0+$/, '') : value.toExponential(3);
}
