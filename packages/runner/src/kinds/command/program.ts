/**
 * Finding the program a command kind runs before anything runs: `xp validate` refuses a program that
 * is not there (exit 2), naming what was looked for and the PATH that was searched, instead of every
 * run failing later with spawn's ENOENT.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type ProgramLookup = { found: string } | { missing: string };

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** argv[0] as spawn would find it: a path with a '/' from `cwd`, else the first match on PATH. */
export function findProgram(program: string, cwd: string, pathVariable: string | undefined): ProgramLookup {
  if (program.includes('/')) {
    const path = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutableFile(path) ? { found: path } : { missing: `'${program}' (${path}) is not an executable file` };
  }
  const folders = (pathVariable ?? '').split(delimiter).filter((folder) => folder.length > 0);
  for (const folder of folders) {
    const candidate = join(resolve(cwd, folder), program);
    if (isExecutableFile(candidate)) return { found: candidate };
  }
  return { missing: `'${program}' is not on PATH (searched: ${folders.length > 0 ? folders.join(delimiter) : 'PATH is empty'})` };
}
