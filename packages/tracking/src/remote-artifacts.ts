/**
 * A server run's artifacts while the run is still going. RestRun uploads a run's outputs at end();
 * a run that may be taken over by another machine (a queue worker killed mid-job) cannot wait for
 * that: its checkpoint goes to the artifact proxy as soon as it is written, and the machine that
 * continues the run fetches the run's files back before it starts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { listFilesRecursive } from './atomic-fs.ts';
import { TrackingError } from './errors.ts';
import { withRetry } from './retry.ts';
import type { RestStore } from './rest-store.ts';
import { getRun, proxyRoot } from './server-ops.ts';

/** Where run `runId`'s artifacts are in the server's artifact proxy; refused where the server does not proxy them. */
async function runProxyRoot(store: RestStore, runId: string): Promise<string> {
  const { info } = await getRun(store.client, runId, store.retry);
  const root = proxyRoot(info.artifact_uri);
  if (root === null) {
    throw new TrackingError(
      `${store.url} does not proxy artifacts (run ${runId}'s artifact URI is ${info.artifact_uri}): start it with 'mlflow server --serve-artifacts' so that workers on other machines share checkpoints`,
    );
  }
  return root;
}

/**
 * Sends `localPath` (a file, or every file under a folder) to run `runId`'s artifacts at
 * `artifactPath` (relative to the run's artifact root) now, not at the run's end.
 */
export async function uploadArtifactNow(store: RestStore, runId: string, localPath: string, artifactPath: string): Promise<void> {
  const root = await runProxyRoot(store, runId);
  const stat = await fs.stat(localPath);
  const files = stat.isDirectory() ? (await listFilesRecursive(localPath)).map((rel) => ({ local: path.join(localPath, rel), remote: `${artifactPath}/${rel}` })) : [{ local: localPath, remote: artifactPath }];
  for (const file of files) {
    const content = await fs.readFile(file.local);
    await withRetry(() => store.client.putArtifact(`${root}/${file.remote}`, content), store.retry);
  }
}

/**
 * Fetches every artifact of run `runId` under `subPath` (default: all of them) into `localDir`,
 * keeping their relative paths; returns those paths. Each file is written whole under a temporary
 * name and renamed, so a download cut short never leaves a torn checkpoint behind.
 */
export async function downloadRunArtifacts(store: RestStore, runId: string, localDir: string, subPath = ''): Promise<string[]> {
  const root = await runProxyRoot(store, runId);
  const fetched: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await withRetry(() => store.client.listArtifacts(rel ? `${root}/${rel}` : root), store.retry);
    for (const entry of entries) {
      // The proxy lists paths relative to the folder asked about; older servers give them from the root.
      const name = entry.path.includes('/') ? entry.path.slice(entry.path.lastIndexOf('/') + 1) : entry.path;
      const child = rel ? `${rel}/${name}` : name;
      if (entry.is_dir) {
        await walk(child);
        continue;
      }
      const content = await withRetry(() => store.client.getArtifact(`${root}/${child}`), store.retry);
      const target = path.join(localDir, ...child.split('/'));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(`${target}.download`, content);
      await fs.rename(`${target}.download`, target);
      fetched.push(child);
    }
  };
  await walk(subPath.replace(/^\/+|\/+$/g, ''));
  return fetched;
}
