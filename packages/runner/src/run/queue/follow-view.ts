/**
 * What a follower of a queued sweep shows: how many jobs wait, run, are done or failed, and each
 * running job's last report (its epoch and accuracy; the toy's step and loss). On a terminal the block
 * is redrawn in place; elsewhere (a CI log, a pipe) a line is written when a job changes state, and a
 * running job's report at most every REPORT_EVERY_MS.
 */

export type FollowedState = 'waiting' | 'running' | 'done' | 'failed' | 'cached';

interface Followed {
  state: FollowedState;
  step?: number;
  metrics?: Record<string, number>;
  /** When its last report was written, for the line-by-line view. */
  shownAt?: number;
}

const REPORT_EVERY_MS = 10_000;
const STATES: FollowedState[] = ['waiting', 'running', 'done', 'failed', 'cached'];

export class FollowView {
  private readonly jobs = new Map<string, Followed>();
  private drawnLines = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly redraw: boolean,
    names: readonly string[],
  ) {
    for (const name of names) this.jobs.set(name, { state: 'waiting' });
  }

  /** A job changed state; 'running' again (taken by another worker) keeps its last report. */
  setState(name: string, state: FollowedState, note = ''): void {
    const job = this.jobs.get(name) ?? { state };
    if (job.state === state && note === '') return;
    job.state = state;
    this.jobs.set(name, job);
    if (this.redraw) this.draw();
    else this.write(`[queue] ${name}: ${state}${note ? ` (${note})` : ''} · ${this.counts()}\n`);
  }

  report(name: string, step: number, metrics: Record<string, number>): void {
    const job = this.jobs.get(name);
    if (!job) return;
    job.step = step;
    job.metrics = { ...job.metrics, ...metrics };
    if (this.redraw) return this.draw();
    const now = Date.now();
    if (job.shownAt !== undefined && now - job.shownAt < REPORT_EVERY_MS) return;
    job.shownAt = now;
    this.write(`[queue] ${name}: ${describeReport(step, job.metrics)}\n`);
  }

  /** A line for the user that is not part of the block (a lost connection, a stop request). */
  note(line: string): void {
    if (!this.redraw) return this.write(`${line}\n`);
    this.erase();
    this.write(`${line}\n`);
    this.draw();
  }

  /** Leaves the last block on screen; later output goes below it. */
  close(): void {
    this.drawnLines = 0;
  }

  counts(): string {
    const count = (state: FollowedState): number => [...this.jobs.values()].filter((job) => job.state === state).length;
    return STATES.filter((state) => state !== 'cached' || count(state) > 0)
      .map((state) => `${state} ${count(state)}`)
      .join(' · ');
  }

  private draw(): void {
    this.erase();
    const lines = [`queue: ${this.counts()}`];
    const width = Math.max(0, ...[...this.jobs.keys()].map((name) => name.length));
    for (const [name, job] of this.jobs) {
      if (job.state !== 'running') continue;
      lines.push(`  ${name.padEnd(width)}  ${job.step === undefined ? 'starting' : describeReport(job.step, job.metrics ?? {})}`);
    }
    this.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  private erase(): void {
    if (this.drawnLines > 0) this.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }
}

const BOOKKEEPING = new Set(['params', 'wall_time_s']);

/** "epoch 3 · test_accuracy 98.91%" for a CNN's report, "step 120 · E 0.0021" for the toy's. */
export function describeReport(step: number, metrics: Record<string, number>): string {
  const accuracy = Object.keys(metrics).find((key) => key.endsWith('accuracy'));
  // Bookkeeping points (the parameter count, the wall time, at step 0) say nothing of progress.
  const shown = accuracy ?? Object.keys(metrics).find((key) => !BOOKKEEPING.has(key));
  const label = accuracy ? 'epoch' : 'step';
  if (shown === undefined) return `${label} ${step}`;
  const value = metrics[shown];
  const text = accuracy ? `${(value * 100).toFixed(2)}%` : Number(value.toPrecision(4)).toString();
  return `${label} ${step} · ${shown} ${text}`;
}
