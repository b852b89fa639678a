/**
 * Where config group options are looked for: the spec's own folder, then its `configs/` folder, then
 * the folders in XP_CONFIG_PATH (separated by ':', relative to the working directory), then the spec's
 * `configPath` (a folder or a list of them, relative to the spec). The first folder holding
 * `<group>/<option>.yaml` wins.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export type SearchPath = Array<{ dir: string; from: string }>;

export function searchPathOf(specFile: string, configPath: unknown, env: NodeJS.ProcessEnv, cwd: string): SearchPath {
  const specDir = dirname(specFile);
  const path: SearchPath = [
    { dir: specDir, from: 'the spec\'s folder' },
    { dir: join(specDir, 'configs'), from: 'configs/' },
  ];
  for (const dir of (env.XP_CONFIG_PATH ?? '').split(delimiter).filter((d) => d !== '')) path.push({ dir: resolve(cwd, dir), from: 'XP_CONFIG_PATH' });
  const own = typeof configPath === 'string' ? [configPath] : Array.isArray(configPath) ? configPath.filter((d): d is string => typeof d === 'string') : [];
  for (const dir of own) path.push({ dir: resolve(specDir, dir), from: 'configPath' });
  return path;
}

export function findOption(searchPath: SearchPath, group: string, option: string): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(option)) return undefined;
  for (const { dir } of searchPath) {
    for (const ext of ['.yaml', '.yml']) {
      const file = join(dir, group, `${option}${ext}`);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/** The options of a group: every YAML file in its folder on the search path, sorted. */
export function groupOptions(searchPath: SearchPath, group: string): string[] {
  const options = new Set<string>();
  for (const { dir } of searchPath) {
    const folder = join(dir, group);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder)) if (/\.ya?ml$/.test(name)) options.add(name.replace(/\.ya?ml$/, ''));
  }
  return [...options].sort();
}

/** Is `group` a folder on the search path (so `+group=option` can add it)? */
export function isGroup(searchPath: SearchPath, group: string): boolean {
  return searchPath.some(({ dir }) => existsSync(join(dir, group)) && statSync(join(dir, group)).isDirectory());
}

/** The project a spec belongs to: the nearest folder above it with a package.json or .git; else its own folder. */
export function projectRootOf(specFile: string): string {
  let dir = dirname(specFile);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(specFile);
    dir = parent;
  }
}
