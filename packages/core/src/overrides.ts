/**
 * Overrides from the command line. Two readings:
 *
 * - `--set path=value`: xp's own; the value is read as YAML (text where the schema says text);
 * - arguments after the spec, `xp run spec.yaml train.lr=0.3`, read with Hydra's override grammar
 *   (./overrides/grammar.ts, ./overrides/arguments.ts): `+path=v` adds, `++path=v` sets either way,
 *   `~path` deletes; with `-m`/`--multirun`, a sweep (`a,b`, `choice(…)`, `range(…)`, …) is a grid axis
 *   crossed with the spec's sweep, and `interval(…)` a distribution for its random search or Optuna.
 *   (Arguments naming a config group choose its options: ./compose/load-composed.ts.)
 *
 * The path must be one the schema knows. The command line wins over the spec's own sweep: an
 * override of a path the sweep varies replaces that axis (or that key of the named variants, or that
 * path of the random search), and says so through `note`. Every problem found later in an overridden
 * value is located in the override as typed, not in the file.
 */
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, parse as parseYaml, type Node } from 'yaml';
import type { SourceLocation, SpecIssue } from './errors.ts';
import { knownKeys, subschemaAt, type JsonSchema } from './schema.ts';
import { parsePath, setPath, type PathSegment } from './paths.ts';
import type { OverrideKind } from './overrides/grammar.ts';
import { parseArgument, type IntervalAxis } from './overrides/arguments.ts';

/** How an override was given: `--set`, a plain argument after the spec, or a `-m` sweep axis. */
export type OverrideSource = '--set' | 'argument' | '-m';

export interface Override {
  path: string[];
  value: unknown;
  /** Hydra's forms (arguments after the spec): `+path=v` adds, `++path=v` sets either way, `~path` deletes; --set changes. */
  kind?: OverrideKind;
  /** `~path=value` deletes only where the spec holds that value. */
  deleteIf?: unknown;
  /** The override as typed, `train.lr=0.3`. */
  text: string;
  /** The value as typed, `0.3`. */
  raw: string;
  source: OverrideSource;
  /** Where the value starts in `text`, for errors. */
  location: SourceLocation;
}

/** A sweep axis from `-m path=a,b,c`. */
export interface SweepAxis {
  path: string[];
  values: unknown[];
  text: string;
  /** Each value as typed (quotes that only grouped it removed), and where it starts. */
  pieces: Array<{ raw: string; location: SourceLocation }>;
  /** Where the first value starts. */
  location: SourceLocation;
}

export interface CommandLineOverrides {
  /** `--set path=value` texts. */
  sets?: readonly string[];
  /** `path=value` arguments after the spec (Hydra style). */
  args?: readonly string[];
  /** `-m`: a comma-separated value in `args` is a sweep axis. */
  multirun?: boolean;
}

export interface AppliedOverrides {
  /** Single-value overrides in the order they were applied (--set first, then arguments). */
  overrides: Override[];
  axes: SweepAxis[];
  issues: SpecIssue[];
}

/** How an override is shown in messages: the flag and the text, as the user typed them. */
export function shownAs(source: OverrideSource, text: string): string {
  return source === '--set' ? `--set ${text}` : source === '-m' ? `-m ${text}` : `argument ${text}`;
}

export function commandLineLocation(source: OverrideSource, text: string, column: number): SourceLocation {
  return { file: source, line: 1, column, lineText: text, commandLine: shownAs(source, text) };
}

export type Target = { path: string[]; schema: JsonSchema; dotted: string; eq: number; raw: string } | { issue: SpecIssue };

/** Splits `path=value` and checks the path against the schema. */
function target(text: string, source: OverrideSource): Target {
  const where = (column: number) => commandLineLocation(source, text, column);
  const eq = text.indexOf('=');
  if (eq <= 0) {
    const example = source === '--set' ? 'e.g. --set train.lr=0.5' : 'path=value after the spec, e.g. train.lr=0.5';
    return { issue: { path: '', message: 'an override is written path=value', expected: example, found: JSON.stringify(text), location: where(1) } };
  }
  const dotted = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const checked = checkPath(dotted, where, 0);
  if ('issue' in checked) return checked;
  return { ...checked, eq, raw };
}

/** Checks a dotted path against the schema; `keyStart` is where the key starts in the override (0-based). */
export function checkPath(dotted: string, where: (column: number) => SourceLocation, keyStart: number): { path: string[]; schema: JsonSchema; dotted: string } | { issue: SpecIssue } {
  const path = parsePath(dotted);
  for (let depth = 1; depth <= path.length; depth++) {
    if (subschemaAt(path.slice(0, depth)) === undefined) {
      const parent = subschemaAt(path.slice(0, depth - 1));
      const known = knownKeys(parent);
      const key = path[depth - 1];
      const suggestion = known.length > 0 ? closest(key, known) : undefined;
      const column = keyStart + path.slice(0, depth - 1).join('.').length + (depth > 1 ? 2 : 1);
      return {
        issue: {
          path: dotted,
          message: `unknown key '${key}'${depth > 1 ? ` under ${path.slice(0, depth - 1).join('.')}` : ''}`,
          expected: known.length > 0 ? `one of: ${known.join(', ')}` : 'a path the schema defines',
          found: `'${key}'`,
          hint: suggestion !== undefined && distance(key, suggestion) <= 3 ? `did you mean '${suggestion}'?` : undefined,
          location: where(column),
        },
      };
    }
  }
  return { path, schema: subschemaAt(path) as JsonSchema, dotted };
}

/** Reads one value: as text where the schema says text, else as YAML. */
function readValue(schema: JsonSchema, raw: string, dotted: string, location: SourceLocation): { value?: unknown; issue?: SpecIssue } {
  if (isTextOnly(schema)) return { value: raw };
  try {
    return { value: raw.trim() === '' ? null : parseYaml(raw) };
  } catch (error) {
    return { issue: { path: dotted, message: `cannot read the value: ${(error as Error).message.split('\n')[0]}`, expected: 'a YAML value', found: JSON.stringify(raw), location } };
  }
}

/** `path=value` (from --set or an argument after the spec): one value, never split. */
export function parseOverride(text: string, source: '--set' | 'argument' = '--set'): { override?: Override; issue?: SpecIssue } {
  const t = target(text, source);
  if ('issue' in t) return { issue: t.issue };
  const location = commandLineLocation(source, text, t.eq + 2);
  const read = readValue(t.schema, t.raw, t.dotted, location);
  if (read.issue) return { issue: read.issue };
  return { override: { path: t.path, value: read.value, text, raw: t.raw, source, location } };
}

/**
 * Splits a `-m` value at its top-level commas: not inside quotes, brackets or braces, and not `\,`.
 * A piece wholly inside one pair of quotes loses them (they only grouped it). Offsets are where each
 * piece starts in `raw`, 0-based.
 */
export function splitSweepValues(raw: string): { pieces: Array<{ text: string; offset: number }> } | { error: string; offset: number } {
  const pieces: Array<{ text: string; offset: number }> = [];
  let current = '';
  let start = 0;
  const closers: string[] = [];
  let quote: { char: string; at: number } | undefined;
  const finish = (end: number): void => {
    const leading = current.length - current.trimStart().length;
    let text = current.trim();
    let offset = start + leading;
    const q = text[0];
    if ((q === "'" || q === '"') && text.length >= 2 && text.endsWith(q) && text.indexOf(q, 1) === text.length - 1) {
      text = text.slice(1, -1);
      offset += 1;
    }
    pieces.push({ text, offset });
    current = '';
    start = end + 1;
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      current += c;
      if (c === quote.char) quote = undefined;
      continue;
    }
    if (c === '\\' && raw[i + 1] === ',') {
      current += ',';
      i++;
      continue;
    }
    // A quote opens quoting only where a YAML scalar can start: at the start of a piece or after [ { , :
    if ((c === "'" || c === '"') && /(^|[[{,:])\s*$/.test(current)) {
      quote = { char: c, at: i };
      current += c;
      continue;
    }
    if (c === '[' || c === '{') closers.push(c === '[' ? ']' : '}');
    else if ((c === ']' || c === '}') && closers[closers.length - 1] === c) closers.pop();
    if (c === ',' && closers.length === 0) {
      finish(i);
      continue;
    }
    current += c;
  }
  if (quote) return { error: `unterminated quote ${quote.char}`, offset: quote.at };
  finish(raw.length);
  return { pieces };
}

/**
 * Parses every command-line override, applies the single-value ones to `raw` (the spec as read,
 * before vars and validation), lets them take over what the spec's sweep varies, and adds the `-m`
 * axes to its grid. Nothing is applied when any override is malformed: the issues say why.
 */
export function applyCommandLine(raw: Record<string, unknown>, options: CommandLineOverrides, note: (message: string) => void = () => {}): AppliedOverrides {
  const overrides: Override[] = [];
  const axes: SweepAxis[] = [];
  const issues: SpecIssue[] = [];
  for (const text of options.sets ?? []) {
    const { override, issue } = parseOverride(text, '--set');
    if (issue) issues.push(issue);
    else if (override) overrides.push(override);
  }
  const intervals: IntervalAxis[] = [];
  for (const text of options.args ?? []) {
    // Arguments after the spec are read with Hydra's grammar (./overrides/grammar.ts).
    const { override, axis, interval, issue } = parseArgument(text, options.multirun ?? false);
    if (issue) issues.push(issue);
    else if (override) overrides.push(override);
    else if (axis) axes.push(axis);
    else if (interval) intervals.push(interval);
  }
  if (issues.length > 0) return { overrides: [], axes: [], issues };

  // A field both set and swept on the command line: which one is meant cannot be guessed.
  for (const [i, axis] of axes.entries()) {
    const other = [...overrides, ...axes.slice(0, i)].find((o) => overlaps(o.path, axis.path));
    const shown = shownAs('-m', axis.text);
    if (axis.path[0] === 'sweep') {
      issues.push({ path: axis.path.join('.'), message: '-m sweeps a field of the spec, not the sweep itself', expected: 'a path outside sweep, e.g. -m train.lr=0.1,0.3', found: shown, location: axis.location });
    } else if (other) {
      const otherShown = shownAs('source' in other ? other.source : '-m', other.text);
      issues.push({
        path: axis.path.join('.'),
        message: `${axis.path.join('.')} is swept by ${shown} and also given by ${otherShown}`,
        expected: 'each field set or swept once on the command line',
        found: `${shown} and ${otherShown}`,
        location: axis.location,
      });
    }
  }
  if (issues.length > 0) return { overrides: [], axes: [], issues };

  for (const override of overrides) {
    const issue = checkOverrideKind(raw, override);
    if (issue) issues.push(issue);
  }
  if (issues.length > 0) return { overrides: [], axes: [], issues };
  for (const override of overrides) applyOverride(raw, override);
  for (const override of overrides) {
    if (override.path[0] !== 'sweep') takeOverFromSweep(raw, override.path, `${shownAs(override.source, override.text)}`, note);
  }
  for (const axis of axes) {
    takeOverFromSweep(raw, axis.path, shownAs('-m', axis.text), note);
    if (raw.sweep === undefined || raw.sweep === null) raw.sweep = {};
    const sweep = raw.sweep;
    if (!isPlainObject(sweep)) continue; // the schema refuses it; the axis has nowhere to go
    if (sweep.grid === undefined || sweep.grid === null) sweep.grid = {};
    if (isPlainObject(sweep.grid)) sweep.grid[axis.path.join('.')] = structuredClone(axis.values);
  }
  for (const interval of intervals) {
    const sweep = isPlainObject(raw.sweep) ? raw.sweep : undefined;
    const search = sweep && isPlainObject(sweep.random) ? sweep.random : sweep && isPlainObject(sweep.optuna) ? sweep.optuna : undefined;
    if (!search) {
      issues.push({ path: interval.path.join('.'), message: 'interval() is a continuous range: a grid cannot run it, a random search or Optuna samples it', expected: 'a spec with sweep.random or sweep.optuna, or choice(…)/range(…) for a grid', found: shownAs('-m', interval.text), location: interval.location });
      continue;
    }
    if (!isPlainObject(search.space)) search.space = {};
    (search.space as Record<string, unknown>)[interval.path.join('.')] = { uniform: [interval.start, interval.end] };
  }
  if (issues.length > 0) return { overrides: [], axes: [], issues };
  return { overrides, axes, issues };
}

/** `+path` on a path the spec has, `~path` on one it lacks (or holding another value): Hydra refuses both. */
function checkOverrideKind(raw: Record<string, unknown>, override: Override): SpecIssue | undefined {
  const dotted = override.path.join('.');
  const held = valueAt(raw, override.path);
  const shown = shownAs(override.source, override.text);
  if (override.kind === 'add' && held.found) {
    return { path: dotted, message: `${shown} adds ${dotted}, which the spec already sets (${JSON.stringify(held.value)})`, expected: `${dotted}=${override.raw} to change it, or ++${dotted}=${override.raw} to set it either way`, found: shown, location: { ...override.location, column: 1 } };
  }
  if (override.kind === 'delete') {
    if (!held.found) return { path: dotted, message: `${shown} deletes ${dotted}, which the spec does not set`, expected: 'a key the spec (or its defaults) sets', found: shown, location: { ...override.location, column: 2 } };
    if ('deleteIf' in override && JSON.stringify(held.value) !== JSON.stringify(override.deleteIf)) {
      return { path: dotted, message: `${shown} deletes ${dotted} only where it is ${JSON.stringify(override.deleteIf)}, but the spec sets ${JSON.stringify(held.value)}`, expected: `~${dotted} to delete whatever it holds`, found: shown, location: override.location };
    }
  }
  return undefined;
}

/** Applies one override to a spec draft: sets its value, or deletes the path (`~path`). */
export function applyOverride(draft: Record<string, unknown>, override: Override): void {
  if (override.kind !== 'delete') {
    setPath(draft, override.path, structuredClone(override.value));
    return;
  }
  let node: unknown = draft;
  for (const key of override.path.slice(0, -1)) node = isPlainObject(node) ? node[key] : undefined;
  if (isPlainObject(node)) delete node[override.path[override.path.length - 1]];
}

function valueAt(root: Record<string, unknown>, path: readonly string[]): { found: boolean; value?: unknown } {
  let node: unknown = root;
  for (const key of path) {
    if (!isPlainObject(node) || !(key in node)) return { found: false };
    node = node[key];
  }
  return { found: true, value: node };
}

/**
 * The command line wins over the spec's sweep: a grid axis over `path` (or inside it) is dropped, and
 * so is a named variant's `set` of it and a random search's distribution for it, each with a note.
 */
function takeOverFromSweep(raw: Record<string, unknown>, path: readonly string[], shown: string, note: (message: string) => void): void {
  const sweep = raw.sweep;
  if (!isPlainObject(sweep)) return;
  const grid = sweep.grid;
  if (isPlainObject(grid)) {
    for (const [key, values] of Object.entries(grid)) {
      if (!covers(path, parsePath(key))) continue;
      delete grid[key];
      note(`${shown} replaces the spec's sweep axis ${key} (${describeValues(values)})${shown.startsWith('-m ') ? '' : ': every variant gets this value'}`);
    }
    if (Object.keys(grid).length === 0) delete sweep.grid;
  }
  if (Array.isArray(sweep.variants)) {
    const replaced = new Map<string, string[]>();
    for (const variant of sweep.variants) {
      if (!isPlainObject(variant) || !isPlainObject(variant.set)) continue;
      for (const key of Object.keys(variant.set)) {
        if (!covers(path, parsePath(key))) continue;
        delete variant.set[key];
        replaced.set(key, [...(replaced.get(key) ?? []), String(variant.name)]);
      }
    }
    for (const [key, names] of replaced) {
      note(`${shown} replaces the ${key} that sweep variant${names.length === 1 ? '' : 's'} ${names.join(', ')} set${names.length === 1 ? 's' : ''}`);
    }
  }
  const random = sweep.random;
  if (isPlainObject(random) && isPlainObject(random.space)) {
    const space = random.space;
    for (const [key, distribution] of Object.entries(space)) {
      if (!covers(path, parsePath(key))) continue;
      delete space[key];
      note(`${shown} replaces the random search's ${key} (${describeDistributionAsWritten(distribution)})${shown.startsWith('-m ') ? '' : ': every variant gets this value'}`);
    }
    // Trials with nothing left to sample would all be the same run.
    if (Object.keys(space).length === 0) {
      delete sweep.random;
      note(`${shown} leaves the random search nothing to sample: its trials are dropped`);
    }
  }
  if (Object.keys(sweep).length === 0) delete raw.sweep;
}

/** "loguniform [0.001, 0.5]"; the spec is not validated yet, so anything else is shown as JSON. */
function describeDistributionAsWritten(distribution: unknown): string {
  const entries = isPlainObject(distribution) ? Object.entries(distribution) : [];
  if (entries.length === 1 && Array.isArray(entries[0][1]) && entries[0][0] !== 'choice') return `${entries[0][0]} [${entries[0][1].join(', ')}]`;
  if (entries.length === 1 && Array.isArray(entries[0][1])) return `choice of ${entries[0][1].length}`;
  return JSON.stringify(distribution);
}

/**
 * Locates a path of the spec in the command line: inside the last override that set it, or (for
 * `sweep.grid.<axis>.<i>`) in the `-m` value it came from. Undefined when the file wrote it.
 */
export function locateOnCommandLine(applied: Pick<AppliedOverrides, 'overrides' | 'axes'>, path: readonly PathSegment[], keyOf = false): SourceLocation | undefined {
  const segments = path.map(String);
  for (const override of [...applied.overrides].reverse()) {
    if (startsWith(segments, override.path)) return within(override.location, override.raw, segments.slice(override.path.length), keyOf);
  }
  if (segments[0] === 'sweep' && segments[1] === 'grid' && segments.length >= 3) {
    const axis = applied.axes.find((a) => a.path.join('.') === segments[2]);
    if (axis) {
      const piece = segments.length >= 4 ? axis.pieces[Number(segments[3])] : undefined;
      return piece ? within(piece.location, piece.raw, segments.slice(4), keyOf) : axis.location;
    }
  }
  return undefined;
}

/** The location of `path` inside a YAML value typed at `location` (its start when it cannot be found). */
function within(location: SourceLocation, raw: string, path: readonly string[], keyOf: boolean): SourceLocation {
  if (path.length === 0 || raw.includes('\n')) return location;
  try {
    const lineCounter = new LineCounter();
    const document = parseDocument(raw, { lineCounter });
    let node: unknown = document.contents;
    let keyNode: unknown;
    for (const segment of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment);
        if (pair) {
          keyNode = pair.key;
          next = pair.value ?? pair.key;
        }
      } else if (isSeq(node) && /^\d+$/.test(segment)) {
        next = node.items[Number(segment)];
        keyNode = undefined;
      }
      if (next === undefined) break;
      node = next;
    }
    const found = (keyOf && keyNode ? keyNode : node) as Node | undefined;
    const offset = found?.range?.[0] ?? 0;
    return { ...location, column: location.column + offset };
  } catch {
    return location;
  }
}

/** A hint for a value that failed validation and holds commas: it was probably meant as a sweep. */
export function sweepHint(override: Override, multirun: boolean): string | undefined {
  const split = splitSweepValues(override.raw);
  if ('error' in split || split.pieces.length < 2) return undefined;
  const asArgument = `${override.path.join('.')}=${override.raw}`;
  if (override.source === '--set') return `--set never sweeps; for one variant per value, write it after the spec with -m (multirun): -m ${asArgument}`;
  return multirun ? undefined : `for one variant per value, add -m (multirun): -m ${asArgument}`;
}

function describeValues(values: unknown): string {
  if (!Array.isArray(values)) return JSON.stringify(values);
  const text = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  return text.length > 60 ? `${values.length} values` : text;
}

export function isTextOnly(schema: JsonSchema): boolean {
  if (schema.type === 'string') return true;
  return Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return path.length >= prefix.length && prefix.every((segment, i) => path[i] === segment);
}

/** `a` is `b` or encloses it. */
function covers(a: readonly string[], b: readonly string[]): boolean {
  return startsWith(b, a);
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  return startsWith(a, b) || startsWith(b, a);
}
