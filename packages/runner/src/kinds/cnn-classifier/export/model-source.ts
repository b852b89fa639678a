/**
 * Which exported model `xp predict` and `xp export` mean: a folder (model/ itself, or a run's
 * artifact folder holding it), or a run id or its unique prefix (as `--resume` takes), looked up in
 * the tracking store; a run on an MLflow server whose outputs are not on this machine has its
 * model/ downloaded through the server's artifact proxy.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadRunArtifacts, findRunToResume, RestStore, TrackingError, type OpenedTrackingStore } from '@xp/tracking';
import { MODEL_DIR, MODEL_FILES } from './model-metadata.ts';

/** No exported model where one was asked for; the message says how to get one (exit 2). */
export class NoExportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoExportedModelError';
  }
}

export interface LocatedModel {
  /** The folder holding model.json, weights.bin and xp-model.json. */
  dir: string;
  /** How the user named it, for messages. */
  description: string;
  /** Removes what was downloaded (nothing for a local folder). */
  release(): void;
}

const HOW_TO_GET_ONE =
  'a cnn-classifier run logs one (model/) when it finishes; an older run, an interrupted one or a toy-mlp run has none: train the spec again with `xp run SPEC` (an interrupted run: `xp run SPEC --resume ID`)';

/** The model folder inside `dir`, if it is one or holds one. */
function modelFolderIn(dir: string): string | null {
  if (existsSync(join(dir, MODEL_FILES.metadata))) return dir;
  if (existsSync(join(dir, MODEL_DIR, MODEL_FILES.metadata))) return join(dir, MODEL_DIR);
  return null;
}

/** `target` as a folder if one exists at that path, else as a run id in `store` (opened only then). */
export async function locateModel(target: string, openStore: () => OpenedTrackingStore): Promise<LocatedModel> {
  if (existsSync(target) && statSync(target).isDirectory()) {
    const dir = modelFolderIn(target);
    if (dir === null) throw new NoExportedModelError(`${target} holds no exported model (no ${MODEL_FILES.metadata}, nor ${MODEL_DIR}/${MODEL_FILES.metadata}); ${HOW_TO_GET_ONE}`);
    return { dir, description: target, release: () => undefined };
  }
  if (!/^[\w-]+$/.test(target)) throw new NoExportedModelError(`${target}: no such folder, and not a run id`);
  const store = openStore();
  let run;
  try {
    run = await findRunToResume(store, target);
  } catch (error) {
    if (error instanceof TrackingError) throw new NoExportedModelError(`${target}: ${error.message} (in ${store.description}; a folder of that name does not exist either)`);
    throw error;
  }
  const description = `run ${run.runId.slice(0, 8)} (${run.name}, ${run.experimentName})`;
  const local = await store.localArtifactDir(run.runId);
  const found = local === null ? null : modelFolderIn(local);
  if (found !== null) return { dir: found, description, release: () => undefined };
  if (store instanceof RestStore) {
    const downloaded = mkdtempSync(join(tmpdir(), 'xp-model-'));
    const release = () => rmSync(downloaded, { recursive: true, force: true });
    try {
      const files = await downloadRunArtifacts(store, run.runId, downloaded, MODEL_DIR);
      const dir = files.length > 0 ? modelFolderIn(downloaded) : null;
      if (dir !== null) return { dir, description, release };
    } catch (error) {
      release();
      if (!(error instanceof TrackingError)) throw error;
      throw new NoExportedModelError(`${description} has no exported model that could be fetched from ${store.description}: ${error.message}`);
    }
    release();
  }
  throw new NoExportedModelError(`${description} has no exported model (no ${MODEL_DIR}/ among its outputs in ${store.description}): ${HOW_TO_GET_ONE}`);
}
