/**
 * The files a command-kind variant reads beyond its spec, as one content key (ExperimentKind.inputsKey):
 * what makes the run cache train again once the user edits train.py.
 *
 * Hashed: every item of `command` and `paramsCommand` (after `${...}` substitution) that names an
 * existing file from `cwd` (train.py in [python3, train.py, --lr, '${params.lr}']; the program itself
 * where it is given as a path, ./train.sh), the `paramsSchema` file, and every file of `inputs`
 * (files, or folders taken whole, from `cwd`; dot-files and __pycache__ left out, since Python writes
 * there as it runs).
 *
 * Not followed: modules the script imports (a model.py beside train.py), files it opens by names it
 * builds itself, folders named in argv, a program found on PATH (python3 itself). List those in
 * `inputs`, or train regardless of the cache with `xp run --force`.
 *
 * Each file enters by its name as written and its bytes, so another checkout of the same files gives
 * the same key; the bytes are read again only when a file's stat data changed (@xp/data's contentKey).
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ResolvedCommandSpec } from '@xp/core';
import { contentKey, datasetCacheDirectory } from '@xp/data/content-key';
import { resolveInvocation } from './interpolate.ts';

interface InputFile {
  name: string;
  path: string;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const at = (base: string, path: string): string => (isAbsolute(path) ? path : resolve(base, path));

function filesUnder(folder: string, name: string): InputFile[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && entry.name !== '__pycache__')
    .map((entry) => entry.name)
    .sort()
    .flatMap((entry) => {
      const path = join(folder, entry);
      if (isDirectory(path)) return filesUnder(path, `${name}/${entry}`);
      return isFile(path) ? [{ name: `${name}/${entry}`, path }] : [];
    });
}

/** `inputs` items that name neither a file nor a folder, for the kind's check (exit 2 before any run). */
export function missingInputs(spec: ResolvedCommandSpec, cwd: string): Array<{ index: number; item: string; path: string }> {
  return (spec.inputs ?? []).flatMap((item, index) => {
    const path = at(cwd, item);
    return isFile(path) || isDirectory(path) ? [] : [{ index, item, path }];
  });
}

/** The files the key covers, in a fixed order, each named as the spec writes it. */
export function inputFiles(spec: ResolvedCommandSpec, cwd: string, specFile: string): InputFile[] {
  const files: InputFile[] = [];
  const seen = new Set<string>();
  const add = (file: InputFile): void => {
    if (seen.has(file.path)) return;
    seen.add(file.path);
    files.push(file);
  };
  for (const field of ['command', 'paramsCommand'] as const) {
    if (spec[field] === undefined) continue;
    // The check refused bad references before this runs.
    const { argv } = resolveInvocation(spec, field, () => undefined);
    argv.forEach((item, index) => {
      const path = at(cwd, item);
      if (isFile(path)) add({ name: `${field}.${index}:${item}`, path });
    });
  }
  if (spec.paramsSchema !== undefined) add({ name: `paramsSchema:${spec.paramsSchema}`, path: at(dirname(specFile), spec.paramsSchema) });
  for (const item of spec.inputs ?? []) {
    const path = at(cwd, item);
    if (isDirectory(path)) for (const file of filesUnder(path, `inputs:${item}`)) add(file);
    else add({ name: `inputs:${item}`, path });
  }
  return files;
}

/** The variant's inputs key, or undefined where its argv names no file and it lists no inputs. */
export function commandInputsKey(spec: ResolvedCommandSpec, cwd: string, specFile: string): string | undefined {
  const files = inputFiles(spec, cwd, specFile);
  if (files.length === 0) return undefined;
  return contentKey('command-inputs', {}, files, datasetCacheDirectory());
}
