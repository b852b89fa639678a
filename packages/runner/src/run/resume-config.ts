/**
 * What `xp run --resume` continues: the configuration the run recorded (its resolved-spec.json
 * artifact), not whatever the spec and the command line say today. A resumed run that trained on
 * another configuration than the one its params record would be a different experiment under an old
 * name. So the recorded spec is what resumes; what differs today is listed, and overrides typed with
 * --resume that would change it are refused, every difference listed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenToDotted, resolveSpecValue, SpecError, withSeed, type ResolvedSpec } from '@xp/core';

export const RECORDED_SPEC_FILE = 'resolved-spec.json';

export class ResumeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeConfigError';
  }
}

/** One field whose value differs between the recorded run and today's spec with its overrides. */
export interface ConfigDifference {
  path: string;
  recorded: unknown;
  now: unknown;
}

/** The resolved spec (with its seed) the run recorded when it started, from its local outputs. */
export function recordedSpec(runDir: string, runId: string): ResolvedSpec {
  const file = join(runDir, RECORDED_SPEC_FILE);
  if (!existsSync(file)) throw new ResumeConfigError(`cannot resume run ${runId}: it recorded no ${RECORDED_SPEC_FILE} (in ${runDir}), so what it trained is not known`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ResumeConfigError(`cannot resume run ${runId}: its ${file} is not readable JSON (${(error as Error).message})`);
  }
  // Validated again, so that a default this xp version added is filled in as loading fills it.
  try {
    return resolveSpecValue(value, file);
  } catch (error) {
    if (error instanceof SpecError) throw new ResumeConfigError(`cannot resume run ${runId}: the configuration it recorded is not a valid spec for this xp version:\n${error.message}`);
    throw error;
  }
}

/** Every dotted path whose value differs, in the order of the recorded spec, then the paths only today's has. */
export function configDifferences(recorded: ResolvedSpec, now: ResolvedSpec, seed: number): ConfigDifference[] {
  const before = flattenToDotted(withSeed(recorded, seed));
  const after = flattenToDotted(withSeed(now, seed));
  const paths = [...Object.keys(before), ...Object.keys(after).filter((path) => !(path in before))];
  return paths.filter((path) => JSON.stringify(before[path]) !== JSON.stringify(after[path])).map((path) => ({ path, recorded: before[path], now: after[path] }));
}

function shown(value: unknown): string {
  return value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** "data.trainLimit: 2000 recorded, (absent) now" lines, one per difference. */
export function describeDifferences(differences: readonly ConfigDifference[]): string[] {
  return differences.map((d) => `${d.path}: ${shown(d.recorded)} recorded, ${shown(d.now)} now`);
}

/**
 * The spec a resumed run trains on. Overrides typed with --resume that change the recorded
 * configuration are refused; without overrides, an edited spec file is noted and not applied.
 */
export function resumeSpec(options: { recorded: ResolvedSpec; now: ResolvedSpec; seed: number; runId: string; overridesTyped: string[]; note: (line: string) => void }): ResolvedSpec {
  const differences = configDifferences(options.recorded, options.now, options.seed);
  if (differences.length === 0) return options.recorded;
  const lines = describeDifferences(differences).map((line) => `  ${line}`);
  if (options.overridesTyped.length > 0) {
    throw new ResumeConfigError(
      `--resume ${options.runId}: a resumed run continues the configuration it recorded, and with ${options.overridesTyped.join(' ')} it would differ in ${differences.length} field(s):\n${lines.join('\n')}\n` +
        'Resume without the overrides (the run goes on as recorded), or start a new run with them (without --resume).',
    );
  }
  options.note(`resuming run ${options.runId} with the configuration it recorded (${RECORDED_SPEC_FILE}); the spec differs today in ${differences.length} field(s), not applied:\n${lines.join('\n')}`);
  return options.recorded;
}
