/**
 * `xp predict RUN --tracking-uri http://…`: a run tracked on an MLflow server, its outputs not on
 * this machine (another working directory), has its model/ downloaded through the server's
 * artifact proxy; a run there without one is exit 2 with how to get one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDigitIdx } from '@xp/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { tempDir, xp } from './helpers.ts';
import { MODEL_OUT_CNN } from './fixtures/model-out.ts';

const skip = mlflowSkipReason();

describe.skipIf(skip !== null)(`xp predict on a run on an MLflow server${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const dir = tempDir('xp-model-out-server-');
  let server: MlflowServer;
  beforeAll(async () => {
    mkdirSync(join(dir, 'mlflow'), { recursive: true });
    server = await startMlflowServer(join(dir, 'mlflow'));
  }, 400_000);
  afterAll(async () => {
    await server?.kill();
  });

  it('downloads model/ from the server and classifies with it; a toy run there has none (exit 2)', () => {
    const trainer = join(dir, 'trainer');
    mkdirSync(trainer, { recursive: true });
    writeFileSync(join(trainer, 'small.yaml'), MODEL_OUT_CNN.replace('trainLimit: 1500', 'trainLimit: 600'));
    const trained = xp(['run', 'small.yaml', '--json', '--tracking-uri', server.url], { cwd: trainer, timeoutMs: 170_000 });
    expect(trained.code, trained.stderr).toBe(0);
    const runId = JSON.parse(trained.stdout.trim().split('\n').pop()!).runs[0].runId as string;

    // Elsewhere: nothing of the run on disk here.
    const elsewhere = join(dir, 'elsewhere');
    const idx = writeDigitIdx(elsewhere, 'few', { split: 'test', count: 5 });
    const predicted = xp(['predict', runId.slice(0, 8), idx.images, '--format', 'json', '--tracking-uri', server.url], { cwd: elsewhere });
    expect(predicted.code, predicted.stderr).toBe(0);
    const result = JSON.parse(predicted.stdout) as { model: string; classes: string[]; predictions: { top: { class: string; probability: number }[] }[] };
    expect(result.model).toMatch(new RegExp(`^run ${runId.slice(0, 8)} `));
    expect(result.predictions).toHaveLength(5);
    for (const p of result.predictions) expect(p.top[0].probability).toBeGreaterThan(0);

    writeFileSync(join(trainer, 'toy.yaml'), 'name: toy-on-server\nkind: toy-mlp\ndata: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}\nmodel:\n  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\ntrain: {steps: 3, lr: 0.5}\n');
    const toy = xp(['run', 'toy.yaml', '--json', '--tracking-uri', server.url], { cwd: trainer });
    const toyId = JSON.parse(toy.stdout.trim().split('\n').pop()!).runs[0].runId as string;
    const none = xp(['predict', toyId.slice(0, 8), idx.images, '--tracking-uri', server.url], { cwd: elsewhere });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no exported model/);
  }, 400_000);
});
