/**
 * Loading an experiment: parse the YAML, apply the command line's overrides (--set, Hydra-style
 * arguments, -m sweep axes: ./overrides.ts), check the base spec, expand the
 * sweep, and resolve and check every variant. Nothing here runs anything: a spec with any problem is
 * refused as a whole with every problem listed (SpecError), before any run or directory exists.
 */
import { resolve } from 'node:path';
import { SpecError, type SourceLocation, type SpecIssue } from './errors.ts';
import { applyCommandLine, applyOverride, locateOnCommandLine, sweepHint, type Override } from './overrides.ts';
import { paramNameIssues } from './param-names.ts';
import { setPath, type PathSegment } from './paths.ts';
import type { SpecSource } from './source.ts';
import { loadComposed, type Composed, type VariantNaming } from './compose/load-composed.ts';
import type { ExperimentSpec } from './spec-types.ts';
import { asResolved, type ResolvedSpec } from './resolved-spec.ts';
import { seedsOf } from './seeds.ts';
import { checkSweep, DEFAULT_MAX_VARIANTS, expandSweep, TooManyVariantsError, type VariantOverride, type VariantPlan } from './sweep.ts';
import { validateSpec, type PathLocator } from './validate.ts';
import { substituteVars } from './vars.ts';

/** A variant's name names its runs (with `_seed=N`), and MLflow keeps at most 250 characters of a run name. */
export const MAX_VARIANT_NAME_LENGTH = 200;

export interface LoadOptions {
  /** `--set path=value` texts, applied in order before validation. */
  sets?: string[];
  /** Hydra-style `path=value` arguments after the spec, applied after `sets`; with `multirun`, `path=a,b` is a sweep axis. */
  args?: string[];
  /** `-m`/`--multirun`: a comma-separated value in `args` becomes a grid axis, crossed with the spec's sweep. */
  multirun?: boolean;
  /** Told when the command line replaces part of the spec's sweep (a --set of a swept path). */
  note?: (message: string) => void;
  maxVariants?: number;
  /** `--seeds`: run every variant once per seed, whatever the spec's `seed` or `seeds` say. */
  seeds?: number[];
  /** Where XP_CONFIG_PATH is read (default: process.env) and relative paths in it resolve (default: process.cwd()). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Variant {
  /** Readable and stable: what the variant changes, e.g. "gap-5x5_c1=32"; the spec's name when there is no sweep. */
  name: string;
  /** The overrides that make this variant, as dotted path -> value (a random search's sampled values included). */
  overrides: Record<string, unknown>;
  /** The number of the random search's trial this variant carries (1-based); none without `sweep.random`. */
  trial?: number;
  /** The resolved spec: overrides applied, vars substituted, defaults filled in, no sweep. */
  spec: ResolvedSpec;
  /** Where a path of this variant's spec was written (an override's value, else the base spec). */
  locate: (path: readonly PathSegment[]) => SourceLocation | undefined;
  /** The files this variant's spec was composed from and the config group options chosen (./compose/). */
  composed: Composed;
}

export interface LoadedExperiment {
  file: string;
  source: SpecSource;
  /** The base spec after overrides and vars, with defaults, including its sweep. */
  spec: ResolvedSpec;
  variants: Variant[];
  /** Every variant runs once per seed (./seeds.ts); one seed unless `seeds` or `--seeds` says more. */
  seeds: number[];
  /**
   * A variant made after loading, from the same spec and command line as the loaded ones: what a
   * search that chooses its trials as results come in (sweep.optuna) runs. Its problems are returned,
   * not thrown, each prefixed with the variant's name: the caller decides what an unusable trial means.
   */
  variantWith(name: string, overrides: readonly VariantOverride[]): { variant: Variant; issues: SpecIssue[] };
  /** The base spec's composition: its files with their hashes, its group choices and the composed YAML. */
  composed: Composed;
  /** The spec as written: composed, the command line applied, before vars and schema defaults (what `xp show` prints). */
  written: Record<string, unknown>;
  /** Where a path of the base spec was written: a file (with the chain that included it) or the command line. */
  locate: (path: readonly PathSegment[], keyOf?: boolean) => SourceLocation | undefined;
}

/** Composes the spec from its defaults list (./compose/), once per combination of swept group options, then loads each. */
export function loadExperiment(file: string, options: LoadOptions = {}): LoadedExperiment {
  return loadComposed(resolve(file), file, options, loadOne);
}

function loadOne(file: string, options: LoadOptions, composed: Composed, naming: VariantNaming): LoadedExperiment {
  const source = composed.source;
  const raw = structuredClone(composed.value) as Record<string, unknown>;
  const commandLine = applyCommandLine(raw, options, options.note);
  if (commandLine.issues.length > 0) throw new SpecError(file, commandLine.issues);
  // A value the command line set is blamed on the override as typed, everything else on the file.
  const baseLocate: PathLocator = (path, keyOf) => locateOnCommandLine(commandLine, path, keyOf) ?? composed.locate(path, keyOf);
  const fail = (all: SpecIssue[]): SpecError => new SpecError(file, withSweepHints(all, commandLine.overrides, options.multirun ?? false));

  const written = structuredClone(raw);
  if (options.seeds) {
    delete raw.seed;
    raw.seeds = [...options.seeds];
  }
  const base = resolveSpec(raw, baseLocate);
  const spec = base.spec;
  const issues: SpecIssue[] = [...base.issues];
  if ('seed' in raw && 'seeds' in raw) {
    issues.push({ path: 'seeds', message: "give either 'seed' (one run per variant) or 'seeds' (one run per variant and seed), not both", expected: 'seed or seeds', found: 'both', location: baseLocate(['seeds']) });
  }
  // A malformed sweep cannot be expanded; every other problem of the base is reported together with
  // the variants' own problems, so one run of `xp validate` lists everything. What the schema cannot
  // check (a random distribution's low < high) is checked once the sweep's shape is known to be right.
  const isSweepIssue = (issue: SpecIssue) => issue.path === 'sweep' || issue.path.startsWith('sweep.');
  if (!issues.some(isSweepIssue)) issues.push(...checkSweep(spec.sweep, baseLocate));
  if (issues.some(isSweepIssue)) throw fail(issues);

  let plans;
  try {
    plans = expandSweep(spec.sweep, options.maxVariants ?? DEFAULT_MAX_VARIANTS);
    if (naming.keep) plans = plans.filter((plan) => naming.keep!(plan.name));
    // Said before the work, so a large sweep is not minutes of silence.
    if (plans.length > DEFAULT_MAX_VARIANTS) options.note?.(`checking ${plans.length.toLocaleString('en-US')} variants (about ${Math.max(1, Math.round(plans.length / 2000))} s)`);
  } catch (error) {
    if (!(error instanceof TooManyVariantsError)) throw error;
    throw fail([...issues, { path: 'sweep', message: error.message, expected: `at most ${error.cap} variants`, found: `${error.count}`, location: baseLocate(['sweep']) }]);
  }

  const makeVariant = (plan: VariantPlan): { variant: Variant; issues: SpecIssue[] } => {
    const name = joinName(naming.prefix, plan.name) || spec.name;
    const draft = structuredClone(raw);
    delete draft.sweep;
    for (const override of plan.overrides) setPath(draft, override.path, structuredClone(override.value));
    // The command line wins over the sweep here too: an override inside a block that a variant replaces.
    for (const override of commandLine.overrides) if (override.path[0] !== 'sweep') applyOverride(draft, override);
    const sweepLocate = variantLocator(plan.overrides, baseLocate);
    const locate: PathLocator = (path, keyOf) => locateOnCommandLine({ overrides: commandLine.overrides, axes: [] }, path, keyOf) ?? sweepLocate(path, keyOf);
    const resolved = resolveSpec(draft, locate);
    const variant: Variant = {
      name,
      overrides: { ...naming.overrides, ...Object.fromEntries(plan.overrides.map((o) => [o.path.join('.'), o.value])) },
      ...(plan.trial === undefined ? {} : { trial: plan.trial }),
      spec: resolved.spec,
      locate: (path) => locate(path),
      composed,
    };
    return { variant, issues: resolved.issues };
  };

  const variants: Variant[] = [];
  for (const plan of plans) {
    if (plan.name.length > MAX_VARIANT_NAME_LENGTH) {
      // It names every run of the variant, and MLflow keeps at most 250 characters of a run name.
      addVariantIssue(issues, { path: 'sweep', message: `a variant's name is ${plan.name.length} characters long, too long for a run name: ${plan.name.slice(0, 60)}…`, expected: `variant names of at most ${MAX_VARIANT_NAME_LENGTH} characters (fewer grid axes, or named variants)`, found: `${plan.name.length} characters`, location: baseLocate(['sweep']) }, '');
      continue;
    }
    const made = makeVariant(plan);
    for (const issue of made.issues) addVariantIssue(issues, issue, made.variant.name);
    variants.push(made.variant);
  }
  if (issues.length > 0) throw fail(issues);
  const variantWith = (name: string, overrides: readonly VariantOverride[]) => {
    const made = makeVariant({ name, overrides: [...overrides] });
    const own: SpecIssue[] = [];
    for (const issue of made.issues) addVariantIssue(own, issue, name);
    return { variant: made.variant, issues: own };
  };
  return { file, source, spec, variants, seeds: seedsOf(spec), variantWith, composed, written, locate: baseLocate };
}

function joinName(a: string, b: string): string {
  return a && b ? `${a}_${b}` : a || b;
}

/**
 * Adds a variant's issue unless the same problem at the same place is already listed (the base's own
 * problems recur in every variant; a bad grid value recurs in every combination that uses it).
 */
export function addVariantIssue(issues: SpecIssue[], issue: SpecIssue, variant: string): void {
  const where = (i: SpecIssue) => `${i.location?.file}:${i.location?.line}:${i.location?.column}|${i.path}|${i.location?.lineText}`;
  const same = issues.find((known) => where(known) === where(issue) && known.message.endsWith(issue.message));
  if (same) return;
  issues.push({ ...issue, message: variant ? `in variant ${variant}: ${issue.message}` : issue.message });
}

function resolveSpec(raw: Record<string, unknown>, locate: PathLocator): { spec: ResolvedSpec; issues: SpecIssue[] } {
  const substituted = substituteVars(raw);
  const varIssues: SpecIssue[] = substituted.issues.map(({ segments, ...issue }) => ({ ...issue, location: locate(segments) }));
  const schemaIssues = validateSpec(substituted.value, locate);
  // Every leaf becomes an MLflow param: a key MLflow would refuse is this spec's problem, found now.
  const { sweep: _sweep, ...logged } = substituted.value;
  const paramIssues = schemaIssues.length === 0 ? paramNameIssues(logged, locate) : [];
  // Validation filled in the schema's defaults: once it found no issues, this is a resolved spec.
  return { spec: asResolved(substituted.value as unknown as ExperimentSpec), issues: [...varIssues, ...schemaIssues, ...paramIssues] };
}

/** A path inside an overridden value is located in the sweep entry that set it. */
function variantLocator(overrides: VariantOverride[], baseLocate: PathLocator): PathLocator {
  return (path, keyOf) => {
    for (const override of [...overrides].reverse()) {
      const prefix = override.path;
      if (prefix.every((segment, i) => String(path[i]) === segment) && path.length >= prefix.length) {
        return baseLocate([...override.origin, ...path.slice(prefix.length)], keyOf);
      }
    }
    return baseLocate(path, keyOf);
  };
}

/** A value with commas that failed validation was probably meant as a sweep: say how to write one. */
function withSweepHints(issues: SpecIssue[], overrides: readonly Override[], multirun: boolean): SpecIssue[] {
  return issues.map((issue) => {
    const override = overrides.find((o) => issue.location?.commandLine !== undefined && o.location.file === issue.location.file && o.text === issue.location.lineText);
    const hint = override && issue.hint === undefined ? sweepHint(override, multirun) : undefined;
    return hint ? { ...issue, hint } : issue;
  });
}


/**
 * A spec given as a value rather than a file, validated and resolved as loading does (defaults
 * filled in, no sweep expanded): for programs that build specs in code, and for tests. Throws a
 * SpecError under `label` when the value is not a valid spec.
 */
export function resolveSpecValue(value: unknown, label = '<spec value>'): ResolvedSpec {
  const copy = structuredClone(value);
  const issues = validateSpec(copy, () => undefined);
  if (issues.length > 0) throw new SpecError(label, issues);
  return asResolved(copy as ExperimentSpec);
}
