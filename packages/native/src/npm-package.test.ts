import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installArgs, installedVersion } from './npm-package.ts';

function fakeRoot(installed: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'xp-npm-'));
  for (const [name, version] of Object.entries(installed)) {
    const dir = join(root, 'node_modules', ...name.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version }));
  }
  return root;
}

describe('installing a native package', () => {
  it('never runs its install script and never writes package.json or the lock file', () => {
    const args = installArgs(fakeRoot({}), '@tensorflow/tfjs-node', '4.22.0');
    expect(args).toEqual(['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '@tensorflow/tfjs-node@4.22.0']);
  });

  it('names the other native package at its installed version, so npm keeps it (and its built binding)', () => {
    const root = fakeRoot({ '@tensorflow/tfjs-node': '4.22.0' });
    expect(installedVersion(root, '@tensorflow/tfjs-node')).toBe('4.22.0');
    expect(installArgs(root, '@tensorflow/tfjs-node-gpu', '4.22.0').slice(-2)).toEqual(['@tensorflow/tfjs-node-gpu@4.22.0', '@tensorflow/tfjs-node@4.22.0']);
  });
});
