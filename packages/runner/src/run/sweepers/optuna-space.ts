/**
 * sweep.optuna.space in Optuna's terms and back: each distribution xp writes (as sweep.random's,
 * @xp/core's sample-space) becomes an Optuna distribution the dashboard can show, and the values a
 * trial draws become the overrides of its variant, each located where the space was written.
 *
 *   uniform [l, h]       FloatDistribution(l, h)
 *   loguniform [l, h]    FloatDistribution(l, h, log=True)
 *   intUniform [l, h]    IntDistribution(l, h)
 *   quniform [l, h, q]   FloatDistribution(a·q, b·q, step=q): the multiples of q inside [l, h], as xp draws them
 *   choice [...]         CategoricalDistribution: the options themselves where each is a number, string,
 *                        boolean or null (what Optuna stores), else each option's JSON text
 */
import { distributionKind, parsePath, readDistribution, type Distribution, type PathSegment, type VariantOverride } from '@xp/core';

/** One parameter as optuna_bridge.py reads it. */
export type OptunaParam =
  | { name: string; kind: 'float'; low: number; high: number; log?: boolean; step?: number }
  | { name: string; kind: 'int'; low: number; high: number }
  | { name: string; kind: 'categorical'; choices: Array<string | number | boolean | null> };

export interface SearchSpace {
  params: OptunaParam[];
  /** A trial's drawn values (by parameter name) as the overrides of its variant. */
  overridesOf(drawn: Record<string, unknown>): VariantOverride[];
}

/** A drawn value that is not one the space could give (a study created with another space). */
export class ForeignValueError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
  ) {
    super(`Optuna drew ${JSON.stringify(value)} for ${path}, which is not in sweep.optuna.space's ${path} (a study created with another space? give sweep.optuna.study a new name)`);
    this.name = 'ForeignValueError';
  }
}

export function searchSpace(space: Record<string, Distribution>): SearchSpace {
  const entries = Object.entries(space).map(([path, written]) => {
    const at: PathSegment[] = ['sweep', 'optuna', 'space', path, distributionKind(written)];
    return { path, written, at, param: optunaParam(path, written) };
  });
  return {
    params: entries.map((entry) => entry.param),
    overridesOf(drawn) {
      return entries.map(({ path, written, at, param }): VariantOverride => {
        if (!(path in drawn)) throw new ForeignValueError(path, undefined);
        const value = drawn[path];
        if (param.kind !== 'categorical') return { path: parsePath(path), value: numberIn(param, path, value), origin: at };
        const option = param.choices.findIndex((choice) => choice === value);
        if (option < 0) throw new ForeignValueError(path, value);
        const options = readDistribution(written);
        return { path: parsePath(path), value: structuredClone((options as { options: readonly unknown[] }).options[option]), origin: [...at, option] };
      });
    },
  };
}

function optunaParam(name: string, written: Distribution): OptunaParam {
  const distribution = readDistribution(written);
  switch (distribution.kind) {
    case 'uniform':
      return { name, kind: 'float', low: distribution.low, high: distribution.high };
    case 'loguniform':
      return { name, kind: 'float', low: distribution.low, high: distribution.high, log: true };
    case 'intUniform':
      return { name, kind: 'int', low: distribution.low, high: distribution.high };
    case 'quniform': {
      const { q } = distribution;
      // The first and last multiples of q inside [low, high] (core's checks made sure there is one).
      const first = Math.ceil(distribution.low / q - 1e-9);
      const last = Math.floor(distribution.high / q + 1e-9);
      return { name, kind: 'float', low: roundTo(first * q, q), high: roundTo(last * q, q), step: q };
    }
    case 'choice': {
      const plain = distribution.options.every((o) => o === null || ['string', 'number', 'boolean'].includes(typeof o));
      const choices = distribution.options.map((o) => (plain ? (o as string | number | boolean | null) : JSON.stringify(o)));
      return { name, kind: 'categorical', choices };
    }
  }
}

function numberIn(param: Exclude<OptunaParam, { kind: 'categorical' }>, path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ForeignValueError(path, value);
  // Optuna's float steps are low + k·step in binary: round to q's own decimals, as xp's quniform prints.
  const number = param.kind === 'float' && param.step !== undefined ? roundTo(value, param.step) : value;
  if (number < param.low - 1e-12 * Math.abs(param.low) || number > param.high + 1e-12 * Math.abs(param.high)) throw new ForeignValueError(path, value);
  return param.kind === 'int' ? Math.round(number) : number;
}

/** `value` rounded to the decimal places of `q` (0.1 → 1, 32 → 0, 1e-7 → 7). */
function roundTo(value: number, q: number): number {
  const [mantissa, exponent = '0'] = String(q).split('e');
  const places = Math.min(Math.max((mantissa.split('.')[1]?.length ?? 0) - Number(exponent), 0), 100);
  return Number(value.toFixed(places));
}
