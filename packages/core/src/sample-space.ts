/**
 * The distributions a random search draws from (`sweep.random.space`): reading the written one-key
 * form, the checks the schema cannot express (they relate two numbers of one distribution), and
 * drawing one value. Every draw takes exactly one number from its source, so a path's n-th value
 * depends only on its own stream and n.
 */
import type { SpecIssue } from './errors.ts';
import type { PathSegment } from './paths.ts';
import type { RandomSource } from './seeded-random.ts';
import type { Distribution } from './spec-types.ts';
import type { PathLocator } from './validate.ts';

export type ParameterDistribution =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'loguniform'; low: number; high: number }
  | { kind: 'intUniform'; low: number; high: number }
  | { kind: 'quniform'; low: number; high: number; q: number }
  | { kind: 'choice'; options: readonly unknown[] };

export type DistributionKind = ParameterDistribution['kind'];

export interface Draw {
  value: unknown;
  /** For a choice, the index of the option drawn, so a problem with it can be shown where it was written. */
  option?: number;
}

/** The written form's one key (the schema allows exactly one). */
export function distributionKind(written: Distribution): DistributionKind {
  const [kind] = Object.keys(written);
  return kind as DistributionKind;
}

/** Reads a schema-valid written distribution. */
export function readDistribution(written: Distribution): ParameterDistribution {
  if (written.uniform) return { kind: 'uniform', low: written.uniform[0], high: written.uniform[1] };
  if (written.loguniform) return { kind: 'loguniform', low: written.loguniform[0], high: written.loguniform[1] };
  if (written.intUniform) return { kind: 'intUniform', low: written.intUniform[0], high: written.intUniform[1] };
  if (written.quniform) return { kind: 'quniform', low: written.quniform[0], high: written.quniform[1], q: written.quniform[2] };
  if (written.choice) return { kind: 'choice', options: written.choice };
  throw new Error(`not a distribution: ${JSON.stringify(written)}`);
}

/**
 * What the schema cannot say about a schema-valid distribution written at `at` (its one key's path,
 * e.g. sweep.random.space.train.lr.loguniform): low below high, a range narrow enough to sample, and
 * for quniform at least one multiple of q inside it.
 */
export function checkDistribution(written: Distribution, at: readonly PathSegment[], locate: PathLocator): SpecIssue[] {
  const distribution = readDistribution(written);
  if (distribution.kind === 'choice') return [];
  const { low, high } = distribution;
  const issue = (message: string, expected: string): SpecIssue => ({
    path: at.join('.'),
    message,
    expected,
    found: `[${(written[distribution.kind] as number[]).join(', ')}]`,
    location: locate(at),
  });
  if (!(low < high)) {
    const form = distribution.kind === 'quniform' ? '[low, high, q]' : '[low, high]';
    return [issue('the low bound must be below the high one', `${form} with low < high`)];
  }
  if (!Number.isFinite(high - low)) return [issue('the range is too wide to sample', 'high - low a finite number')];
  if (distribution.kind === 'quniform') {
    const { first, last } = multiplesWithin(low, high, distribution.q);
    if (first > last) return [issue(`no multiple of q (${distribution.q}) lies between low and high`, '[low, high, q] with a multiple of q between low and high')];
  }
  return [];
}

/** One value, from one number of `random`; always within the bounds. */
export function drawValue(distribution: ParameterDistribution, random: RandomSource): Draw {
  const u = random();
  switch (distribution.kind) {
    case 'uniform':
      return { value: within(distribution.low + u * (distribution.high - distribution.low), distribution) };
    case 'loguniform': {
      const logLow = Math.log(distribution.low);
      const logHigh = Math.log(distribution.high);
      // exp(log(x)) may land an ulp outside the bounds.
      return { value: within(Math.exp(logLow + u * (logHigh - logLow)), distribution) };
    }
    case 'intUniform':
      return { value: Math.min(distribution.low + Math.floor(u * (distribution.high - distribution.low + 1)), distribution.high) };
    case 'quniform': {
      const { low, high, q } = distribution;
      const { first, last } = multiplesWithin(low, high, q);
      const nearest = Math.round((low + u * (high - low)) / q);
      return { value: multiple(Math.min(Math.max(nearest, first), last), q) };
    }
    case 'choice': {
      const option = Math.min(Math.floor(u * distribution.options.length), distribution.options.length - 1);
      return { value: distribution.options[option], option };
    }
  }
}

/** Short and readable, for plans and notes: "loguniform [0.001, 0.5]", "choice of 3". */
export function describeDistribution(written: Distribution): string {
  const kind = distributionKind(written);
  const values = written[kind] as unknown[];
  if (kind === 'choice') {
    const text = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
    return text.length <= 40 ? `choice [${text}]` : `choice of ${values.length}`;
  }
  return `${kind} [${values.join(', ')}]`;
}

function within(value: number, { low, high }: { low: number; high: number }): number {
  return Math.min(Math.max(value, low), high);
}

/**
 * k·q without the binary noise a decimal q brings (3 × 0.1 is 0.30000000000000004): rounded to q's
 * own decimal places, so multiples print as written and stay exact for whole q.
 */
function multiple(k: number, q: number): number {
  return Number((k * q).toFixed(decimalPlaces(q)));
}

/** The decimal places of q as JavaScript prints it: 0.25 → 2, 1e-7 → 7, 32 → 0. */
function decimalPlaces(q: number): number {
  const [mantissa, exponent = '0'] = String(q).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.min(Math.max(fraction - Number(exponent), 0), 100);
}

/** The first and last k whose multiple k·q lies in [low, high]; first > last when none does. */
function multiplesWithin(low: number, high: number, q: number): { first: number; last: number } {
  // Division rounds (0.3 / 0.1 is 2.9999999999999996): settle each end by the multiple itself.
  let first = Math.ceil(low / q);
  if (multiple(first - 1, q) >= low) first -= 1;
  if (multiple(first, q) < low) first += 1;
  let last = Math.floor(high / q);
  if (multiple(last + 1, q) <= high) last += 1;
  if (multiple(last, q) > high) last -= 1;
  return { first, last };
}
