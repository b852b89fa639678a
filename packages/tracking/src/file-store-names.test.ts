/**
 * Every name a file store may be handed, whatever xp's schema lets through: an experiment or a run
 * named with characters MLflow's YAML reader refuses raw (C1 controls, U+2028, U+FFFE, ESC) is written
 * escaped, so MLflow's own Python client still lists, finds and searches every experiment of the store
 * (#26.1: one such name used to hide them all), and reads each name back as it was given.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason } from '../../../tests/fixtures/mlflow-server.ts';
import { FileStore } from './file-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-file-store-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pythonMlflow = spawnSync('python3', ['-c', 'import mlflow'], { encoding: 'utf8' }).status === 0;

/** Names YAML or MLflow could mistake for something else, and characters a strict reader refuses. */
const NAMES = [
  'plain-name',
  'with spaces: and colons',
  'double " quote',
  '# not a comment',
  'yes',
  'No',
  'on',
  '0123',
  '1e5',
  '0x1F',
  '2024-01-01',
  'null',
  '~',
  '- dash first',
  '? question',
  '&anchor *alias !tag',
  '{braces} [brackets] %percent @at `tick` |pipe >gt',
  'back\\slash',
  ' leading and trailing ',
  'ünïcödé 名前 🚀',
  '../x',
  'a/../../b',
  'x'.repeat(256),
  // Refused by xp's schema, and stored escaped when they come another way (MLFLOW_EXPERIMENT_NAME, a run name):
  'del\u007fchar',
  'nel\u0085char',
  'csi\u009bchar',
  'line\u2028sep',
  'para\u2029sep',
  'non\ufffechar',
  'non\uffffchar',
  'esc\u001b[2Jchar',
  'tab\tchar',
  'new\nline',
  'bell\u0007char',
  'bidi\u202eevil',
];
// MLflow's file store looks a name up with the filter name = '...', unescaped: a name with ' cannot be found
// by name (the schema refuses it), though listing and searching still work.
const UNFINDABLE = ["single ' quote", `quotes ' and " inside`];

describe('FileStore names and MLflow\'s reader', () => {
  it.skipIf(!pythonMlflow || mlflowSkipReason() !== null)('lists, finds and searches every experiment and run, each name read back as written', async () => {
    const store = new FileStore(path.join(dir, 'mlruns'));
    for (const name of [...NAMES, ...UNFINDABLE]) {
      const experimentId = await store.getOrCreateExperiment(name);
      const run = await store.createRun(experimentId, { name });
      await run.logParams({ p: '1' });
      await run.end('FINISHED');
    }
    // xp reads its own store back the same.
    expect((await store.listExperiments()).map((e) => e.name).sort()).toEqual([...NAMES, ...UNFINDABLE, 'Default'].sort());
    const script = `
import json, sys
from mlflow import MlflowClient
client = MlflowClient(${JSON.stringify(`file://${path.join(dir, 'mlruns')}`)})
names = json.loads(sys.stdin.read())
listed = sorted(e.name for e in client.search_experiments())
missing = [n for n in names if client.get_experiment_by_name(n) is None]
ids = [e.experiment_id for e in client.search_experiments() if e.name != 'Default']
runs = client.search_runs(ids)
print(json.dumps({"listed": listed, "missing": missing, "runNames": sorted(r.info.run_name for r in runs), "statuses": sorted(set(r.info.status for r in runs))}))
`;
    const python = spawnSync('python3', ['-c', script], { input: JSON.stringify(NAMES), encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(python.stderr.slice(-3000)).not.toContain('Traceback');
    const seen = JSON.parse(python.stdout.trim().split('\n').pop() as string);
    expect(seen.listed).toEqual([...NAMES, ...UNFINDABLE, 'Default'].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(seen.missing).toEqual([]);
    expect(seen.runNames).toEqual([...NAMES, ...UNFINDABLE].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(seen.statuses).toEqual(['FINISHED']);
  });
});
