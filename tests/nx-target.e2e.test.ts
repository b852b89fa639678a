/**
 * `npx nx run runner:exp SPEC ...` is `xp run SPEC ...` (#25 item 2): every option xp run has reaches it
 * through the nx target, an option xp run does not know is refused by name, and a bad spec is reported
 * with xp's exit code 2 (nx's own exit status is 1 for any failed target; see the executor).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir, xp } from './helpers.ts';

const TOY = `name: nx-toy
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 3, lr: 0.5}
`;

function nx(args: string[]): { code: number; output: string } {
  const result = spawnSync('npx', ['nx', 'run', 'runner:exp', ...args], {
    cwd: REPO,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', MLFLOW_TRACKING_URI: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status ?? -1, output: `${result.stdout}\n${result.stderr}` };
}

interface RunJson {
  runs: { name: string; seed: number; status: string; cached?: boolean; params: Record<string, unknown> }[];
}
const lastJson = (output: string): RunJson => JSON.parse(output.split('\n').find((line) => line.startsWith('{"experiment"'))!) as RunJson;

describe('the runner:exp nx target', () => {
  it("declares every option of xp run (its --help)", () => {
    const help = xp(['run', '--help']).stdout;
    const options = [...help.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
    expect(options.length).toBeGreaterThan(10);
    const schema = JSON.parse(readFileSync(join(REPO, 'packages/runner/executors/exp/schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    expect(options.filter((name) => !(camel(name) in schema.properties))).toEqual([]);
  });

  it('forwards seeds, overrides (--set, key=value, -m), tracking URI, jobs, force and json to xp run', () => {
    const dir = tempDir('xp-nx-');
    writeFileSync(join(dir, 'toy.yaml'), TOY);
    const mlruns = join(dir, 'mlruns');
    const args = [join(dir, 'toy.yaml'), '--seeds=2', '--set', 'train.steps=4', 'train.lr=0.25', '--tracking-uri', mlruns, '--jobs', '1', '--json'];
    const first = nx(args);
    expect(first.code, first.output).toBe(0);
    const runs = lastJson(first.output).runs;
    expect(runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(runs.every((r) => r.params['train.steps'] === 4 && r.params['train.lr'] === 0.25)).toBe(true);
    // The same again is cached; with --force it trains.
    expect(lastJson(nx(args).output).runs.every((r) => r.cached)).toBe(true);
    expect(lastJson(nx([...args, '--force']).output).runs.some((r) => r.cached)).toBe(false);
    // -m: the override after it is a sweep axis.
    const multirun = nx([join(dir, 'toy.yaml'), '-m', 'train.lr=0.1,0.2', '--tracking-uri', mlruns, '--json']);
    expect(multirun.code, multirun.output).toBe(0);
    expect(lastJson(multirun.output).runs.map((r) => r.params['train.lr'])).toEqual([0.1, 0.2]);
  }, 120_000);

  it('refuses an option xp run does not have by name, and reports a bad spec once, with exit code 2', () => {
    const dir = tempDir('xp-nx-bad-');
    writeFileSync(join(dir, 'toy.yaml'), TOY);
    const unknown = nx([join(dir, 'toy.yaml'), '--frobnicate', '3', '--tracking-uri', join(dir, 'mlruns')]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(/unknown option '--frobnicate'/);
    expect(unknown.output).toMatch(/xp run exited with code 2 \(invalid spec or usage, nothing ran\)/);
    writeFileSync(join(dir, 'bad.yaml'), TOY.replace('steps: 3, lr: 0.5}', 'steps: [3, lr: 0.5}\n'));
    const bad = nx([join(dir, 'bad.yaml'), '--tracking-uri', join(dir, 'mlruns')]);
    expect(bad.code).not.toBe(0);
    expect(bad.output.match(/YAML syntax error/g)).toHaveLength(1);
    expect(bad.output).toMatch(/xp run exited with code 2 /);
    const jobs = nx([join(dir, 'toy.yaml'), '--jobs', '0']);
    expect(jobs.output).toMatch(/--jobs <n>' argument '0' is invalid\. expected a positive integer, or 'auto'/);
  }, 120_000);
});
