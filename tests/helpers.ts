/** Runs the real `xp` binary the way a user does, in a directory of the test's own. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const XP_BIN = join(REPO, 'packages/runner/bin/xp.js');

export interface XpResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function xp(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): XpResult {
  const result = spawnSync(process.execPath, [XP_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, MLFLOW_TRACKING_URI: '', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function tempDir(prefix = 'xp-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
