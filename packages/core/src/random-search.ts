/**
 * Random search (`sweep.random`): the trials a seed and a space stand for. Each sampled path has its
 * own stream, seeded by the sampling seed and the path, and trial n takes that stream's n-th value:
 * so the same seed gives the same trials, raising `trials` keeps the earlier ones, and adding or
 * removing a path leaves the other paths' values as they were.
 */
import type { PathSegment } from './paths.ts';
import { checkDistribution, distributionKind, drawValue, readDistribution } from './sample-space.ts';
import { seededRandom, textKey } from './seeded-random.ts';
import type { ExperimentSpec } from './spec-types.ts';
import type { SpecIssue } from './errors.ts';
import type { PathLocator } from './validate.ts';

export type RandomSearch = NonNullable<NonNullable<ExperimentSpec['sweep']>['random']>;

/** The schema's default for sweep.random.seed. */
export const DEFAULT_SAMPLING_SEED = 0;

export interface SampledValue {
  /** The dotted path, as written in the space. */
  path: string;
  value: unknown;
  /** Where the value stands in the spec: the option a choice drew, else the distribution. */
  origin: PathSegment[];
}

export interface Trial {
  /** 1-based. */
  number: number;
  /** trial-01, trial-02, ...: as many digits as the largest number needs, at least two. */
  name: string;
  /** One per path of the space, in the order written. */
  values: SampledValue[];
}

export function sampleTrials(random: RandomSearch): Trial[] {
  const seed = random.seed ?? DEFAULT_SAMPLING_SEED;
  const columns = Object.entries(random.space).map(([path, written]) => {
    const source = seededRandom(seed, textKey(path));
    const distribution = readDistribution(written);
    const at: PathSegment[] = ['sweep', 'random', 'space', path, distributionKind(written)];
    return Array.from({ length: random.trials }, (): SampledValue => {
      const draw = drawValue(distribution, source);
      return { path, value: draw.value, origin: draw.option === undefined ? at : [...at, draw.option] };
    });
  });
  return Array.from({ length: random.trials }, (_, i) => ({
    number: i + 1,
    name: trialName(i + 1, random.trials),
    values: columns.map((column) => column[i]),
  }));
}

export function trialName(number: number, trials: number): string {
  const digits = Math.max(2, String(trials).length);
  return `trial-${String(number).padStart(digits, '0')}`;
}

/** Each distribution's own checks (./sample-space.ts), for a schema-valid random search. */
export function checkRandomSearch(random: RandomSearch, locate: PathLocator): SpecIssue[] {
  return Object.entries(random.space).flatMap(([path, written]) =>
    checkDistribution(written, ['sweep', 'random', 'space', path, distributionKind(written)], locate),
  );
}
