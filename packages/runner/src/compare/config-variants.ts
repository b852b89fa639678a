/**
 * Runs that share a variant name but not a configuration are different variants. `xp run spec.yaml
 * train.epochs=1` and `... train.epochs=2` both record the variant `spec`; their resolved specs (their
 * params, the seed aside: what the job hash covers besides the seed) differ, so neither is a seed of the
 * other. Each configuration becomes its own variant, named by what differs: `spec (train.epochs=1)`.
 */
import type { ComparedRun } from './compared-run.ts';

/** Params that tell seeds apart, not configurations. */
const SEED_PARAMS = new Set(['seed', 'seeds']);

const configurationOf = (run: ComparedRun): string =>
  JSON.stringify(
    Object.keys(run.params)
      .filter((key) => !SEED_PARAMS.has(key))
      .sort()
      .map((key) => [key, run.params[key]]),
  );

/** At most this many differing params name a configuration; more are counted. */
const NAMED = 3;

/** The runs, with `variant` renamed where one variant name covers several configurations. */
export function splitVariantsByConfiguration(runs: readonly ComparedRun[]): ComparedRun[] {
  const byVariant = new Map<string, ComparedRun[]>();
  for (const run of runs) byVariant.set(run.variant, [...(byVariant.get(run.variant) ?? []), run]);
  const renamed = new Map<ComparedRun, string>();
  for (const [variant, own] of byVariant) {
    const configurations = new Map<string, ComparedRun[]>();
    for (const run of own) configurations.set(configurationOf(run), [...(configurations.get(configurationOf(run)) ?? []), run]);
    if (configurations.size < 2) continue;
    const keys = [...new Set(own.flatMap((run) => Object.keys(run.params)))].filter((key) => !SEED_PARAMS.has(key)).sort();
    const differing = keys.filter((key) => new Set(own.map((run) => run.params[key])).size > 1);
    for (const members of configurations.values()) {
      const parts = differing.slice(0, NAMED).map((key) => `${key}=${members[0].params[key] ?? '(none)'}`);
      const more = differing.length > NAMED ? `, +${differing.length - NAMED} more` : '';
      for (const run of members) renamed.set(run, `${variant} (${parts.join(', ')}${more})`);
    }
  }
  return runs.map((run) => (renamed.has(run) ? { ...run, variant: renamed.get(run)! } : run));
}
