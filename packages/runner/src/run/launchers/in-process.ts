/** The in-process launcher: one job after another, in this process, on the store it already has open. */
import type { Launcher, LauncherOptions } from '../launcher.ts';
import { PRUNED, type JobResult } from '../job.ts';
import { runJob } from '../run-job.ts';

export function inProcessLauncher(options: Pick<LauncherOptions, 'store'>): Launcher {
  return {
    async launch(jobs, hooks, signal) {
      const results: Array<JobResult | undefined> = new Array(jobs.length);
      for (const [index, job] of jobs.entries()) {
        if (signal.aborted) break;
        // A sweeper's 'stop' ends this job the way Ctrl-C would, without ending the sweep.
        const stop = new AbortController();
        const onAbort = (): void => stop.abort();
        signal.addEventListener('abort', onAbort);
        try {
          const { result } = await runJob(job, {
            store: options.store,
            log: hooks.log,
            signal: stop.signal,
            report: (step, metrics) => {
              if (hooks.onReport(job.name, step, metrics) === 'stop') stop.abort(PRUNED);
            },
          });
          results[index] = result;
          hooks.onResult(result);
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      }
      return results;
    },
  };
}
