/**
 * File writes that a concurrent reader (MLflow's UI, `xp compare`, another xp process) never sees
 * half-done.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TrackingError } from './errors.ts';

/**
 * Writes to a temp file in `tempDir` and renames it over `file`: readers see the old or the new
 * content, never a torn one. The temp file must live outside MLflow's params/ tags/ metrics/ folders
 * (MLflow reads every file in them), and on the same filesystem (rename is only atomic there).
 */
export async function writeFileAtomic(file: string, content: string, tempDir = path.dirname(file)): Promise<void> {
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
