/**
 * Composing a spec from its `defaults` list, as Hydra composes a config: each entry is another file
 * (a path relative to the file that lists it), an option of a config group (`- model: seed-net` is
 * `model/seed-net.yaml` placed at the key `model`; `- optimizer@train: sgd` places it at `train`;
 * `@_global_` at the top), or `_self_`, where the file's own keys merge (last when not listed, so a
 * spec overrides its defaults). Mappings merge deeply, lists replace, a `null` deletes the key.
 *
 * Every value keeps where it was written (./provenance.ts), so a problem found later in the
 * composed spec is reported at the group file's line with the chain of files that included it.
 * Group options come from the search path (./search-path.ts); the command line may choose another
 * option, add a group or remove one (./group-overrides.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import type { SourceLocation, SpecIssue } from '../errors.ts';
import type { PathSegment } from '../paths.ts';
import { locateInSource, parseSpecText, readSpecSource, type SpecSource } from '../source.ts';
import { Provenance, type Origin } from './provenance.ts';
import { findOption, groupOptions, projectRootOf, searchPathOf, type SearchPath } from './search-path.ts';

/** What the command line says about one config group. */
export interface GroupChoice {
  /** `model`, or `optimizer@train`'s `optimizer`. */
  group: string;
  /** `@package` when given. */
  package?: string;
  /** The option, or null for `~group` (no option). */
  option: string | null;
  /** `+group=option` adds the group to the spec's defaults; `++` adds or replaces; a plain one replaces. */
  kind: 'change' | 'add' | 'force-add' | 'delete';
  /** Where it was typed, for errors and provenance. */
  location: SourceLocation;
  /** The argument as shown (`argument model=wide`). */
  shown: string;
}

export interface ComposeOptions {
  /** Group choices from the command line (a sweep's one combination of them). */
  choices?: readonly GroupChoice[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** One file the spec was composed from. */
export interface ComposedFile {
  /** As shown in messages: relative to the working directory where that is shorter. */
  file: string;
  path: string;
  sha256: string;
  /** Where its content landed ('' for the top). */
  package: string;
  /** `model=seed-net` for a group option; undefined for the spec and plain file entries. */
  choice?: string;
  /** The entries that brought it in, nearest first (`cnn-19816.yaml defaults[1]`). */
  includedBy: string[];
}

export interface Composition {
  /** The composed spec: every file merged, `defaults` and `configPath` removed. */
  value: Record<string, unknown>;
  /** Where a path of `value` was written: the file, line and column, with the chain that included it. */
  locate: (path: readonly PathSegment[], keyOf?: boolean) => SourceLocation;
  /** Every file read, in the order they merged (the spec itself last unless `_self_` says otherwise). */
  files: ComposedFile[];
  /** group (with `@package` when not the group's own) → option, for every group used. */
  choices: Record<string, string>;
  /** The groups the defaults lists use (their names, `model`, `optimizer`). */
  groups: Set<string>;
  /** The spec itself. */
  source: SpecSource;
  issues: SpecIssue[];
  /** False when the spec has no defaults list and no group was added: the file is the spec. */
  composed: boolean;
}

type Entry =
  | { kind: 'self'; index: number; at: PathSegment[] }
  | { kind: 'file'; path: string; index: number; at: PathSegment[] }
  | { kind: 'group'; group: string; package?: string; option: string | null; index: number; at: PathSegment[]; chosenBy?: GroupChoice };

const GLOBAL = '_global_';

export function composeSpec(file: string, absolute: string, options: ComposeOptions = {}): Composition {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  // A file is shown as the spec was typed: beside it, the same way (experiments/model/seed-net.yaml); elsewhere from the working directory.
  const shown = (path: string): string => {
    if (path === absolute) return file;
    const beside = relative(dirname(absolute), path);
    return beside.startsWith('..') || isAbsolute(beside) ? shortPath(path, cwd) : join(dirname(file), beside);
  };
  const parsed = readSpecSource(absolute);
  if (!parsed.ok) {
    const issues = parsed.issues.map((i) => (i.location?.file === absolute ? { ...i, location: { ...i.location, file } } : i));
    return failed(issues);
  }
  const source = { ...parsed.source, file };
  const top = source.value as Record<string, unknown>;
  const choices = options.choices ?? [];
  if (!('defaults' in top) && !choices.some((c) => c.kind === 'add' || c.kind === 'force-add')) {
    const value = structuredClone(top);
    delete value.configPath;
    const unused = choices.map((c) => unknownGroupIssue(c, new Set(), undefined));
    return {
      value,
      locate: (path, keyOf) => locateInSource(source, path, keyOf),
      files: [{ file, path: absolute, sha256: sha256(source.text), package: '', includedBy: [] }],
      choices: {},
      groups: new Set(),
      source,
      issues: unused,
      composed: false,
    };
  }

  const issues: SpecIssue[] = [];
  const searchPath = searchPathOf(absolute, top.configPath, env, cwd);
  const project = projectRootOf(absolute);
  const provenance = new Provenance();
  const value: Record<string, unknown> = {};
  const files: ComposedFile[] = [];
  const chosen: Record<string, string> = {};
  const groups = new Set<string>();
  const used = new Set<GroupChoice>();

  const visit = (path: string, src: SpecSource, packagePath: PathSegment[], groupPath: string, includedBy: string[], stack: string[], choice?: string, isPrimary = false): void => {
    const content = src.value as Record<string, unknown>;
    const entries = readDefaults(src, content.defaults, issues);
    if (isPrimary) applyChoices(entries, choices, used, src, issues);
    const selfAt = entries.findIndex((e) => e.kind === 'self');
    const order = selfAt >= 0 ? entries : [...entries, { kind: 'self', index: -1, at: [] } as Entry];
    const seen = new Map<string, Entry>();
    for (const entry of order) {
      if (entry.kind === 'self') {
        files.push({ file: shown(path), path, sha256: sha256(src.text), package: packagePath.join('.'), ...(choice ? { choice } : {}), includedBy });
        const own = { ...content };
        delete own.defaults;
        delete own.configPath;
        // An editor's pointer to the schema (or a fragment of it) is not part of the spec it lands in.
        if (!isPrimary) delete own.$schema;
        mergeInto(value, packagePath, own, provenance, { source: src, sourcePath: [], includedBy });
        continue;
      }
      const entryShown = entry.index >= 0 ? `${shown(path)} defaults[${entry.index}]` : entry.kind === 'group' && entry.chosenBy ? entry.chosenBy.shown : `${shown(path)} defaults`;
      const chain = [entry.kind === 'group' && entry.chosenBy && entry.index >= 0 ? `${entry.chosenBy.shown} (${entryShown})` : entryShown, ...includedBy];
      const where = entry.kind === 'group' && entry.chosenBy ? entry.chosenBy.location : entry.index >= 0 ? locateInSource(src, ['defaults', entry.index]) : undefined;
      if (entry.kind === 'file') {
        const target = resolve(dirname(path), entry.path.endsWith('.yaml') || entry.path.endsWith('.yml') ? entry.path : `${entry.path}.yaml`);
        if (!insideAllowed(target, project, searchPath)) {
          issues.push({ path: `defaults.${entry.index}`, message: `${entry.path} is outside the project (${project}) and the search path: composition reads files inside them only`, expected: 'a path inside the project, or a folder named in XP_CONFIG_PATH or configPath', found: shortPath(target, cwd), location: where });
          continue;
        }
        include(target, packagePath, groupPath, chain, stack, where, `defaults.${entry.index}`, undefined);
        continue;
      }
      // A group: relative to the including file's group, unless it starts with '/'.
      const group = entry.group.startsWith('/') ? entry.group.slice(1) : groupPath ? `${groupPath}/${entry.group}` : entry.group;
      groups.add(group);
      const key = `${group}@${entry.package ?? ''}`;
      const earlier = seen.get(key);
      if (earlier) {
        issues.push({ path: `defaults.${entry.index}`, message: `config group '${group}' is listed twice in ${shown(path)}'s defaults (entries ${earlier.index} and ${entry.index})`, expected: 'one entry per group: choose another option on the command line (model=wide) instead', found: `'${group}' twice`, location: where });
        continue;
      }
      seen.set(key, entry);
      if (entry.option === null) continue;
      const pkg = packageOf(entry.package, group, entry.group.startsWith('/') ? [] : packagePath);
      const option = findOption(searchPath, group, entry.option);
      if (!option) {
        const known = groupOptions(searchPath, group);
        const suggestion = known.length > 0 ? closest(entry.option, known) : undefined;
        issues.push({
          path: entry.chosenBy ? '' : `defaults.${entry.index}`,
          message: `config group '${group}' has no option '${entry.option}'`,
          expected: known.length > 0 ? `one of: ${known.join(', ')}` : `a file ${group}/${entry.option}.yaml in the search path (${searchPath.map((s) => shortPath(s.dir, cwd) || '.').join(', ')})`,
          found: `'${entry.option}'`,
          ...(suggestion !== undefined && distance(entry.option, suggestion) <= 3 ? { hint: `did you mean '${suggestion}'?` } : {}),
          location: where,
        });
        continue;
      }
      const label = entry.package !== undefined ? `${group}@${entry.package}` : group;
      chosen[label] = entry.option;
      include(option, pkg, group, chain, stack, where, `defaults.${entry.index}`, `${label}=${entry.option}`);
    }
  };

  const include = (target: string, pkg: PathSegment[], groupPath: string, chain: string[], stack: string[], where: SourceLocation | undefined, at: string, choice: string | undefined): void => {
    if (stack.includes(target)) {
      const cycle = [...stack.slice(stack.indexOf(target)), target].map(shown).join(' → ');
      issues.push({ path: at, message: `the defaults lists include each other in a cycle: ${cycle}`, expected: 'files that include others without coming back', found: 'a cycle', location: where });
      return;
    }
    const read = readIncluded(target);
    if (!read.ok) {
      const missing = read.issues.some((i) => i.message.includes('no such file'));
      issues.push(...(missing
        ? [{ path: at, message: `no such file: ${shown(target)}`, expected: yamlFilesIn(dirname(target), cwd), found: shown(target), location: where }]
        : read.issues.map((i) => ({ ...i, location: i.location ? { ...i.location, file: shown(target), includedBy: chain } : where }))));
      return;
    }
    const src = { ...read.source, file: shown(target) };
    visit(target, src, pkg, groupPath, chain, [...stack, target], choice);
  };

  visit(absolute, source, [], '', [], [absolute], undefined, true);
  for (const choice of choices) if (!used.has(choice)) issues.push(unknownGroupIssue(choice, groups, searchPath));

  const locate = (path: readonly PathSegment[], keyOf = false): SourceLocation => {
    const found = provenance.find(path);
    if (!found) return locateInSource(source, path, keyOf);
    const { origin, rest } = found;
    const location = locateInSource(origin.source, [...origin.sourcePath, ...rest], keyOf);
    return origin.includedBy.length > 0 ? { ...location, includedBy: origin.includedBy } : location;
  };
  return { value, locate, files, choices: chosen, groups, source, issues, composed: true };
}

/** The place an option's content lands: `@pkg` (relative to the including file's), `@_global_`/`@` the top, else the group's name. */
function packageOf(pkg: string | undefined, group: string, base: PathSegment[]): PathSegment[] {
  if (pkg === GLOBAL || pkg === '') return [];
  if (pkg !== undefined) return pkg.startsWith(`${GLOBAL}.`) ? pkg.slice(GLOBAL.length + 1).split('.') : [...base, ...pkg.split('.')];
  return [...base, ...group.split('/').slice(-1)];
}

const ENTRY_KEY = /^(\/?[A-Za-z_][A-Za-z0-9_-]*(?:\/[A-Za-z_][A-Za-z0-9_-]*)*)(?:@([A-Za-z0-9_$.-]*))?$/;

function readDefaults(src: SpecSource, raw: unknown, issues: SpecIssue[]): Entry[] {
  if (raw === undefined || raw === null) return [];
  const at = (i?: number) => locateInSource(src, i === undefined ? ['defaults'] : ['defaults', i]);
  if (!Array.isArray(raw)) {
    issues.push({ path: 'defaults', message: 'defaults is a list', expected: 'a list of entries: - model: seed-net, - path/to/file, - _self_', found: typeof raw, location: at() });
    return [];
  }
  const entries: Entry[] = [];
  let self = -1;
  raw.forEach((item, index) => {
    const path: PathSegment[] = ['defaults', index];
    if (item === '_self_') {
      if (self >= 0) {
        issues.push({ path: `defaults.${index}`, message: `_self_ is listed twice (entries ${self} and ${index})`, expected: '_self_ once, where the file\'s own keys merge', found: '_self_ twice', location: at(index) });
        return;
      }
      self = index;
      entries.push({ kind: 'self', index, at: path });
    } else if (typeof item === 'string' && item.trim() !== '') {
      entries.push({ kind: 'file', path: item, index, at: path });
    } else if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1) {
      const [[key, option]] = Object.entries(item as Record<string, unknown>);
      const m = ENTRY_KEY.exec(key);
      if (!m || !(option === null || typeof option === 'string')) {
        issues.push({ path: `defaults.${index}`, message: 'a group entry is group: option', expected: 'e.g. - model: seed-net, - optimizer@train: sgd (the option a name, or null for none)', found: JSON.stringify(item), location: at(index) });
        return;
      }
      entries.push({ kind: 'group', group: m[1], ...(m[2] === undefined ? {} : { package: m[2] }), option: option as string | null, index, at: path });
    } else {
      issues.push({ path: `defaults.${index}`, message: 'not a defaults entry', expected: '- group: option, - path/to/file, or - _self_', found: JSON.stringify(item), location: at(index) });
    }
  });
  return entries;
}

/** The command line's group choices change the spec's own entries; `+group=option` appends one. */
function applyChoices(entries: Entry[], choices: readonly GroupChoice[], used: Set<GroupChoice>, src: SpecSource, issues: SpecIssue[]): void {
  for (const choice of choices) {
    const i = entries.findIndex((e) => e.kind === 'group' && e.group.replace(/^\//, '') === choice.group && (choice.package === undefined || e.package === choice.package));
    if (i >= 0) {
      const entry = entries[i] as Extract<Entry, { kind: 'group' }>;
      used.add(choice);
      if (choice.kind === 'add') {
        const typed = choice.shown.replace(/^(argument|-m) \+/, '');
        issues.push({ path: '', message: `+${typed} adds config group '${choice.group}', which ${src.file}'s defaults already choose (${entry.option})`, expected: `${typed} to choose another option, or ++${typed} to add or replace`, found: choice.shown, location: choice.location });
        continue;
      }
      entries[i] = { ...entry, option: choice.option, chosenBy: choice };
    } else if (choice.kind === 'add' || choice.kind === 'force-add') {
      used.add(choice);
      entries.push({ kind: 'group', group: choice.group, ...(choice.package === undefined ? {} : { package: choice.package }), option: choice.option, index: -1, at: [], chosenBy: choice });
    }
  }
}

function unknownGroupIssue(choice: GroupChoice, groups: Set<string>, searchPath: SearchPath | undefined): SpecIssue {
  const known = [...groups];
  return {
    path: choice.group,
    message: `the spec's defaults use no config group '${choice.group}'${choice.kind === 'delete' ? ' to remove' : ''}`,
    expected: known.length > 0 ? `one of the groups it uses: ${known.join(', ')}, or +${choice.group}=${choice.option ?? '…'} to add the group` : `+${choice.group}=${choice.option ?? '…'} to add the group`,
    found: choice.shown,
    ...(searchPath && groupOptions(searchPath, choice.group).length === 0 ? {} : {}),
    location: choice.location,
  };
}

/** Merges `content` into `target` at `at`: mappings deeply, lists and scalars replace, null deletes. */
function mergeInto(target: Record<string, unknown>, at: PathSegment[], content: unknown, provenance: Provenance, origin: Origin): void {
  // An empty option adds nothing, not even its package's key.
  if (isMapping(content) && Object.keys(content).length === 0) return;
  let node: Record<string, unknown> = target;
  for (const segment of at) {
    const key = String(segment);
    if (!isMapping(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  if (at.length > 0 && !provenance.has(at)) provenance.set(at, origin);
  if (!isMapping(content)) {
    // Only a mapping merges at a package: anything else replaces what is there.
    if (at.length === 0) return;
    setAt(target, at, content, provenance, origin, []);
    return;
  }
  mergeMapping(node, at, content, provenance, origin, []);
}

function mergeMapping(node: Record<string, unknown>, at: PathSegment[], content: Record<string, unknown>, provenance: Provenance, origin: Origin, sourcePath: PathSegment[]): void {
  for (const [key, value] of Object.entries(content)) {
    const path = [...at, key];
    const from = [...sourcePath, key];
    if (value === null) {
      delete node[key];
      provenance.clear(path);
      continue;
    }
    if (isMapping(value) && isMapping(node[key])) {
      provenance.set(path, { ...origin, sourcePath: [...origin.sourcePath, ...from] });
      mergeMapping(node[key] as Record<string, unknown>, path, value, provenance, origin, from);
      continue;
    }
    provenance.clear(path);
    node[key] = structuredClone(value);
    provenance.setTree(path, value, { ...origin, sourcePath: [...origin.sourcePath, ...from] });
  }
}

function setAt(target: Record<string, unknown>, at: PathSegment[], value: unknown, provenance: Provenance, origin: Origin, sourcePath: PathSegment[]): void {
  let node = target;
  for (const segment of at.slice(0, -1)) node = node[String(segment)] as Record<string, unknown>;
  const last = String(at[at.length - 1]);
  provenance.clear(at);
  if (value === null) {
    delete node[last];
    return;
  }
  node[last] = structuredClone(value);
  provenance.setTree(at, value, { ...origin, sourcePath });
}

/** An included file may be empty (an option that adds nothing, `augment/none.yaml`): it is an empty mapping. */
function readIncluded(file: string): ReturnType<typeof readSpecSource> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return readSpecSource(file);
  }
  if (text.split(/\r?\n/).every((l) => l.trim() === '' || l.trim().startsWith('#'))) return parseSpecText(file, `${text}\n{}\n`);
  return readSpecSource(file);
}

/** What a missing file entry could have named: the YAML files in its folder. */
function yamlFilesIn(dir: string, cwd: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).map((n) => n.replace(/\.ya?ml$/, '')).sort();
  } catch {
    return `a YAML file, named without .yaml, relative to the file that lists it (${shortPath(dir, cwd) || '.'} does not exist)`;
  }
  return names.length > 0 ? `one of the files in ${shortPath(dir, cwd) || '.'}: ${names.join(', ')}` : `a YAML file, named without .yaml, relative to the file that lists it (${shortPath(dir, cwd) || '.'} holds none)`;
}

function insideAllowed(target: string, project: string, searchPath: SearchPath): boolean {
  const inside = (dir: string) => {
    const rel = relative(dir, target);
    return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
  };
  return inside(project) || searchPath.some((s) => inside(s.dir));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || rel.startsWith('/') ? path : rel;
}

function failed(issues: SpecIssue[]): Composition {
  const empty = { file: '', text: '', lines: [], value: {} } as unknown as SpecSource;
  return { value: {}, locate: () => ({ file: '', line: 1, column: 1 }), files: [], choices: {}, groups: new Set(), source: empty, issues, composed: false };
}
