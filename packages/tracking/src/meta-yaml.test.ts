/**
 * meta.yaml, written with the `yaml` package as YAML 1.1: what we write reads back the same, PyYAML
 * (what MLflow reads it with) reads it the same, and we read what PyYAML writes.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatMeta, parseMeta, type Meta } from './meta-yaml.ts';

const TRICKY: Meta = {
  name: 'python reads "this": a #hash, a \'quote\' and ünïcode',
  artifact_location: 'file:///tmp/x y/1',
  experiment_id: '123',
  creation_time: 1_700_000_000_000,
  end_time: null,
  tags: [],
  yes_string: 'yes',
  date_string: '2024-01-01',
  exponent_string: '1e5',
  octal_string: '0123',
  empty: '',
  long: `${'a'.repeat(100)} ${'word '.repeat(40)}`.trim(),
};

const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;

describe('meta.yaml', () => {
  it('round-trips strings YAML would take for other types, long lines and nulls; keys sorted, one line each', () => {
    const text = formatMeta(TRICKY);
    expect(parseMeta(text)).toEqual(TRICKY);
    const keys = text.trim().split('\n').map((line) => line.split(':')[0].replace(/"/g, ''));
    expect(keys).toEqual(Object.keys(TRICKY).sort());
  });

  it.skipIf(!hasPyYaml)('PyYAML reads what we write, and we read what PyYAML writes', () => {
    const script = 'import sys, json, yaml\nmeta = yaml.safe_load(sys.stdin.read())\nprint(json.dumps(meta))\nprint(json.dumps(yaml.safe_dump(meta, default_flow_style=False)))';
    const result = spawnSync('python3', ['-c', script], { input: formatMeta(TRICKY), encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const [seen, dumped] = result.stdout.trim().split('\n');
    expect(JSON.parse(seen)).toEqual(TRICKY);
    // PyYAML folds the long value onto a continuation line and quotes in its own way.
    expect(parseMeta(JSON.parse(dumped) as string)).toEqual(TRICKY);
  });

  it('reads an MLflow-written run meta.yaml', () => {
    const text = [
      'artifact_uri: file:///tmp/mlruns/1/abc/artifacts',
      'end_time: 1700000001000',
      "entry_point_name: ''",
      'experiment_id: \'1\'',
      'lifecycle_stage: active',
      'run_id: abc',
      'run_name: lr=0.1',
      'source_type: 4',
      'status: 3',
      'tags: []',
      'user_id: root',
      '',
    ].join('\n');
    expect(parseMeta(text)).toEqual({
      artifact_uri: 'file:///tmp/mlruns/1/abc/artifacts',
      end_time: 1_700_000_001_000,
      entry_point_name: '',
      experiment_id: '1',
      lifecycle_stage: 'active',
      run_id: 'abc',
      run_name: 'lr=0.1',
      source_type: 4,
      status: 3,
      tags: [],
      user_id: 'root',
    });
  });
});
