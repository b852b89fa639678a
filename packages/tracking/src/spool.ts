/**
 * Where a server run's writes wait while the server is unreachable: one JSONL file per run under
 * .xp/spool/, one record per write, in the order they were made. `xp sync` replays them.
 *
 * A run the server could not create has a local id (a UUID like MLflow's own) and a spool that starts
 * with its createRun record. Replay creates it and notes which server id it got in .xp/run-ids/<localId>
 * (one file per run, so concurrent processes never rewrite each other's), which later writes, child
 * runs naming it as their parent, and `xp run --resume <localId>` go through.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { appendAtomic, readFileOrNull, writeFileAtomic } from './atomic-fs.ts';
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
  /** Read from the file on the first append: a reopened run (xp run --resume) may find its spool still there. */
  private seq: number | null = null;

  constructor(
    readonly file: string,
    private readonly uri: string,
    private readonly runId: string,
  ) {}

  async append(op: ServerOp): Promise<void> {
    if (this.seq === null) {
      const existing = await readSpool(this.file).catch(() => []);
      this.seq = existing.reduce((next, record) => Math.max(next, record.seq + 1), 0);
    }
    const record: SpoolRecord = { seq: this.seq++, uri: this.uri, runId: this.runId, op };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await appendAtomic(this.file, JSON.stringify(record) + '\n');
  }
}

/** True when `runId` is a run created offline that no replay has created on the server yet. */
export async function isUncreatedLocalRun(cwd: string, runId: string): Promise<boolean> {
  if ((await mappedRunId(cwd, runId)) !== null) return false;
  const text = await readFileOrNull(spoolFile(cwd, runId));
  if (!text) return false;
  const first = (await readSpool(spoolFile(cwd, runId)))[0];
  return first?.op.op === 'createRun';
}

export function runIdsDir(cwd: string): string {
  return path.join(cwd, '.xp', 'run-ids');
}

/** The server id of a run created offline as `localId`, once a replay has created it; else null. */
export async function mappedRunId(cwd: string, localId: string): Promise<string | null> {
  if (!/^[\w-]+$/.test(localId)) return null;
  const text = await readFileOrNull(path.join(runIdsDir(cwd), localId));
  if (!text) return null;
  try {
    return (JSON.parse(text) as { runId: string }).runId;
  } catch {
    return null;
  }
}

export async function recordMappedRunId(cwd: string, localId: string, uri: string, runId: string): Promise<void> {
  await fs.mkdir(runIdsDir(cwd), { recursive: true });
  await writeFileAtomic(path.join(runIdsDir(cwd), localId), JSON.stringify({ uri, runId }) + '\n');
}

/** The local id a server run was created offline under, if it was. */
export async function localIdOf(cwd: string, runId: string): Promise<string | null> {
  let names: string[];
  try {
    names = await fs.readdir(runIdsDir(cwd));
  } catch {
    return null;
  }
  for (const name of names) if ((await mappedRunId(cwd, name)) === runId) return name;
  return null;
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
