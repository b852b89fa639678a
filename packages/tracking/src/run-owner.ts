/**
 * Which process owns a RUNNING run, and whether that process is gone. A run whose process was killed
 * outright (SIGKILL, a machine that lost power) never writes its end; MLflow's own client leaves such a
 * run RUNNING for ever. xp tags each run with its owner (host, pid, the process's start time) when it
 * is created or reopened, so a later xp command on the same host can tell a run still training from
 * one nobody will finish, and mark the latter KILLED (see dead-runs.ts).
 *
 * Only the same host can judge: a pid means nothing elsewhere. A pid alone is not enough either,
 * since pids are reused: the start time of the process now holding that pid must be the recorded one.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export const TAG_OWNER_HOST = 'xp.owner.host';
export const TAG_OWNER_PID = 'xp.owner.pid';
/** Milliseconds since the epoch at which the owner process started, as /proc tells it (see processStartTime). */
export const TAG_OWNER_STARTED = 'xp.owner.startTime';

/** The tags naming this process as a run's owner. */
export function ownerTags(): Record<string, string> {
  const started = processStartTime(process.pid) ?? Math.round(Date.now() - process.uptime() * 1000);
  return { [TAG_OWNER_HOST]: os.hostname(), [TAG_OWNER_PID]: String(process.pid), [TAG_OWNER_STARTED]: String(started) };
}

/**
 * When process `pid` started, in milliseconds since the epoch, from Linux's /proc (the boot time plus
 * the process's start in clock ticks): the same number for the same process whenever it is asked, and
 * another for a later process that got the same pid. null where there is no /proc (or no such pid).
 */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootLine = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!bootLine || !Number.isFinite(ticks)) return null;
    // USER_HZ is 100 on every Linux that xp runs on (sysconf(_SC_CLK_TCK) is not reachable from Node);
    // both sides of a comparison use the same rule, so only equality matters.
    return Number(bootLine[1]) * 1000 + ticks * 10;
  } catch {
    return null;
  }
}

/** Whether a process with that pid exists (one of another user counts). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the run's owner, as its tags name it, is known to be gone: recorded on this host, and its
 * pid is no process now, or a process that started at another time (the pid was reused). A run
 * without owner tags, or owned on another host, is never judged gone.
 */
export function ownerIsGone(tags: Record<string, string>): boolean {
  const host = tags[TAG_OWNER_HOST];
  const pid = Number(tags[TAG_OWNER_PID]);
  if (host === undefined || host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (!pidAlive(pid)) return true;
  const recorded = Number(tags[TAG_OWNER_STARTED]);
  const now = processStartTime(pid);
  return Number.isFinite(recorded) && now !== null && now !== recorded;
}
