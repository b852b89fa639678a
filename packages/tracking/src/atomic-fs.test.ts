/** Whole-file replacement through write-file-atomic, and key files whose temp file stays out of their folder. */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeKeyFileAtomic } from './atomic-fs.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('writeFileAtomic replaces a file whole and leaves no temp file', async () => {
    const file = path.join(dir, 'meta.yaml');
    writeFileSync(file, 'old: 1\n');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, `new: ${i}\n`)));
    expect(readFileSync(file, 'utf8')).toMatch(/^new: \d+\n$/);
    expect(readdirSync(dir)).toEqual(['meta.yaml']);
  });

  it('writeKeyFileAtomic never puts a file into the key folder other than the key itself', async () => {
    const runDir = path.join(dir, 'run');
    const params = path.join(runDir, 'params');
    mkdirSync(params, { recursive: true });
    const seen = new Set<string>();
    const watching = (async () => {
      for (let i = 0; i < 200; i++) {
        for (const name of readdirSync(params)) seen.add(name);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 50; i++) await writeKeyFileAtomic(path.join(params, `p${i % 5}`), String(i), runDir);
    await watching;
    for (const name of readdirSync(params)) seen.add(name);
    expect([...seen].sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(readFileSync(path.join(params, 'p4'), 'utf8')).toBe('49');
    expect(readdirSync(runDir).sort()).toEqual(['params']);
  });
});
