/**
 * Expanding a sweep into variants. A variant is just a name and a list of overrides (as in Hydra's
 * multirun): the grid's Cartesian product, the named variants, or each named variant crossed with the grid.
 */
import type { ExperimentSpec } from './spec-types.ts';
import { parsePath, type PathSegment } from './paths.ts';

export const DEFAULT_MAX_VARIANTS = 1000;

export interface VariantOverride {
  path: string[];
  value: unknown;
  /** Where the value was written in the spec, for error locations. */
  origin: PathSegment[];
}

export interface VariantPlan {
  name: string;
  overrides: VariantOverride[];
}

export class TooManyVariantsError extends Error {
  constructor(readonly count: number, readonly cap: number) {
    super(`the sweep expands to ${count} variants, more than the cap of ${cap}; pass --max-variants ${count} to run them all`);
    this.name = 'TooManyVariantsError';
  }
}

/** Counts variants without building them, so an enormous grid is refused cheaply. */
export function countVariants(sweep: ExperimentSpec['sweep']): number {
  const gridSize = Object.values(sweep?.grid ?? {}).reduce((n, values) => n * values.length, 1);
  return (sweep?.variants?.length ?? 1) * gridSize;
}

export function expandSweep(sweep: ExperimentSpec['sweep'], maxVariants = DEFAULT_MAX_VARIANTS): VariantPlan[] {
  const count = countVariants(sweep);
  if (count > maxVariants) throw new TooManyVariantsError(count, maxVariants);
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
  return named.flatMap((variant) =>
    combos.map((combo) => ({ name: joinName(variant.name, combo.name), overrides: [...variant.overrides, ...combo.overrides] })),
  );
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
