/**
 * Plugin kinds: a spec's `kind` that is a module path (relative to the spec) or an xp-kind-* npm
 * package names a kind of the user's own. It is imported (tsx runs .ts too) and registered under the
 * spec's `kind` text before the spec is validated, so that its fields' schema fragment checks the spec
 * and kindOf finds it, synchronously, everywhere after. Launchers' child processes and queue workers
 * import it again from the job's spec file before they run the job (ensureKind).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isModulePathKind, isPluginKindName, locateInSource, readSpecSource, SpecError, type PluginKindName, type SourceLocation, type SpecIssue } from '@xp/core';
import { kindNamed, registerKind } from './registry.ts';
import { KIND_API_VERSION, type ExperimentKind } from './types.ts';

/** Where each plugin kind text was loaded from in this process (absolute module file). */
const loadedFrom = new Map<string, string>();

/** A plugin kind that could not be loaded: what is wrong, to be located at the spec's `kind`. */
export class PluginKindError extends Error {
  constructor(
    message: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(message);
    this.name = 'PluginKindError';
  }
}

/**
 * Loads the plugin kind the spec file's own `kind:` names, if it names one. Anything wrong with it is a
 * SpecError located at that `kind:` (exit 2, before any compute). A spec that does not parse is left
 * to loading, which reports it.
 */
export async function loadSpecPluginKind(file: string): Promise<void> {
  const specFile = resolve(file);
  // Read as named, so that the location reads as loading's own do.
  const parsed = readSpecSource(file);
  if (!parsed.ok) return;
  const value = parsed.source.value;
  const kind = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).kind : undefined;
  if (!isPluginKindName(kind)) return;
  try {
    await loadPluginKind(kind, specFile);
  } catch (error) {
    if (!(error instanceof PluginKindError)) throw error;
    const location: SourceLocation = locateInSource(parsed.source, ['kind']);
    const issue: SpecIssue = { path: 'kind', message: error.message, expected: error.expected, found: error.found, location };
    throw new SpecError(file, [issue]);
  }
}

/** Registers the plugin kind a job's spec names, in a process that has not loaded it (a child, a worker). */
export async function ensureKind(kind: string, specFile: string): Promise<void> {
  if (kindNamed(kind) || !isPluginKindName(kind)) return;
  await loadPluginKind(kind, specFile);
}

/** Imports, checks and registers the plugin kind `kind` names, resolved from the spec file's folder. */
export async function loadPluginKind(kind: PluginKindName, specFile: string): Promise<ExperimentKind> {
  const file = moduleFile(kind, specFile);
  if (loadedFrom.get(kind) === file) return kindNamed(kind)!;
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginKindError(`the plugin kind module ${file} failed to import: ${(error as Error).message.split('\n')[0]}`, 'a module that imports cleanly', 'an error on import');
  }
  const found = kindExport(exported);
  if (!found) {
    throw new PluginKindError(`the plugin kind module ${file} exports no ExperimentKind (as 'kind' or default)`, "an export 'kind' (or default) with apiVersion, kind, metricDirections, primaryMetric, curveMetric, schema, check() and run()", describeExports(exported));
  }
  const problems = shapeProblems(found.value);
  if (problems.length > 0) {
    throw new PluginKindError(`the plugin kind module ${file} exports '${found.name}', which is not an ExperimentKind: ${problems.join('; ')}`, 'an ExperimentKind (packages/runner/src/kinds/types.ts)', describeExports(exported));
  }
  const plugin = found.value as unknown as ExperimentKind;
  if (plugin.apiVersion !== KIND_API_VERSION) {
    throw new PluginKindError(`the plugin kind '${plugin.kind}' (${file}) was written for kind API version ${String(plugin.apiVersion)}; this xp has version ${KIND_API_VERSION}`, `apiVersion: ${KIND_API_VERSION}`, `apiVersion: ${String(plugin.apiVersion)}`);
  }
  try {
    registerKind(kind, withModuleInInputsKey(plugin, file));
  } catch (error) {
    throw new PluginKindError(`the plugin kind '${plugin.kind}' (${file}) has a schema that does not compile: ${(error as Error).message}`, 'a JSON Schema (draft 2020-12) for its fields', 'an invalid schema');
  }
  loadedFrom.set(kind, file);
  return plugin;
}

/**
 * The run cache must train again when the plugin's code changes, as it does for a command kind's script:
 * the module file's bytes join whatever inputs key the plugin gives itself. Only the entry module is
 * hashed; modules it imports are not followed (a plugin that spans files can add them in its own inputsKey).
 */
function withModuleInInputsKey(plugin: ExperimentKind, file: string): ExperimentKind {
  const own = plugin.inputsKey?.bind(plugin);
  return Object.assign(Object.create(plugin) as ExperimentKind, {
    inputsKey: async (spec: Parameters<NonNullable<ExperimentKind['inputsKey']>>[0], where: Parameters<NonNullable<ExperimentKind['inputsKey']>>[1]) => {
      const code = createHash('sha256').update(readFileSync(file)).digest('hex');
      const theirs = own ? await own(spec, where) : undefined;
      return theirs === undefined ? `plugin:${code}` : `plugin:${code}:${theirs}`;
    },
  });
}

function moduleFile(kind: PluginKindName, specFile: string): string {
  if (isModulePathKind(kind)) {
    const file = resolve(dirname(specFile), kind);
    if (!existsSync(file) || !statSync(file).isFile()) throw new PluginKindError(`the plugin kind module ${file} does not exist`, 'a module file (relative to the spec)', 'no such file');
    return file;
  }
  try {
    return createRequire(specFile).resolve(kind);
  } catch {
    throw new PluginKindError(`the plugin kind package '${kind}' is not installed (looked for node_modules/${kind} from ${dirname(specFile)} up)`, `an installed npm package '${kind}'`, 'not installed');
  }
}

function kindExport(exported: Record<string, unknown>): { name: string; value: Record<string, unknown> } | undefined {
  for (const name of ['kind', 'default']) {
    const value = exported[name];
    if (value !== null && typeof value === 'object') return { name, value: value as Record<string, unknown> };
  }
  return undefined;
}

function shapeProblems(value: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const expect = (member: string, type: string, ok: boolean) => {
    if (!ok) problems.push(`'${member}' is ${value[member] === undefined ? 'missing' : `a ${typeof value[member]}`}, expected ${type}`);
  };
  expect('apiVersion', 'a number', typeof value.apiVersion === 'number');
  expect('kind', 'a string', typeof value.kind === 'string');
  expect('metricDirections', 'an object', value.metricDirections !== null && typeof value.metricDirections === 'object');
  expect('primaryMetric', 'a string', typeof value.primaryMetric === 'string');
  expect('curveMetric', 'a string', typeof value.curveMetric === 'string');
  expect('schema', "a JSON Schema object for the kind's fields", value.schema !== null && typeof value.schema === 'object');
  expect('check', 'a function', typeof value.check === 'function');
  expect('run', 'a function', typeof value.run === 'function');
  return problems;
}

/** "'train' (function), 'VERSION' (number)": what a module exports, for a message about what it should. */
function describeExports(exported: Record<string, unknown>): string {
  const names = Object.keys(exported);
  if (names.length === 0) return 'no exports';
  return names.map((name) => `'${name}' (${exported[name] === null ? 'null' : typeof exported[name]})`).join(', ');
}
