/** What MLflow expects of keys, statuses and system tags, shared by the file and the server store. */
import os from 'node:os';
import path from 'node:path';
import { InvalidKeyError } from './errors.ts';
import type { MetricPoint, RunStatus } from './types.ts';

/** MLflow's integer status codes as stored in a file store's meta.yaml (mlflow.entities.RunStatus). */
export const RUN_STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, FINISHED: 3, FAILED: 4, KILLED: 5 };
const STATUS_BY_CODE: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'RUNNING', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

export function statusFromCode(code: unknown): RunStatus {
  return STATUS_BY_CODE[Number(code)] ?? 'RUNNING';
}

/** mlflow.entities.SourceType.LOCAL */
export const SOURCE_TYPE_LOCAL = 4;

export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_PARENT_RUN_ID = 'mlflow.parentRunId';

/**
 * The experiment tag by which MLflow's UI (3.x) chooses an experiment's view. Without it the UI infers
 * a kind and may open the experiment on "Traces" (GenAI); xp's runs are model training, which the UI's
 * ExperimentKind calls CUSTOM_MODEL_DEVELOPMENT ("custom_model_development", the value its own kind
 * selector writes; read from MLflow 3.17's UI bundle, mlflow/server/js/build).
 */
export const TAG_EXPERIMENT_KIND = 'mlflow.experimentKind';
export const EXPERIMENT_KIND_TRAINING = 'custom_model_development';

/** Same rule as mlflow.utils.validation: keys become file names in a file store, so no escaping paths. */
export function validateKey(key: string, what: 'param' | 'metric' | 'tag'): void {
  const normalized = path.posix.normalize(key);
  if (
    !key ||
    !/^[/\w.\- :]*$/.test(key) ||
    normalized !== key ||
    normalized === '.' ||
    normalized.startsWith('..') ||
    normalized.startsWith('/')
  ) {
    throw new InvalidKeyError(key, what);
  }
}

/** The tags MLflow's own client sets on every run, so the UI shows who ran what from where. */
export function systemTags(): Record<string, string> {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep 'unknown'.
  }
  return {
    'mlflow.user': user,
    'mlflow.source.name': process.argv[1] ? path.basename(process.argv[1]) : 'xp',
    'mlflow.source.type': 'LOCAL',
  };
}

/** MLflow's "latest value": the point with the largest step, then timestamp, then value. */
export function latestValues(points: Iterable<MetricPoint & { timestamp: number }>): Record<string, number> {
  const best = new Map<string, MetricPoint & { timestamp: number }>();
  for (const point of points) {
    const current = best.get(point.key);
    if (!current || compareLatest(point, current) > 0) best.set(point.key, point);
  }
  return Object.fromEntries([...best].map(([key, point]) => [key, point.value]));
}

function compareLatest(a: MetricPoint & { timestamp: number }, b: MetricPoint & { timestamp: number }): number {
  return a.step - b.step || a.timestamp - b.timestamp || a.value - b.value;
}

export function sortHistory<T extends MetricPoint & { timestamp: number }>(points: T[]): T[] {
  return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

/**
 * The experiment's runs in MLflow's UI. MLflow 3.x's UI keeps a global "GenAI / Model training" switch
 * (GenAI by default, remembered in the browser) that decides an experiment's view over its
 * experimentKind tag; `workflowType=machine_learning` in the link selects model training, so the link
 * opens on the runs table whatever the browser last chose.
 */
export function mlflowUiRunsLink(serverUrl: string, experimentId: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/#/experiments/${encodeURIComponent(experimentId)}/runs?workflowType=machine_learning`;
}
