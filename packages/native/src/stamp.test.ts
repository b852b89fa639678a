import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStamp, sameStamp, writeStamp, type NativeStamp } from './stamp.ts';

describe('setup stamps', () => {
  const stamp: NativeStamp = { target: 'gpu', tfjsNode: '4.22.0', tensorflow: '2.21.0', wheel: 'tensorflow-2.21.0.whl', cudaWheels: ['a.whl', 'b.whl'] };

  it('round-trip, and a changed version or wheel is a different stamp', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'xp-stamp-')), 'xp-native.json');
    writeStamp(path, stamp);
    expect(sameStamp(readStamp(path), stamp)).toBe(true);
    expect(sameStamp(readStamp(path), { ...stamp, tensorflow: '2.20.0' })).toBe(false);
    expect(sameStamp(readStamp(path), { ...stamp, cudaWheels: ['a.whl'] })).toBe(false);
  });

  it('a missing or unreadable stamp means the step is not done', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xp-stamp-'));
    expect(readStamp(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(join(dir, 'half.json'), '{"target": "cpu", "tfjs');
    expect(readStamp(join(dir, 'half.json'))).toBeUndefined();
    expect(sameStamp(undefined, stamp)).toBe(false);
  });
});
