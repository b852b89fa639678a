/**
 * Every xp command loads main.ts and, through its static imports, everything they import. TensorFlow.js,
 * vega/vega-lite and BullMQ take about a second each to load, so they load where a command needs
 * them (`await import(…)` in its action, or in the kind's run), and `xp --help`, `xp validate` or
 * `xp plan` start without them. This follows main.ts's static imports (not type-only ones, not
 * dynamic ones) through the workspace's packages and fails on a path that reaches one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const HEAVY = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', 'vega', 'vega-lite', 'bullmq', 'ioredis', 'mathjs', 'exceljs'];

/** `@xp/<name>` or `@xp/<name>/<sub>` as a file, through the package's own exports map. */
function resolveWorkspace(spec: string): string | null {
  const [, name, ...rest] = spec.split('/');
  const root = join(PACKAGES, name);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const sub = rest.length ? `./${rest.join('/')}` : '.';
  const target = manifest.exports[sub] ?? (manifest.exports['./*'] ? manifest.exports['./*'].replace('*', rest.join('/')) : undefined);
  return target ? join(root, target) : null;
}

/** The module specifiers a file imports or re-exports at load time. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specs: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
  }
  return specs;
}

/** For each package outside the workspace that `entry` loads, one chain of files that gets there. */
function externalsLoadedBy(entry: string): Map<string, string[]> {
  const parent = new Map<string, string | null>([[entry, null]]);
  const externals = new Map<string, string[]>();
  const chain = (file: string): string[] => {
    const out: string[] = [];
    for (let f: string | null | undefined = file; f; f = parent.get(f)) out.push(f.slice(PACKAGES.length + 1));
    return out;
  };
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of staticImports(file)) {
      if (spec.startsWith('node:')) continue;
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : spec.startsWith('@xp/') ? resolveWorkspace(spec) : null;
      if (target === null) {
        if (!externals.has(spec)) externals.set(spec, chain(file));
      } else if (!parent.has(target) && existsSync(target)) {
        parent.set(target, file);
        queue.push(target);
      }
    }
  }
  return externals;
}

describe('what every xp command loads before it starts', () => {
  it('main.ts reaches none of the slow libraries through static imports', () => {
    const loaded = externalsLoadedBy(join(PACKAGES, 'runner/src/cli/main.ts'));
    // The walk works: it finds what main.ts does load.
    expect([...loaded.keys()]).toContain('commander');
    expect([...loaded.keys()]).toContain('yaml');
    const heavy = HEAVY.filter((name) => loaded.has(name)).map((name) => `${name}: ${loaded.get(name)!.join(' <- ')}`);
    expect(heavy).toEqual([]);
  });
});
