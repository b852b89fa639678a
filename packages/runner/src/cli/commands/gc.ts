/** `xp gc`: mark runs left RUNNING by a process that is gone (SIGKILL, a crash) as KILLED. */
import { Command } from 'commander';
import { openTrackingStore, TrackingError } from '@xp/tracking';
import type { CliContext } from '../context.ts';
import { markDeadRuns } from '../dead-runs.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description(
      'Mark every run still RUNNING whose process is gone as KILLED (in every experiment of the store). A run records its ' +
        'owner (tags xp.owner.host, xp.owner.pid, xp.owner.startTime); only runs owned on this host are judged: the pid is no ' +
        'process now, or one that started at another time. `xp compare` does the same before it reads the runs.',
    )
    .option('--tracking-uri <uri>', 'MLflow tracking URI: http://host:port, file:///path or a path (default: $MLFLOW_TRACKING_URI, ./mlruns)')
    .addHelpText('after', '\nExit codes: 0 done (also when nothing was marked); 1 the store could not be read or written.')
    .action(async (options: { trackingUri?: string }) => {
      const store = openTrackingStore({ uri: options.trackingUri, cwd: ctx.cwd, env: ctx.env, log: (line) => ctx.stderr(`${line}\n`) });
      try {
        const marked = await markDeadRuns(store, (line) => ctx.stderr(`${line}\n`));
        ctx.stdout(`${marked.length} run(s) marked KILLED\n`);
      } catch (error) {
        if (!(error instanceof TrackingError)) throw error;
        ctx.stderr(`xp gc: ${store.description}: ${error.message}\n`);
        ctx.exit(1);
      }
    });
}
