/**
 * Budgets are checked before training: in a sweep, a variant over constraints.maxParams is recorded
 * as failed and never trained, the others still train, and the command exits 1.
 */
import { expect, it } from 'vitest';
import { tempDir, xp } from './helpers.ts';

it('trains the variants within budget and refuses the others', () => {
  const dir = tempDir();
  const result = xp(
    [
      'run', `${process.cwd()}/experiments/cnn-variants.yaml`, '--json', '--tracking-uri', dir,
      '--set', 'data.trainLimit=256', '--set', 'data.testLimit=128', '--set', 'train.epochs=1', '--set', 'train.batchSize=64',
      '--set', 'sweep.variants=[{name: gap-5x5, set: {}}]',
    ],
    { cwd: dir },
  );
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
    runs: Array<{ name: string; status: string; metrics: Record<string, number>; message?: string }>;
  };
  expect(report.runs.map((r) => r.name)).toEqual(['gap-5x5_c1=16', 'gap-5x5_c1=24', 'gap-5x5_c1=32']);
  const [within, ...over] = report.runs;
  expect(within.metrics.test_accuracy).toBeGreaterThanOrEqual(0);
  for (const run of over) {
    expect(run.status).toBe('failed');
    expect(run.metrics.test_accuracy).toBeUndefined();
    expect(run.message).toMatch(/^over budget: \d+ trainable parameters > constraints\.maxParams 19999; not trained$/);
  }
  expect(result.stderr).toMatch(/gap-5x5_c1=32: over budget: 31576 trainable parameters/);
});

it('treats a toy spec over budget exactly as a CNN variant: a failed run, not trained, exit 1', () => {
  const dir = tempDir();
  const result = xp(
    ['run', `${process.cwd()}/experiments/toy-eta-sweep.yaml`, '--json', '--tracking-uri', dir, 'constraints.maxParams=4', 'sweep.grid={train.lr: [0.5]}'],
    { cwd: dir },
  );
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
    runs: Array<{ name: string; status: string; metrics: Record<string, number>; message?: string }>;
  };
  expect(report.runs).toHaveLength(1);
  expect(report.runs[0].status).toBe('failed');
  expect(report.runs[0].metrics.E).toBeUndefined();
  expect(report.runs[0].message).toBe('over budget: 8 trainable parameters > constraints.maxParams 4; not trained');
  // validate and plan agree with run: over budget is a failed check (exit 1), not an invalid spec (2).
  expect(xp(['validate', 'experiments/toy-eta-sweep.yaml', 'constraints.maxParams=4']).code).toBe(1);
  expect(xp(['plan', 'experiments/toy-eta-sweep.yaml', 'constraints.maxParams=4']).code).toBe(1);
});
