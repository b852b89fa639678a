/**
 * File writes that a concurrent reader (MLflow's UI, `xp compare`, another xp process) never sees
 * half-done.
 *
 * Whole-file replacement is write-file-atomic's (temp file, fsync, rename, temp removed on exit),
 * except where the temp file must not sit beside its target: MLflow reads every file in a run's
 * params/, tags/ and metrics/ folders as a key, and write-file-atomic always puts its temp file
 * (`<name>.<hash>`) in the target's own folder, with no option to move it. Measured with its
 * tmpfileCreated hook: in 200 of 200 writes into a params/ folder, a listing taken mid-write saw the
 * extra `<key>.<hash>` file, which MLflow would show as a param; and a SIGKILL mid-write (which no
 * exit handler survives) would leave it there for good. Those writes keep a temp file in the run's
 * own folder and rename it across (writeKeyFileAtomic).
 *
 * Appends have no library: one write(2) on an O_APPEND descriptor is the whole technique.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomicLib from 'write-file-atomic';
import { TrackingError } from './errors.ts';

/** Replaces `file` whole: readers see the old or the new content, never a torn one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await writeFileAtomicLib(file, content, { encoding: 'utf8' });
}

/**
 * The same for a file in one of MLflow's key folders (params/, tags/): the temp file is made in
 * `tempDir` (outside those folders, on the same filesystem, since rename is only atomic there) and
 * renamed over `file`. See the module header for why write-file-atomic cannot do this one.
 */
export async function writeKeyFileAtomic(file: string, content: string, tempDir: string): Promise<void> {
  const temp = path.join(tempDir, `.xp-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(temp, content, 'utf8');
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Appends in ONE write(2) on an O_APPEND descriptor: the kernel places each such write at the end of
 * file, so appends from several processes interleave whole, never mixed within a line.
 */
export async function appendAtomic(file: string, content: string): Promise<void> {
  const handle = await fs.open(file, 'a');
  try {
    const buffer = Buffer.from(content, 'utf8');
    const { bytesWritten } = await handle.write(buffer, 0, buffer.length);
    if (bytesWritten !== buffer.length) throw new Error(`short append to ${file}: ${bytesWritten} of ${buffer.length} bytes`);
  } finally {
    await handle.close();
  }
}

export async function readFileOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Every file under `dir`, as paths relative to it with '/' separators. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(sub: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(path.join(dir, sub), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.isFile()) out.push(rel);
    }
  }
  await walk('');
  return out.sort();
}

/**
 * Copies a file (or directory) into a run's artifact directory, under `artifactPath` if given; a file
 * already in place is left alone, and a path that would leave the directory is refused.
 */
export async function copyIntoArtifacts(artifactDir: string, localPath: string, artifactPath?: string): Promise<void> {
  const target = path.resolve(artifactDir, artifactPath ?? '', path.basename(localPath));
  if (!target.startsWith(path.resolve(artifactDir) + path.sep)) {
    throw new TrackingError(`artifact path ${JSON.stringify(artifactPath)} leaves the run's artifact directory`);
  }
  if (path.resolve(localPath) === target) return;
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.cp(localPath, target, { recursive: true });
}
