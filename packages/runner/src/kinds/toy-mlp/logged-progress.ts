/**
 * What a toy run has already sent to its tracking store, kept beside its outputs. The toy retrains
 * from scratch on `xp run --resume` (milliseconds, and deterministic), so only the logging has to pick
 * up where it stopped: a resumed run reads this and logs what is missing, and no step appears twice in
 * the run's history.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export interface LoggedProgress {
  /** Last step whose E, E1 and E2 reached the store; -1 before any did. */
  lossesThroughStep: number;
  /** Whether the gradient checks' metrics reached the store. */
  checksLogged: boolean;
}

export const NOTHING_LOGGED: LoggedProgress = { lossesThroughStep: -1, checksLogged: false };

const FILE = 'logged-progress.json';

/** The progress recorded in an earlier run's directory; nothing logged where there is none. */
export async function readLoggedProgress(dir: string | undefined): Promise<LoggedProgress> {
  if (dir === undefined) return NOTHING_LOGGED;
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch {
    return NOTHING_LOGGED;
  }
  const parsed = JSON.parse(text) as Partial<LoggedProgress>;
  return {
    lossesThroughStep: typeof parsed.lossesThroughStep === 'number' ? parsed.lossesThroughStep : -1,
    checksLogged: parsed.checksLogged === true,
  };
}

/**
 * Written after each batch reached the store. Atomic, so a kill leaves the old or the new record;
 * a kill between a batch and this write logs that one batch again on resume, the narrowest gap a
 * store without transactions allows.
 */
export async function writeLoggedProgress(dir: string, progress: LoggedProgress): Promise<void> {
  await writeFileAtomic(join(dir, FILE), `${JSON.stringify(progress)}\n`);
}
