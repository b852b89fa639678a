/**
 * Seeds as an axis of the experiment: every variant runs once per seed, because a result on one seed
 * is an anecdote. A spec gives `seed: N` (one run per variant) or `seeds: [..]`; `xp run --seeds`
 * overrides either. The run's own spec carries the single `seed` it trained with, never `seeds`.
 */
import type { ExperimentSpec } from './spec-types.ts';
import type { ResolvedSpec } from './resolved-spec.ts';

const MAX_SEEDS = 1000;

export class SeedsOptionError extends Error {
  constructor(readonly text: string, reason: string) {
    super(`--seeds ${JSON.stringify(text)}: ${reason}; expected a count N (seeds 1..N), a range A..B or a comma-separated list of seeds, e.g. --seeds 5, --seeds 3..5 or --seeds 3,7,11`);
    this.name = 'SeedsOptionError';
  }
}

/** `--seeds 5` is seeds 1..5; `--seeds 3..5` is seeds 3, 4, 5 (`7..7` is seed 7 alone); `--seeds 3,7,11` is those three. */
export function parseSeedsOption(text: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (from > to) throw new SeedsOptionError(text, `a range must run upwards (${to}..${from}?)`);
    if (to - from + 1 > MAX_SEEDS) throw new SeedsOptionError(text, `more than ${MAX_SEEDS} seeds`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part))) throw new SeedsOptionError(text, 'not a whole number or list of whole numbers');
  const numbers = parts.map(Number);
  if (parts.length === 1) {
    const count = numbers[0];
    if (count < 1 || count > MAX_SEEDS) throw new SeedsOptionError(text, `a count must be between 1 and ${MAX_SEEDS}`);
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  if (new Set(numbers).size !== numbers.length) throw new SeedsOptionError(text, 'a seed is listed twice');
  if (numbers.length > MAX_SEEDS) throw new SeedsOptionError(text, `more than ${MAX_SEEDS} seeds`);
  return numbers;
}

/** The seeds a (validated) spec asks for: `seeds`, else its single `seed`. */
export function seedsOf(spec: ResolvedSpec): number[] {
  return spec.seeds ? [...spec.seeds] : [spec.seed];
}

/** The spec of one run: the given seed, no `seeds` list. */
export function withSeed<Spec extends ExperimentSpec>(spec: Spec, seed: number): Spec {
  const { seeds: _seeds, ...rest } = spec;
  return { ...rest, seed } as Spec;
}

/** How many of a variant's seeds must pass: constraints.minPassingSeeds, capped at the seeds run, default all. */
export function requiredPassingSeeds(spec: ExperimentSpec, seedCount: number): number {
  return Math.min(spec.constraints?.minPassingSeeds ?? seedCount, seedCount);
}
