/** The spec's `data` section turned into loaded, normalized image sets, by its dataset kind (@xp/data's registry). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedCnnSpec } from '@xp/core';
import type { RunContext } from '../../types.ts';
import { datasetCacheDirectory, loadDataset, type DatasetRequest, type DatasetSpec, type LoadedDataset } from '@xp/data';

/** What @xp/data is asked for: relative paths resolve from the spec file, not the shell. */
export function datasetRequest(spec: ResolvedCnnSpec, specFile: string, log?: (line: string) => void): DatasetRequest {
  return {
    spec: spec.data as DatasetSpec,
    target: { input: spec.model.input, classes: spec.model.classes },
    baseDirectory: dirname(specFile),
    seed: spec.seed,
    cacheDirectory: datasetCacheDirectory(),
    log,
  };
}

export function loadTrainingData(spec: ResolvedCnnSpec, specFile: string, log?: (line: string) => void): Promise<LoadedDataset> {
  return loadDataset(datasetRequest(spec, specFile, log));
}

/** The run's file of class names: label k is names[k] (the numbers as text where the data has no names). */
export const CLASSES_FILE = 'classes.json';

/**
 * Records what the data turned out to be: classes.json (class count and names, for the pictures,
 * `xp compare` and `xp predict`), the class count as a param, and the normalization computed by
 * `normalize: auto` as params (the spec only says "auto").
 */
export async function recordDataset(ctx: RunContext, data: LoadedDataset): Promise<void> {
  const names = data.classNames ?? Array.from({ length: data.classes }, (_, k) => String(k));
  const file = join(ctx.run.artifactDir, CLASSES_FILE);
  await mkdir(ctx.run.artifactDir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ classes: data.classes, names, named: data.classNames !== undefined }, null, 2)}\n`);
  await ctx.run.logArtifact(file);
  const params: Record<string, string> = { 'data.classes': String(data.classes) };
  if (ctx.spec.data?.normalize === 'auto') {
    params['data.normalize.auto.mean'] = data.normalization.mean.map((v) => v.toPrecision(6)).join(',');
    params['data.normalize.auto.std'] = data.normalization.std.map((v) => v.toPrecision(6)).join(',');
    ctx.log(`data: normalize auto: mean ${params['data.normalize.auto.mean']}, std ${params['data.normalize.auto.std']} (per channel, from the training set)`);
  }
  if (data.fromCache) ctx.log('data: decoded images read from the dataset cache');
  await ctx.run.logParams(params);
}
