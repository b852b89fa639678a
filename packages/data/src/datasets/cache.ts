/**
 * Decoded datasets on disk, keyed by the content of their files: the second run of a 60,000-image
 * folder reads one file of pixels instead of decoding 60,000 images. The key is a SHA-256 over the
 * kind, the settings that change the pixels (target size, channels, resize) and every source file's
 * relative path and bytes, so an edited, added or removed image makes a new entry; nothing is
 * trusted from file times.
 *
 * An entry is one file: a JSON header line (shape, counts, class names), then the pixels and the
 * labels. It is written to a temporary name and renamed, so a crash never leaves half an entry.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PixelSet } from './pixels.ts';

/** Where decoded datasets (and remembered content keys) are cached: XP_DATASET_CACHE, else .xp/cache/datasets/ under the working directory. */
export function datasetCacheDirectory(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.XP_DATASET_CACHE ?? join(cwd, '.xp', 'cache', 'datasets');
}

/** Bumped when the entry layout or a decoder's output changes, so old entries are not read. */
const CACHE_FORMAT = 1;

export interface CachedSplits {
  splits: Record<string, PixelSet>;
  classNames?: string[];
  skipped: { count: number; examples: string[] };
}

/**
 * A content key: kind and settings, then each file's path (relative, as given) and bytes, in the order
 * given. Reading 70,000 small files to hash them costs more than reading the cached pixels, so, as
 * git's index does, the key is remembered under a fingerprint of the files' stat data (size, mtime,
 * ctime, inode): while none of those changed, the bytes are not read again. Any change to a file
 * changes its ctime, so an edited file is always hashed anew.
 */
export function contentKey(kind: string, settings: unknown, files: readonly { name: string; path: string }[], directory?: string): string {
  if (directory === undefined) return hashContent(kind, settings, files);
  const stats = createHash('sha256');
  stats.update(JSON.stringify({ format: CACHE_FORMAT, kind, settings }));
  for (const file of files) {
    const s = statSync(file.path, { bigint: true });
    stats.update(`\0${file.name}\0${file.path}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}\0${s.ino}`);
  }
  const remembered = join(directory, `${stats.digest('hex')}.key`);
  if (existsSync(remembered)) {
    const key = readFileSync(remembered, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(key)) return key;
  }
  const key = hashContent(kind, settings, files);
  mkdirSync(directory, { recursive: true });
  const temporary = `${remembered}.${process.pid}.tmp`;
  writeFileSync(temporary, `${key}\n`);
  renameSync(temporary, remembered);
  return key;
}

function hashContent(kind: string, settings: unknown, files: readonly { name: string; path: string }[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: CACHE_FORMAT, kind, settings }));
  for (const file of files) {
    hash.update(`\0${file.name}\0`);
    hash.update(readFileSync(file.path));
  }
  return hash.digest('hex');
}

function entryPath(directory: string, key: string): string {
  return join(directory, `${key}.xpds`);
}

interface Header {
  format: number;
  splits: { name: string; count: number; height: number; width: number; channels: number }[];
  classNames?: string[];
  skipped: { count: number; examples: string[] };
}

export function readCachedDataset(directory: string, key: string): CachedSplits | null {
  const file = entryPath(directory, key);
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return null;
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Header;
  if (header.format !== CACHE_FORMAT) return null;
  let at = newline + 1;
  const splits: Record<string, PixelSet> = {};
  for (const split of header.splits) {
    const size = split.count * split.height * split.width * split.channels;
    const pixels = new Uint8Array(bytes.buffer, bytes.byteOffset + at, size).slice();
    at += size;
    const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + at, split.count).slice();
    at += split.count;
    splits[split.name] = { count: split.count, height: split.height, width: split.width, channels: split.channels, pixels, labels };
  }
  if (at !== bytes.length) return null;
  return { splits, classNames: header.classNames, skipped: header.skipped };
}

export function writeCachedDataset(directory: string, key: string, entry: CachedSplits): void {
  mkdirSync(directory, { recursive: true });
  const header: Header = {
    format: CACHE_FORMAT,
    splits: Object.entries(entry.splits).map(([name, s]) => ({ name, count: s.count, height: s.height, width: s.width, channels: s.channels })),
    classNames: entry.classNames,
    skipped: entry.skipped,
  };
  const final = entryPath(directory, key);
  const temporary = `${final}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify(header)}\n`);
    for (const split of Object.values(entry.splits)) {
      writeSync(fd, split.pixels);
      writeSync(fd, split.labels);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, final);
}

