/** `xp compare`: the runs of a sweep side by side, best first, and each variant over its seeds. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { openTrackingStore, TrackingError, UnknownExperimentError } from '@xp/tracking';
import { AmbiguousExperimentError, COMPARE_FORMATS, renderComparison, UnknownMetricError, type CompareFormat } from '../../compare/index.ts';
import { UsageError, type CliContext } from '../context.ts';
import { markDeadRuns } from '../dead-runs.ts';

interface CompareCliOptions {
  experiment?: string;
  metric?: string;
  order?: 'asc' | 'desc';
  format: CompareFormat;
  out?: string;
  trackingUri?: string;
  all?: boolean;
  runs?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('compare')
    .description(
      'Compare the runs of the latest sweep of an experiment: one row per run (the sweep\'s parent run is not a row) with the ' +
        'values of the sweep\'s axes, the chosen metric best first, parameter count, budget verdict, status, epochs trained and wall time; ' +
        'where a variant ran on several seeds, first one row per variant: its seeds, how many passed, the verdict over seeds, ' +
        'mean ± std, min and max of the metric, and the epoch at which constraints.minTestAccuracy was first reached.',
    )
    .option('--experiment <name>', 'MLflow experiment (default: the only experiment holding runs)')
    .option('--metric <name>', "metric to rank by (default: the run's xp.primaryMetric tag, else the kind's: E for toy-mlp, test_accuracy for cnn-classifier); one the runs recorded")
    .addOption(
      new Option('--order <order>', 'sort only: asc = lowest first, desc = highest first (default: best first); which end is better stays the metric\'s own').choices(['asc', 'desc']),
    )
    .addOption(new Option('--format <format>', 'output format').choices([...COMPARE_FORMATS]).default('table'))
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--all', 'every run of the experiment (all sweeps) instead of the latest sweep only')
    .option('--runs', 'table and html: one row per run only, without the rows per variant over seeds')
    .option('--tracking-uri <uri>', 'MLflow tracking URI: http://host:port, file:///path or a path (default: $MLFLOW_TRACKING_URI, ./mlruns)', nonEmpty)
    .addHelpText(
      'after',
      '\n"Latest sweep" = the children of the most recently started top-level run; a run without children (a single-variant\n' +
        '`xp run`) is shown on its own. Runs are grouped by their xp.variant tag, seeds read from xp.seed (else the seed param).\n' +
        'csv has one record per run and json both groups and runs, with raw values: params as numbers where they are numbers,\n' +
        'wall time in milliseconds. html is one self-contained page: sortable tables and each variant\'s curve (the mean over\n' +
        'its seeds, with a band from the lowest to the highest).\n' +
        'A search\'s trials (sweep.random, sweep.optuna; xp.search tag): the best complete trial first, trials stopped early by\n' +
        'sweep.scheduler shown as pruned, after those that completed, with the epoch or step they were stopped at; html adds\n' +
        'the metric against each drawn parameter (log axis for a log-uniform one) and a cross on the curves where each stopped.',
    )
    .action(async (options: CompareCliOptions) => {
      const store = openTrackingStore({ uri: options.trackingUri, cwd: ctx.cwd, env: ctx.env, log: (line) => ctx.stderr(`${line}\n`) });
      let output: string;
      try {
        // A run whose process died (SIGKILL) would read "running" with a wall time growing for ever.
        await markDeadRuns(store, (line) => ctx.stderr(`${line}\n`));
        output = await renderComparison(store, {
          experiment: options.experiment,
          metric: options.metric,
          order: options.order,
          all: options.all,
          format: options.format,
          runsOnly: options.runs,
        });
      } catch (error) {
        if (error instanceof UnknownExperimentError || error instanceof AmbiguousExperimentError || error instanceof UnknownMetricError) {
          throw new UsageError(error.message);
        }
        if (error instanceof TrackingError) {
          ctx.stderr(`xp compare: ${store.description}: ${error.message}\n`);
          ctx.exit(1);
          return;
        }
        throw error;
      }
      if (options.out) {
        const file = path.resolve(ctx.cwd, options.out);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, output);
        ctx.stderr(`wrote ${options.out}\n`);
      } else {
        ctx.stdout(output);
      }
    });
}

function nonEmpty(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty');
  return value;
}
