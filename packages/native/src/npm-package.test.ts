import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installArgs, installedVersion, setBuildsAside } from './npm-package.ts';

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

  it("keeps the other package's placed libraries and built binding through npm's reinstall of it", () => {
    const root = fakeRoot({ '@tensorflow/tfjs-node-gpu': '4.22.0' });
    const gpu = join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    mkdirSync(join(gpu, 'deps', 'lib'), { recursive: true });
    writeFileSync(join(gpu, 'deps', 'lib', 'libtensorflow_cc.so.2'), 'placed');
    mkdirSync(join(gpu, 'lib', 'napi-v8'), { recursive: true });
    writeFileSync(join(gpu, 'lib', 'napi-v8', 'tfjs_binding.node'), 'built');
    const restore = setBuildsAside(root, '@tensorflow/tfjs-node');
    expect(existsSync(join(gpu, 'deps'))).toBe(false);
    // npm unpacks the package again: its own files only.
    rmSync(gpu, { recursive: true });
    mkdirSync(gpu, { recursive: true });
    writeFileSync(join(gpu, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0' }));
    restore();
    expect(readFileSync(join(gpu, 'deps', 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe('placed');
    expect(readFileSync(join(gpu, 'lib', 'napi-v8', 'tfjs_binding.node'), 'utf8')).toBe('built');
    expect(existsSync(join(root, 'node_modules', '.xp-native-aside'))).toBe(false);
  });
});
