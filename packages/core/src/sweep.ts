/**
 * Expanding a sweep into variants. A variant is just a name and a list of overrides (as in Hydra's
 * multirun): the grid's Cartesian product, the named variants, a random search's trials, or their
 * product: each named variant crossed with the grid, and every combination of those with the same
 * trials (so trials are compared like with like across the grid).
 */
import type { SpecIssue } from './errors.ts';
import { parsePath, type PathSegment } from './paths.ts';
import { checkRandomSearch, sampleTrials } from './random-search.ts';
import type { ExperimentSpec } from './spec-types.ts';
import type { PathLocator } from './validate.ts';

export const DEFAULT_MAX_VARIANTS = 1000;
/**
 * No --max-variants goes past this: every variant is resolved and checked before anything runs
 * (about half a millisecond and a few KB each), so 10,000 take seconds and a 1,000 × 1,000 grid
 * would take minutes and gigabytes. A search that large is a random or Optuna search.
 */
export const MAX_VARIANTS_LIMIT = 10_000;

export interface VariantOverride {
  path: string[];
  value: unknown;
  /** Where the value was written in the spec, for error locations. */
  origin: PathSegment[];
}

export interface VariantPlan {
  name: string;
  overrides: VariantOverride[];
  /** The number of the random search's trial this variant carries (1-based); none without `sweep.random`. */
  trial?: number;
}

export class TooManyVariantsError extends Error {
  constructor(readonly count: number, readonly cap: number) {
    const counted = count.toLocaleString('en-US');
    super(
      count > MAX_VARIANTS_LIMIT
        ? `the sweep expands to ${counted} variants, more than the ${MAX_VARIANTS_LIMIT.toLocaleString('en-US')} xp checks and runs from one spec; split the grid into several specs, or sample it with sweep.random or sweep.optuna`
        : `the sweep expands to ${count} variants, more than the cap of ${cap}; pass --max-variants ${count} to run them all`,
    );
    this.name = 'TooManyVariantsError';
  }
}

/** Counts variants without building them, so an enormous grid is refused cheaply. */
export function countVariants(sweep: ExperimentSpec['sweep']): number {
  const gridSize = Object.values(sweep?.grid ?? {}).reduce((n, values) => n * values.length, 1);
  return (sweep?.variants?.length ?? 1) * gridSize * (sweep?.random?.trials ?? 1);
}

export function expandSweep(sweep: ExperimentSpec['sweep'], maxVariants = DEFAULT_MAX_VARIANTS): VariantPlan[] {
  const count = countVariants(sweep);
  const cap = Math.min(maxVariants, MAX_VARIANTS_LIMIT);
  if (count > cap) throw new TooManyVariantsError(count, cap);
  const named: VariantPlan[] = sweep?.variants?.map((variant, i) => ({
    name: variant.name,
    overrides: Object.entries(variant.set).map(([key, value]) => ({ path: parsePath(key), value, origin: ['sweep', 'variants', i, 'set', key] })),
  })) ?? [{ name: '', overrides: [] }];
  const grid = Object.entries(sweep?.grid ?? {});
  const labels = gridLabels(grid.map(([key]) => key));
  let combos: VariantPlan[] = [{ name: '', overrides: [] }];
  grid.forEach(([key, values], axis) => {
    combos = combos.flatMap((combo) =>
      values.map((value, i) => ({
        name: joinName(combo.name, `${labels[axis]}=${valueLabel(value, i)}`),
        overrides: [...combo.overrides, { path: parsePath(key), value, origin: ['sweep', 'grid', key, i] }],
      })),
    );
  });
  const trials: VariantPlan[] = sweep?.random
    ? sampleTrials(sweep.random).map((trial) => ({
        name: trial.name,
        overrides: trial.values.map(({ path, value, origin }) => ({ path: parsePath(path), value, origin })),
        trial: trial.number,
      }))
    : [{ name: '', overrides: [] }];
  return named.flatMap((variant) =>
    combos.flatMap((combo) =>
      trials.map((trial) => ({
        name: joinName(joinName(variant.name, combo.name), trial.name),
        overrides: [...variant.overrides, ...combo.overrides, ...trial.overrides],
        ...(trial.trial === undefined ? {} : { trial: trial.trial }),
      })),
    ),
  );
}

/**
 * What the schema cannot say about a schema-valid sweep: each random distribution's own checks, and
 * that no path is both sampled and swept another way (one would silently override the other).
 */
export function checkSweep(sweep: ExperimentSpec['sweep'], locate: PathLocator): SpecIssue[] {
  const random = sweep?.random;
  if (!random) return [];
  const issues = checkRandomSearch(random, locate);
  const swept = [
    ...Object.keys(sweep.grid ?? {}).map((key) => ({ key, by: `the grid's ${key}` })),
    ...(sweep.variants ?? []).flatMap((variant) => Object.keys(variant.set).map((key) => ({ key, by: `variant ${variant.name}'s ${key}` }))),
  ];
  for (const path of Object.keys(random.space)) {
    const clashes = swept.filter(({ key }) => overlaps(parsePath(key), parsePath(path)));
    if (clashes.length === 0) continue;
    issues.push({
      path: `sweep.random.space.${path}`,
      message: `${path} is sampled by the random search and also swept by ${clashes.map((c) => c.by).join(', ')}`,
      expected: 'each path sampled, or swept by the grid or a named variant, not both',
      found: clashes.length === 1 ? 'both' : `${clashes.length + 1} sweeps of it`,
      location: locate(['sweep', 'random', 'space', path], true),
    });
  }
  return issues.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
}

/** One path is the other or encloses it. */
function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n).every((segment, i) => segment === b[i]);
}

/** The last segment of each grid path ("lr" for train.lr), or the whole path where that would be ambiguous. */
function gridLabels(keys: string[]): string[] {
  const last = keys.map((key) => key.split('.').pop() as string);
  return keys.map((key, i) => (last.filter((l) => l === last[i]).length > 1 ? key : last[i]));
}

function valueLabel(value: unknown, index: number): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^[A-Za-z0-9._-]{1,32}$/.test(value)) return value;
  return `#${index + 1}`;
}

function joinName(a: string, b: string): string {
  return a && b ? `${a}_${b}` : a || b;
}
