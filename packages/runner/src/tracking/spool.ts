/**
 * Where a server run's writes wait while the server is unreachable: one JSONL file per run under
 * .xp/spool/, one record per write, in the order they were made. `xp sync` replays them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { appendAtomic } from './atomic-fs.ts';
import type { ServerOp } from './server-ops.ts';

export interface SpoolRecord {
  /** Position within the run's spool; the progress file lists the ones already replayed. */
  seq: number;
  /** The server it was meant for. */
  uri: string;
  runId: string;
  op: ServerOp;
}

export function spoolDir(cwd: string): string {
  return path.join(cwd, '.xp', 'spool');
}

export function spoolFile(cwd: string, runId: string): string {
  return path.join(spoolDir(cwd), `${runId}.jsonl`);
}

/** Appends of one run's writes; one process writes a run, so seq numbering needs no lock. */
export class RunSpool {
  private seq = 0;

  constructor(
    readonly file: string,
    private readonly uri: string,
    private readonly runId: string,
  ) {}

  async append(op: ServerOp): Promise<void> {
    const record: SpoolRecord = { seq: this.seq++, uri: this.uri, runId: this.runId, op };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await appendAtomic(this.file, JSON.stringify(record) + '\n');
  }
}

export async function readSpool(file: string): Promise<SpoolRecord[]> {
  const text = await fs.readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as SpoolRecord];
      } catch {
        return []; // a line torn by a crash mid-append: its write never completed, drop it
      }
    });
}

/** The .done file next to a spool lists replayed seqs, so a replay cut short resumes without resending. */
export function progressFile(file: string): string {
  return file.replace(/\.jsonl$/, '.done');
}

export async function readProgress(file: string): Promise<Set<number>> {
  try {
    const text = await fs.readFile(progressFile(file), 'utf8');
    return new Set(text.split('\n').filter(Boolean).map(Number));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

export async function markReplayed(file: string, seq: number): Promise<void> {
  await appendAtomic(progressFile(file), `${seq}\n`);
}
