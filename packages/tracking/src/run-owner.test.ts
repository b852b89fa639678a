import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownerIsGone, ownerTags, processStartTime, TAG_OWNER_HOST, TAG_OWNER_PID, TAG_OWNER_STARTED } from './run-owner.ts';

describe('a run owner', () => {
  it('is this process while it lives, and the start time tells a reused pid', () => {
    const tags = ownerTags();
    expect(tags[TAG_OWNER_HOST]).toBe(os.hostname());
    expect(tags[TAG_OWNER_PID]).toBe(String(process.pid));
    expect(ownerIsGone(tags)).toBe(false);
    if (processStartTime(process.pid) !== null) {
      // Same pid, another start: a later process got the pid.
      expect(ownerIsGone({ ...tags, [TAG_OWNER_STARTED]: String(Number(tags[TAG_OWNER_STARTED]) - 60_000) })).toBe(true);
    }
  });

  it('is gone once its process has exited', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(child.stdout);
    expect(ownerIsGone({ [TAG_OWNER_HOST]: os.hostname(), [TAG_OWNER_PID]: String(pid), [TAG_OWNER_STARTED]: '1' })).toBe(true);
  });

  it('is never judged on another host, nor without owner tags', () => {
    expect(ownerIsGone({ [TAG_OWNER_HOST]: `${os.hostname()}-elsewhere`, [TAG_OWNER_PID]: '999999999', [TAG_OWNER_STARTED]: '1' })).toBe(false);
    expect(ownerIsGone({})).toBe(false);
  });
});
