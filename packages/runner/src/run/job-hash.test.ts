import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpecError, withSeed } from '@xp/core';
import { canonicalJson, jobContentHash } from './job-hash.ts';
import { loadAndCheck } from './static-checks.ts';

const REPO = resolve(import.meta.dirname, '../../../..');

/** The hash as it was before jobs had an inputsKey: the runs already recorded carry this one. */
const formerHash = (job: { spec: unknown; name: string; variant: string }): string =>
  createHash('sha256').update(canonicalJson({ spec: job.spec, name: job.name, variant: job.variant })).digest('hex');

async function firstJob(file: string) {
  const { variants } = await loadAndCheck(file, {});
  const { variant, check } = variants[0];
  return { spec: withSeed(variant.spec, variant.spec.seed), name: variant.name, variant: variant.name, inputsKey: check.inputsKey };
}

describe('a job hash with no inputs key', () => {
  it("is byte for byte the former hash for an mnist CNN job and a toy job (the main job's run cache keeps its runs)", async () => {
    for (const file of ['experiments/cnn-19816.yaml', 'experiments/toy-eta-sweep.yaml']) {
      const job = await firstJob(join(REPO, file));
      expect(job.inputsKey, file).toBeUndefined();
      expect(jobContentHash(job), file).toBe(formerHash(job));
    }
    // Pinned: a change to canonicalJson or to the hashed fields would show here.
    const toy = { spec: { name: 'toy', kind: 'toy-mlp', seed: 1, train: { steps: 3, lr: 0.5 } }, name: 'lr=0.5', variant: 'lr=0.5' } as never;
    expect(jobContentHash(toy)).toBe(formerHash(toy));
    // Computed by jobContentHash before inputsKey existed (commit d8569dd).
    expect(jobContentHash(toy)).toBe('a761d1efb99160049332d8e753836722b3dc17c6038f2194a95774663fdb106b');
  });

  it('changes with the inputs key when there is one', () => {
    const base = { spec: { name: 'x', kind: 'command', seed: 1 } as never, name: 'x', variant: 'x' };
    const a = jobContentHash({ ...base, inputsKey: 'a'.repeat(64) });
    expect(a).not.toBe(jobContentHash(base));
    expect(a).not.toBe(jobContentHash({ ...base, inputsKey: 'b'.repeat(64) }));
    expect(a).toBe(jobContentHash({ ...base, inputsKey: 'a'.repeat(64) }));
  });
});

describe("kind command's inputs key", () => {
  let dir: string;
  const write = (spec: string) => {
    writeFileSync(join(dir, 'spec.yaml'), `name: fit\nkind: command\ncommand: [node, train.mjs, --lr, '\${params.lr}']\nparams: {lr: 0.1}\n${spec}`);
    return join(dir, 'spec.yaml');
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xp-inputs-key-'));
    process.env.XP_DATASET_CACHE = join(dir, 'cache');
    writeFileSync(join(dir, 'train.mjs'), 'console.log(1)\n');
    mkdirSync(join(dir, 'lib/__pycache__'), { recursive: true });
    writeFileSync(join(dir, 'lib/model.mjs'), 'export const a = 1;\n');
  });

  it('covers the script the argv names, and the files listed in inputs, but not __pycache__', async () => {
    const file = write('');
    const first = (await firstJob(file)).inputsKey;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect((await firstJob(file)).inputsKey).toBe(first);
    writeFileSync(join(dir, 'train.mjs'), 'console.log(2)\n');
    const edited = (await firstJob(file)).inputsKey;
    expect(edited).not.toBe(first);

    const withInputs = write('inputs: [lib]\n');
    const listed = (await firstJob(withInputs)).inputsKey;
    expect(listed).not.toBe(edited);
    writeFileSync(join(dir, 'lib/__pycache__/model.cpython-311.pyc'), 'bytecode');
    expect((await firstJob(withInputs)).inputsKey).toBe(listed);
    writeFileSync(join(dir, 'lib/model.mjs'), 'export const a = 2;\n');
    expect((await firstJob(withInputs)).inputsKey).not.toBe(listed);
  });

  it('refuses an inputs path that does not exist, at the spec (exit 2)', async () => {
    const file = write('inputs: [lib, nowhere.py]\n');
    const error = await loadAndCheck(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).message).toMatch(/inputs\.1[\s\S]*nowhere\.py does not exist/);
  });
});
