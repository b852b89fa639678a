/**
 * Where composition meets loading: the command line's arguments are told apart into config group
 * choices (`model=wide`, `+group=option`, `~group`, `-m model=seed-net,wide`) and value overrides;
 * the spec's `sweep.grid` may sweep a group too (`model: [seed-net, wide]`). The spec is composed once
 * per combination of swept options, each composition loaded as a spec of its own (overrides, vars,
 * validation, sweep), and their variants joined, named `model=wide` (crossed with the spec's own
 * names, `model=wide_lr=0.1`).
 */
import { stringify } from 'yaml';
import { SpecError, type SourceLocation, type SpecIssue } from '../errors.ts';
import type { LoadedExperiment, LoadOptions } from '../load.ts';
import { commandLineLocation, shownAs } from '../overrides.ts';
import { readHydraArgument } from '../overrides/arguments.ts';
import { sweepValues, type ParsedOverride } from '../overrides/grammar.ts';
import type { PathSegment } from '../paths.ts';
import type { SpecSource } from '../source.ts';
import { composeSpec, type ComposedFile, type Composition, type GroupChoice } from './compose.ts';
import { groupOptions, isGroup, searchPathOf } from './search-path.ts';

/** What a loaded spec was composed from: kept on the experiment and on every variant, for tracking and `xp show`. */
export interface Composed {
  source: SpecSource;
  value: Record<string, unknown>;
  locate: (path: readonly PathSegment[], keyOf?: boolean) => SourceLocation;
  files: ComposedFile[];
  /** group → option (`model` → `seed-net`): the run's group params. */
  choices: Record<string, string>;
  /** False for a spec without a defaults list: the file is the spec. */
  composed: boolean;
  /** The composed spec as YAML, before overrides and vars: what a run logs as spec.yaml. */
  text: string;
}

export interface VariantNaming {
  /** `model=wide`: joined before the spec's own variant names. */
  prefix: string;
  /** The group choices as overrides, `{model: 'wide'}`. */
  overrides: Record<string, unknown>;
  /** Only the variants this composition is for (named variants that choose group options). */
  keep?: (variantName: string) => boolean;
}

type LoadOne = (file: string, options: LoadOptions, composed: Composed, naming: VariantNaming) => LoadedExperiment;

/** A swept group: its options, in order. */
interface GroupAxis {
  group: string;
  package?: string;
  options: string[];
  text: string;
  shown: string;
  location: SourceLocation;
  /** Set when the spec's own sweep.grid swept it: that key leaves the grid. */
  gridKey?: string;
}

export function loadComposed(absolute: string, file: string, options: LoadOptions, loadOne: LoadOne): LoadedExperiment {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const first = composeSpec(file, absolute, { env, cwd });
  if (first.issues.length > 0 && !first.composed) throw new SpecError(file, first.issues);
  const searchPath = searchPathOf(absolute, (first.source.value as Record<string, unknown> | undefined)?.configPath, env, cwd);

  // Arguments naming a group the defaults use (or adding one that exists) choose options; the rest are values.
  const singles: GroupChoice[] = [];
  const axes: GroupAxis[] = [];
  const valueArgs: string[] = [];
  const issues: SpecIssue[] = [];
  const multirun = options.multirun ?? false;
  for (const text of options.args ?? []) {
    const { parsed } = readHydraArgument(text);
    // A group folder on the search path counts too: choosing an option of a group the spec does not use is an error (add it with +group=option).
    // (a mapping or list given for such a key is a value: `model={weights: …}` on a spec without the group).
    const namesOptions = parsed?.value === undefined || !('element' in parsed.value) || typeof parsed.value.element === 'string';
    const isGroupArg = parsed !== undefined && (first.groups.has(parsed.key) || (namesOptions && isGroup(searchPath, parsed.key)));
    if (!parsed || !isGroupArg) {
      valueArgs.push(text);
      continue;
    }
    const source = multirun ? '-m' : 'argument';
    const location = commandLineLocation(source, text, parsed.valueOffset + 1);
    const base = { group: parsed.key, ...(parsed.package === undefined ? {} : { package: parsed.package }), location, shown: shownAs(source, text) };
    const options = optionsOf(parsed, groupOptions(searchPath, parsed.key));
    if ('issue' in options) {
      issues.push({ path: parsed.key, message: options.issue, expected: `an option of config group '${parsed.key}': ${groupOptions(searchPath, parsed.key).join(', ')}`, found: JSON.stringify(parsed.valueText), location });
    } else if (options.list.length > 1 || options.sweep) {
      if (!multirun) issues.push({ path: parsed.key, message: `${parsed.valueText} chooses several options of config group '${parsed.key}': one run takes one`, expected: `one option, or -m (multirun) for one variant per option: -m ${text}`, found: JSON.stringify(parsed.valueText), hint: `for one variant per option, add -m (multirun): -m ${text}`, location });
      else axes.push({ ...base, options: options.list, text });
    } else {
      singles.push({ ...base, option: parsed.kind === 'delete' ? null : options.list[0], kind: parsed.kind });
    }
  }
  if (issues.length > 0) throw new SpecError(file, issues);

  // The spec's own grid may sweep a group: `sweep.grid: {model: [seed-net, wide]}`.
  const grid = (first.value.sweep as { grid?: Record<string, unknown> } | undefined)?.grid;
  if (grid && typeof grid === 'object') {
    for (const [key, values] of Object.entries(grid)) {
      if (!first.groups.has(key) || axes.some((a) => a.group === key) || singles.some((s) => s.group === key)) continue;
      const location = first.locate(['sweep', 'grid', key]);
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
        issues.push({ path: `sweep.grid.${key}`, message: `sweep.grid.${key} sweeps config group '${key}': its values are option names`, expected: `a list of options: ${groupOptions(searchPath, key).join(', ')}`, found: JSON.stringify(values), location });
        continue;
      }
      axes.push({ group: key, options: values as string[], text: `sweep.grid.${key}`, shown: `${file} sweep.grid.${key}`, location, gridKey: key });
    }
  }
  if (issues.length > 0) throw new SpecError(file, issues);
  const segments = namedVariantSegments(first, file, issues);
  if (issues.length > 0) throw new SpecError(file, issues);
  const loadOptions = { ...options, args: valueArgs };

  if (axes.length === 0 && !segments) {
    const composition = singles.length > 0 ? composeSpec(file, absolute, { env, cwd, choices: singles }) : first;
    if (composition.issues.length > 0) throw new SpecError(file, composition.issues);
    return loadOne(file, loadOptions, composedOf(composition), { prefix: '', overrides: {} });
  }

  // One composition per combination of swept options, in the order the axes were given.
  let combos: Array<Array<{ axis: GroupAxis; option: string }>> = [[]];
  for (const axis of axes) combos = combos.flatMap((combo) => axis.options.map((option) => [...combo, { axis, option }]));
  const loaded: LoadedExperiment[] = [];
  const all: SpecIssue[] = [];
  for (const combo of combos) {
    for (const segment of segments ?? [undefined]) {
      const choices: GroupChoice[] = [...singles, ...combo.map(({ axis, option }) => ({ group: axis.group, ...(axis.package === undefined ? {} : { package: axis.package }), option, kind: 'change' as const, location: axis.location, shown: `${axis.shown} (${option})` })), ...(segment?.choices ?? [])];
      const composition = composeSpec(file, absolute, { env, cwd, choices });
      const name = combo.map(({ axis, option }) => `${axis.package === undefined ? axis.group : `${axis.group}@${axis.package}`}=${option}`).join('_');
      const shownAs = [name, segment?.label].filter(Boolean).join(', ');
      if (composition.issues.length > 0) {
        for (const issue of composition.issues) addOnce(all, issue, shownAs);
        continue;
      }
      for (const { axis } of combo) if (axis.gridKey) dropGridKey(composition.value, axis.gridKey);
      if (segments) dropVariantGroupKeys(composition.value, first.groups);
      const overrides = { ...Object.fromEntries(combo.map(({ axis, option }) => [axis.group, option])), ...(segment?.overrides ?? {}) };
      try {
        loaded.push(loadOne(file, loadOptions, composedOf(composition), { prefix: name, overrides, ...(segment ? { keep: segment.keep } : {}) }));
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        for (const issue of error.issues) addOnce(all, issue, shownAs);
      }
    }
  }
  if (all.length > 0) throw new SpecError(file, all);
  const [base] = loaded;
  return { ...base, variants: loaded.flatMap((l) => l.variants) };
}

interface Segment {
  /** The group options these named variants choose. */
  choices: GroupChoice[];
  overrides: Record<string, string>;
  /** Which expanded variants belong to these named variants (a variant's name starts with its named variant's). */
  keep: (variantName: string) => boolean;
  label: string;
  members: Set<number>;
}

/**
 * `sweep.variants` entries whose `set` names a group (`set: {model: narrow}`): runs of consecutive
 * named variants choosing the same options, each composed on its own (their order kept). Undefined
 * when no named variant chooses an option.
 */
function namedVariantSegments(first: Composition, file: string, issues: SpecIssue[]): Segment[] | undefined {
  const variants = (first.value.sweep as { variants?: unknown } | undefined)?.variants;
  if (!Array.isArray(variants)) return undefined;
  const names = variants.map((v) => String((v as { name?: unknown } | null)?.name ?? ''));
  const chosen = variants.map((variant, i) => {
    const set = (variant as { set?: unknown } | null)?.set;
    const picks: Record<string, string> = {};
    if (set && typeof set === 'object') {
      for (const [key, value] of Object.entries(set)) {
        if (!groupKeyOf(key, first.groups)) continue;
        if (typeof value !== 'string') issues.push({ path: `sweep.variants.${i}.set.${key}`, message: `${key} is a config group: a named variant chooses one of its options by name`, expected: 'an option name, e.g. set: {model: narrow}', found: JSON.stringify(value), location: first.locate(['sweep', 'variants', i, 'set', key]) });
        else picks[key] = value;
      }
    }
    return picks;
  });
  if (chosen.every((picks) => Object.keys(picks).length === 0)) return undefined;
  // A variant's expanded names start with its own name; the longest named variant that matches owns it.
  const owner = (variantName: string): number => {
    let best = -1;
    names.forEach((name, i) => {
      if ((variantName === name || variantName.startsWith(`${name}_`)) && (best < 0 || name.length > names[best].length)) best = i;
    });
    return best;
  };
  const segments: Segment[] = [];
  chosen.forEach((picks, i) => {
    const last = segments[segments.length - 1];
    const key = JSON.stringify(picks);
    if (last && JSON.stringify(last.overrides) === key) {
      last.members.add(i);
      return;
    }
    const location = first.locate(['sweep', 'variants', i, 'set']);
    const members = new Set([i]);
    segments.push({
      choices: Object.entries(picks).map(([key, option]) => ({ ...groupKeyOf(key, first.groups)!, option, kind: 'change' as const, location, shown: `${file} sweep.variants[${i}] (${names[i]})` })),
      overrides: picks,
      keep: (variantName) => members.has(owner(variantName)),
      label: `sweep variant ${names[i]}`,
      members,
    });
  });
  return segments;
}

/** A named variant's group choices are made by composition: they leave its `set`. */
function dropVariantGroupKeys(value: Record<string, unknown>, groups: Set<string>): void {
  const variants = (value.sweep as { variants?: unknown } | undefined)?.variants;
  if (!Array.isArray(variants)) return;
  for (const variant of variants) {
    const set = (variant as { set?: Record<string, unknown> } | null)?.set;
    if (set && typeof set === 'object') for (const key of Object.keys(set)) if (groupKeyOf(key, groups)) delete set[key];
  }
}

/** `model` or `optimizer@train` naming a group the defaults use. */
function groupKeyOf(key: string, groups: Set<string>): { group: string; package?: string } | undefined {
  const at = key.indexOf('@');
  const group = at < 0 ? key : key.slice(0, at);
  if (!groups.has(group)) return undefined;
  return at < 0 ? { group } : { group, package: key.slice(at + 1) };
}

/** The options an argument chooses: one, a comma-separated list, choice(…)/sort/shuffle of them, or glob(…) over the group's options. */
function optionsOf(parsed: ParsedOverride, known: string[]): { list: string[]; sweep: boolean } | { issue: string } {
  const value = parsed.value;
  if (parsed.kind === 'delete') return { list: [], sweep: false };
  if (!value) return { issue: 'no option given' };
  if ('element' in value) {
    const option = value.element;
    if (option === null || typeof option === 'object') return { issue: 'an option is a name' };
    return { list: [typeof option === 'string' ? option : parsed.valueText.trim()], sweep: false };
  }
  const sweep = value.sweep;
  if (sweep.sweep === 'glob') {
    const matches = (name: string, patterns: string[]) => patterns.some((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name));
    const list = known.filter((name) => matches(name, sweep.include) && !matches(name, sweep.exclude));
    return list.length > 0 ? { list, sweep: true } : { issue: `glob(${sweep.include.join(', ')}) matches no option` };
  }
  if (sweep.sweep === 'interval') return { issue: 'interval() is a continuous range; a config group has named options' };
  const values = sweepValues(sweep);
  if (values.some((v) => v === null || typeof v === 'object')) return { issue: 'an option is a name' };
  return { list: values.map(String), sweep: true };
}

function dropGridKey(value: Record<string, unknown>, key: string): void {
  const sweep = value.sweep as Record<string, unknown> | undefined;
  const grid = sweep?.grid as Record<string, unknown> | undefined;
  if (!sweep || !grid) return;
  delete grid[key];
  if (Object.keys(grid).length === 0) delete sweep.grid;
  if (Object.keys(sweep).length === 0) delete value.sweep;
}

function addOnce(issues: SpecIssue[], issue: SpecIssue, combo: string): void {
  const where = (i: SpecIssue) => `${i.location?.file}:${i.location?.line}:${i.location?.column}|${i.path}|${i.message.replace(/^with \S+: /, '')}`;
  if (issues.some((known) => where(known) === where(issue))) return;
  issues.push({ ...issue, message: `with ${combo}: ${issue.message}` });
}

function composedOf(composition: Composition): Composed {
  const { source, value, locate, files, choices, composed } = composition;
  let text: string | undefined;
  return {
    source,
    value,
    locate,
    files,
    choices,
    composed,
    // The file itself when nothing was composed (its comments and layout kept), else the merged spec.
    get text() {
      text ??= composed ? stringify(value, { lineWidth: 0 }) : source.text;
      return text;
    },
  };
}
