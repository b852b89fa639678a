/** `xp sync`: deliver tracking writes spooled while an MLflow server was unreachable. */
import path from 'node:path';
import { Command } from 'commander';
import { parseTrackingUri, syncSpool, type UriCredentials } from '@xp/tracking';
import { UsageError, type CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('sync')
    .description(
      'Replay the tracking writes spooled under .xp/spool/ while an MLflow server was unreachable. Safe to repeat: ' +
        'what was delivered is not sent again.',
    )
    .option('--tracking-uri <uri>', 'only replay writes meant for this server, with the credentials of http://USER:PASSWORD@HOST:PORT if given (default: each spooled run to the server it was meant for; credentials from MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)')
    .addHelpText(
      'after',
      '\nExit codes: 0 everything spooled was delivered (or nothing was spooled), also when a server without an artifact proxy ' +
        'could take only the runs\' params, metrics, tags and status (the files it could not take are listed on stderr and stay ' +
        'in .xp/runs/); 1 some runs are still spooled (the server could not take them; run xp sync again); 2 usage.',
    )
    .action(async (options: { trackingUri?: string }) => {
      let uri: string | undefined;
      let credentials: UriCredentials | null = null;
      if (options.trackingUri) {
        const location = parseTrackingUri(options.trackingUri, ctx.cwd);
        if (location.kind !== 'server') throw new UsageError(`--tracking-uri ${options.trackingUri} is a file store; only writes to a server are ever spooled`);
        // Spool files hold the server's address alone; the URI's user:password (if any) is sent only to it.
        uri = location.url;
        credentials = location.credentials;
      }
      const report = await syncSpool(uri, { cwd: ctx.cwd, env: ctx.env, credentials });
      for (const file of report.delivered) ctx.stderr(`delivered ${file}\n`);
      for (const { file, error } of report.failed) ctx.stderr(`not delivered ${file}: ${error}\n`);
      for (const { file, paths, reason } of report.artifactsLeft) {
        ctx.stderr(`warning: ${file}: the run's params, metrics and status were delivered, but not its ${paths.length} file(s): ${reason}; they stay in ${commonFolder(paths)}\n`);
      }
      if (report.skipped.length) ctx.stderr(`${report.skipped.length} spool file(s) for other servers left alone\n`);
      ctx.stdout(
        report.delivered.length || report.failed.length
          ? `${report.sent} write(s) delivered from ${report.delivered.length} spooled run(s)${report.failed.length ? `; ${report.failed.length} run(s) still spooled` : ''}\n`
          : 'nothing to sync\n',
      );
      if (report.failed.length) ctx.exit(1);
    });
}

/** The folder the listed files share (a run's staging folder under .xp/runs/). */
function commonFolder(paths: string[]): string {
  const parts = paths.map((file) => path.dirname(file).split(path.sep));
  const shared: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) shared.push(parts[0][i]);
  return shared.join(path.sep) || path.sep;
}
