import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedSpec } from '@xp/core';
import { configDifferences, recordedSpec, ResumeConfigError, resumeSpec } from './resume-config.ts';

const spec = (train: Record<string, unknown>, data: Record<string, unknown> = {}): ResolvedSpec =>
  ({ name: 'x', kind: 'cnn-classifier', seed: 1, data: { dataset: 'mnist', ...data }, train: { epochs: 19, lr: 0.1, ...train } }) as unknown as ResolvedSpec;

describe('what --resume continues', () => {
  it('lists every field that differs, absent ones too; the seed is the run’s', () => {
    const recorded = spec({ epochs: 2 }, { trainLimit: 2000 });
    expect(configDifferences(recorded, spec({}), 1)).toEqual([
      { path: 'data.trainLimit', recorded: 2000, now: undefined },
      { path: 'train.epochs', recorded: 2, now: 19 },
    ]);
    expect(configDifferences({ ...recorded, seed: 5 } as ResolvedSpec, recorded, 5)).toEqual([]);
  });

  it('continues the recorded configuration, noting what the spec changed; refuses overrides that change it', () => {
    const recorded = spec({ epochs: 2 });
    const notes: string[] = [];
    expect(resumeSpec({ recorded, now: spec({}), seed: 1, runId: 'abcd1234', overridesTyped: [], note: (line) => notes.push(line) })).toBe(recorded);
    expect(notes.join('\n')).toMatch(/resuming run abcd1234 with the configuration it recorded[\s\S]*train\.epochs: 2 recorded, 19 now/);
    expect(() => resumeSpec({ recorded, now: spec({ epochs: 3 }), seed: 1, runId: 'abcd1234', overridesTyped: ['train.epochs=3'], note: () => {} })).toThrow(
      /with train\.epochs=3 it would differ in 1 field\(s\):\n {2}train\.epochs: 2 recorded, 3 now/,
    );
    // The same values as recorded, typed again: nothing differs, nothing refused.
    expect(resumeSpec({ recorded, now: spec({ epochs: 2 }), seed: 1, runId: 'abcd1234', overridesTyped: ['train.epochs=2'], note: () => {} })).toBe(recorded);
  });

  it('a run that recorded no resolved spec, or an unreadable one, cannot be resumed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-resume-config-'));
    expect(() => recordedSpec(dir, 'r1')).toThrow(ResumeConfigError);
    writeFileSync(path.join(dir, 'resolved-spec.json'), '{not json');
    expect(() => recordedSpec(dir, 'r1')).toThrow(/not readable JSON/);
    writeFileSync(path.join(dir, 'resolved-spec.json'), JSON.stringify({ name: 'x', kind: 'toy-mlp', train: { stepz: 1 } }));
    expect(() => recordedSpec(dir, 'r1')).toThrow(/the configuration it recorded is not a valid spec for this xp version/);
  });

  it('fills in the defaults of what it recorded, as loading does', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-resume-config-'));
    const toy = { name: 'toy', kind: 'toy-mlp', seed: 1, data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }, model: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } }, train: { steps: 3, lr: 0.5 } };
    writeFileSync(path.join(dir, 'resolved-spec.json'), JSON.stringify(toy));
    const spec = recordedSpec(dir, 'r1') as unknown as { train: Record<string, unknown> };
    expect(spec.train.steps).toBe(3);
    expect(Object.keys(spec.train).length).toBeGreaterThan(2);
  });
});
