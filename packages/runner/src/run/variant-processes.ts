/**
 * `xp run --jobs N`: each variant of a sweep in its own `xp run` process, at most N at a time. One wasm
 * instance trains on one core, so separate processes are what turns more cores into throughput. A
 * child records its run under the parent run this process created and prints its usual --json report,
 * which is all that is read back; the store itself is shared (both stores take concurrent writers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunReport } from './run-sweep.ts';

const XP_BIN = fileURLToPath(new URL('../../bin/xp.js', import.meta.url));
/** How much of a crashed child's stderr its error message keeps. */
const CRASH_LINES = 20;

/** One child's work: a variant on one seed; `name` prefixes its log lines. */
export interface ChildRun {
  name: string;
  variant: string;
  seed: number;
}

export interface VariantProcessOptions {
  /** Reports come back in this order. */
  runs: ChildRun[];
  jobs: number;
  /** `run <spec> [--set …] [--backend …] [--tracking-uri …]`: what every child shares. */
  args: string[];
  parentRunId: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  signal: AbortSignal;
}

/** The variants' reports, by index; undefined for those an interrupt kept from starting. */
export async function runVariantProcesses(options: VariantProcessOptions): Promise<Array<RunReport | undefined>> {
  const { runs: variants, signal } = options;
  const reports: Array<RunReport | undefined> = new Array(variants.length);
  const running = new Set<ChildProcess>();
  const interrupt = (): void => {
    for (const child of running) child.kill('SIGINT');
  };
  // Children run in their own process group, so a terminal's Ctrl-C reaches them once, through us: a
  // second SIGINT would make them quit without saving. In return they must not outlive us: on our exit
  // (a second Ctrl-C included) they get a SIGINT too, which is their second and ends them at once.
  const onTerminate = (name: NodeJS.Signals): void => {
    for (const child of running) child.kill(name);
    process.exit(name === 'SIGHUP' ? 129 : 143);
  };
  signal.addEventListener('abort', interrupt);
  process.on('exit', interrupt);
  process.on('SIGTERM', onTerminate);
  process.on('SIGHUP', onTerminate);

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < variants.length && !signal.aborted) {
      const index = next++;
      reports[index] = await runChild(variants[index], options, running);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.jobs, variants.length) }, worker));
  } finally {
    signal.removeEventListener('abort', interrupt);
    process.off('exit', interrupt);
    process.off('SIGTERM', onTerminate);
    process.off('SIGHUP', onTerminate);
  }
  return reports;
}

function runChild(job: ChildRun, options: VariantProcessOptions, running: Set<ChildProcess>): Promise<RunReport | undefined> {
  const { name } = job;
  const args = [XP_BIN, ...options.args, '--only-variant', job.variant, '--only-seed', String(job.seed), '--parent-run-id', options.parentRunId, '--json'];
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  const lastLines: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    options.log(`[${name}] ${line}`);
    lastLines.push(line);
    if (lastLines.length > CRASH_LINES) lastLines.shift();
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise((resolve) => {
    const crashed = (how: string): RunReport => ({
      name,
      variant: job.variant,
      seed: job.seed,
      runId: '',
      status: 'error',
      params: {},
      metrics: {},
      artifacts: {},
      // The first line is what the summary shows, so it names the cause and the first of the child's last words.
      message: [`its process ${how} without a report`, lastLines.filter((line) => line.trim() !== '').join('\n')].filter(Boolean).join(': '),
    });
    child.on('error', (error) => {
      running.delete(child);
      resolve(crashed(`failed (${error.message})`));
    });
    child.on('close', (code, signalName) => {
      running.delete(child);
      const report = parseReport(stdout);
      // An empty report: interrupted before its run was created.
      if (report) resolve(report.runs[0]);
      else resolve(crashed(signalName ? `was killed by ${signalName}` : `exited with code ${code}`));
    });
  });
}

function parseReport(stdout: string): { runs: RunReport[] } | undefined {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    const report = JSON.parse(last) as { runs?: unknown };
    return Array.isArray(report.runs) ? (report as { runs: RunReport[] }) : undefined;
  } catch {
    return undefined;
  }
}
