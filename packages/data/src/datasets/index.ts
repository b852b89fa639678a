/**
 * The dataset kinds, chosen by the spec's `data.dataset`: one module each, registered by one line
 * here. Each one's fields are its `$defs/dataset-<name>` fragment in schemas/experiment.schema.json
 * (selected by an if/then on data.dataset); registry.test.ts fails when the two lists part.
 */
import { csvDataset } from './csv.ts';
import { idxDataset } from './idx.ts';
import { imageFolderDataset } from './image-folder.ts';
import { mnistDataset } from './mnist.ts';
import type { DatasetKind, DatasetRequest, LoadedDataset } from './types.ts';

export const DATASET_KINDS: Readonly<Record<string, DatasetKind>> = {
  mnist: mnistDataset,
  idx: idxDataset,
  'image-folder': imageFolderDataset,
  csv: csvDataset,
};

export { datasetCacheDirectory } from './cache.ts';

/**
 * One load per request in a process: the kind check loads (so bad data is an error before training)
 * and the run that follows in the same process takes the same sets.
 */
const loaded = new Map<string, Promise<LoadedDataset>>();

export function loadDataset(request: DatasetRequest): Promise<LoadedDataset> {
  const kind = DATASET_KINDS[request.spec.dataset];
  if (kind === undefined) throw new Error(`unknown dataset '${request.spec.dataset}'`);
  const key = JSON.stringify({ ...request, log: undefined });
  let pending = loaded.get(key);
  if (pending === undefined) {
    pending = kind.load(request);
    loaded.set(key, pending);
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

/** Forgets the loads kept for reuse (a long-lived worker between jobs; tests). */
export function forgetLoadedDatasets(): void {
  loaded.clear();
}
