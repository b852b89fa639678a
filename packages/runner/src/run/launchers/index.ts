/** The launchers, by name: one line each. */
import type { Launcher, LauncherOptions } from '../launcher.ts';
import { inProcessLauncher } from './in-process.ts';
import { processesLauncher } from './processes.ts';

export const LAUNCHERS = {
  'in-process': inProcessLauncher,
  processes: processesLauncher,
} satisfies Record<string, (options: LauncherOptions) => Launcher>;

export type LauncherName = keyof typeof LAUNCHERS;
