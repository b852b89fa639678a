/**
 * The IDX reader's memory is bounded by what is asked for, not by what a file claims (#26.7): each
 * case reads in a child process whose peak RSS /usr/bin/time measures. Sparse files make the large
 * cases cheap to build: 2 GiB on disk is a header and a hole.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { skipReason } from '../../../tests/fixtures/mlflow-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-idx-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const IDX = resolve(import.meta.dirname, 'idx.ts');
const TSX = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
// GNU time measures the peak RSS; under CI it must be there (.ci/run installs it).
const hasTime = skipReason('/usr/bin/time (apt-get install time)', existsSync('/usr/bin/time')) === null;

function imagesHeader(count: number, rows: number, cols: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(2051, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(rows, 8);
  header.writeUInt32BE(cols, 12);
  return header;
}

/** A file of `size` bytes: the header, then a hole. */
function sparseFile(name: string, header: Buffer, size: number): string {
  const file = join(dir, name);
  const fd = openSync(file, 'w');
  writeSync(fd, header, 0, header.length, 0);
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

/** Reads `file` with readIdxImages(file, {limit}) in a child; its result or error, its peak RSS and how long it took. */
function readInChild(file: string, limit?: number): { result: string; peakMb: number; seconds: number } {
  const script = join(dir, 'read.ts');
  writeFileSync(
    script,
    `import { readIdxImages } from ${JSON.stringify(IDX)};
try {
  const images = readIdxImages(${JSON.stringify(file)}, ${limit === undefined ? '{}' : `{ limit: ${limit} }`});
  console.log(JSON.stringify({ ok: true, count: images.count, fileCount: images.fileCount, bytes: images.pixels.length }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, message: error.message }));
}
`,
  );
  const started = Date.now();
  const child = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', TSX, script], { encoding: 'utf8', timeout: 120_000 });
  const peak = /peak-rss-kb (\d+)/.exec(child.stderr);
  expect(peak, child.stderr).not.toBeNull();
  return { result: child.stdout.trim(), peakMb: Number(peak?.[1]) / 1024, seconds: (Date.now() - started) / 1000 };
}

// tsx and node alone take about 100 MB; the unbounded reader reached 2.35–2.46 GB on these files.
const BOUND_MB = 300;

describe.skipIf(!hasTime)('IDX reader memory', () => {
  it('refuses a 2 GiB sparse file whose header claims 2^31 images, before reading it, naming the file', () => {
    const file = sparseFile('claims-2g-images', imagesHeader(2 ** 31, 28, 28), 2 * 1024 ** 3);
    const { result, peakMb } = readInChild(file);
    const parsed = JSON.parse(result) as { ok: boolean; message: string };
    expect(parsed.ok).toBe(false);
    expect(parsed.message).toBe(`${file}: truncated file: expected ${16 + 2 ** 31 * 784} bytes (2147483648 × 28 × 28 + 16-byte header), found ${2 * 1024 ** 3} bytes`);
    expect(peakMb).toBeLessThan(BOUND_MB);
  });

  it('reads only the images a limit asks for from a sound 1.5 GiB file, and refuses the whole file as more than 1 GiB', () => {
    const count = 1536 * 1024; // 1 KiB images: 1.5 GiB of pixels
    const file = sparseFile('sound-1_5g', imagesHeader(count, 32, 32), 16 + count * 1024);
    const limited = readInChild(file, 1000);
    expect(JSON.parse(limited.result)).toEqual({ ok: true, count: 1000, fileCount: count, bytes: 1000 * 1024 });
    expect(limited.peakMb).toBeLessThan(BOUND_MB);
    const whole = readInChild(file);
    const parsed = JSON.parse(whole.result) as { ok: boolean; message: string };
    expect(parsed.ok).toBe(false);
    expect(parsed.message).toMatch(new RegExp(`^${file}: more data than xp reads from one file: expected at most ${1024 ** 3} bytes`));
    expect(whole.peakMb).toBeLessThan(BOUND_MB);
  });

  it('inflates a gzip bomb (1 MB that expands to 1 GiB) only as far as the limit, and stops at the first byte its header does not account for', async () => {
    const rows = 32;
    const total = 1024 ** 3;
    const count = total / (rows * rows);
    const file = join(dir, 'bomb.gz');
    // The bomb claims fewer images than it holds: without a limit the reader must stop, not inflate 1 GiB.
    async function* content() {
      yield imagesHeader(count / 4, rows, rows);
      const zeros = Buffer.alloc(1 << 20);
      for (let i = 0; i < total / zeros.length; i++) yield zeros;
    }
    await pipeline(Readable.from(content()), createGzip({ level: 1 }), createWriteStream(file));
    const limited = readInChild(file, 1000);
    expect(JSON.parse(limited.result)).toEqual({ ok: true, count: 1000, fileCount: count / 4, bytes: 1000 * 1024 });
    expect(limited.peakMb).toBeLessThan(BOUND_MB);
    const whole = readInChild(file);
    const parsed = JSON.parse(whole.result) as { ok: boolean; message: string };
    expect(parsed).toEqual({ ok: false, message: expect.stringMatching(new RegExp(`^${file}: file longer than its header says: expected ${16 + total / 4} bytes`)) });
    // The 256 MiB the header claims, plus what the child itself takes.
    expect(whole.peakMb).toBeLessThan(256 + BOUND_MB);
  }, 120_000);
});
