/**
 * What `sweep.optuna` asks for, read and checked before anything runs: the study's settings (its
 * name, its storage with a relative sqlite path resolved from the spec's directory, the sampler, and
 * what it optimises: the kind's primary metric in its direction), and what the schema cannot check
 * (each distribution's bounds, that Optuna searches alone, that Python can import Optuna). Every
 * command that loads a spec runs the checks, so a missing `pip install optuna` is exit 2 with that
 * advice, never a failure halfway through a sweep.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkDistribution, distributionKind, type ExperimentSpec, type LoadedExperiment, type SpecIssue } from '@xp/core';
import { kindOf } from '../../kinds/registry.ts';
import { optunaAvailability } from './optuna-bridge.ts';

export type OptunaSearchSpec = NonNullable<NonNullable<ExperimentSpec['sweep']>['optuna']>;

export interface OptunaSettings {
  study: string;
  /** As Optuna takes it (SQLAlchemy URL); a relative sqlite path made absolute. */
  storage: string;
  /** The storage with any password masked, for logs and tags. */
  storageShown: string;
  sampler: 'tpe' | 'random';
  seed: number;
  startupTrials?: number;
  trials: number;
  /** The value told to Optuna: the kind's primary metric. */
  metric: string;
  direction: 'maximize' | 'minimize';
}

export function optunaSearchOf(spec: Pick<ExperimentSpec, 'sweep'>): OptunaSearchSpec | undefined {
  return spec.sweep?.optuna;
}

export function optunaSettings(experiment: Pick<LoadedExperiment, 'spec' | 'file'>): OptunaSettings {
  const search = optunaSearchOf(experiment.spec);
  if (!search) throw new TypeError(`${experiment.file} has no sweep.optuna`);
  const kind = kindOf(experiment.spec);
  const metric = kind.primaryMetric;
  const storage = resolveStorage(search.storage, dirname(resolve(experiment.file)));
  return {
    study: search.study ?? experiment.spec.name,
    storage,
    storageShown: storage.replace(/^([^:]+:\/\/[^:/@]+):[^@/]*@/, '$1:***@'),
    sampler: search.sampler ?? 'tpe',
    seed: search.seed ?? 0,
    ...(search.startupTrials === undefined ? {} : { startupTrials: search.startupTrials }),
    trials: search.trials,
    metric,
    direction: kind.metricDirections[metric] === 'min' ? 'minimize' : 'maximize',
  };
}

/**
 * sqlite:///relative.db is relative to the spec's directory (as data paths are), not to wherever
 * xp was started. Other URLs are Optuna's business.
 */
export function resolveStorage(url: string, specDir: string): string {
  const file = sqliteFileOf(url);
  if (file === undefined) return url;
  return `sqlite:///${isAbsolute(file) ? file : resolve(specDir, file)}${url.slice(url.indexOf(file) + file.length)}`;
}

/** The database file of a sqlite URL (as written: relative or absolute), else undefined. */
export function sqliteFileOf(url: string): string | undefined {
  const sqlite = /^sqlite:\/\/\/([^?]+)/.exec(url);
  return sqlite && sqlite[1] !== ':memory:' ? sqlite[1] : undefined;
}

/** SQLite creates the database file but not its directory: made before the study is opened. */
export function prepareStorage(storage: string): void {
  const file = sqliteFileOf(storage);
  if (file !== undefined) mkdirSync(dirname(file), { recursive: true });
}

/** The problems of a schema-valid spec's sweep.optuna; none where it has none. */
export async function checkOptunaSearch(experiment: LoadedExperiment, env: NodeJS.ProcessEnv): Promise<SpecIssue[]> {
  const search = optunaSearchOf(experiment.spec);
  if (!search) return [];
  const locate = experiment.variants[0].locate;
  const issues: SpecIssue[] = [];
  const others = (['grid', 'variants', 'random'] as const).filter((key) => experiment.spec.sweep?.[key] !== undefined);
  if (others.length > 0) {
    issues.push({
      path: 'sweep.optuna',
      message: `Optuna chooses every trial itself: it cannot be combined with ${others.map((key) => `sweep.${key}`).join(', ')}`,
      expected: 'sweep.optuna alone (sweep.scheduler may stop its trials early)',
      found: `sweep.optuna with ${others.map((key) => `sweep.${key}`).join(', ')}`,
      location: locate(['sweep', 'optuna']),
    });
  }
  for (const [path, written] of Object.entries(search.space)) {
    issues.push(...checkDistribution(written, ['sweep', 'optuna', 'space', path, distributionKind(written)], (at) => locate(at)));
  }
  const optuna = await optunaAvailability(env);
  if (!optuna.ok) {
    issues.push({
      path: 'sweep.optuna',
      message: `an Optuna search needs Optuna, which is not installed: ${optuna.reason}`,
      expected: 'Optuna importable by python3 (or by $XP_PYTHON)',
      found: 'no Optuna',
      hint: `install it with: ${optuna.python} -m pip install optuna (optuna-dashboard too, to watch the study)`,
      location: locate(['sweep', 'optuna']),
    });
  }
  return issues;
}
