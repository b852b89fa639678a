import { describe, expect, it } from 'vitest';
import { ForeignValueError, searchSpace } from './optuna-space.ts';

describe('sweep.optuna.space in Optuna terms', () => {
  const space = searchSpace({
    'train.lr': { loguniform: [0.001, 0.5] },
    'train.momentum': { uniform: [0.8, 0.99] },
    'train.batchSize': { quniform: [30, 130, 32] },
    'data.validationSplit': { quniform: [0.05, 0.35, 0.1] },
    'vars.depth': { intUniform: [1, 4] },
    'vars.c1': { choice: [8, 12, 16] },
    'model.blocks.head': { choice: [[{ dense: { units: 10 } }], ['flatten', { dense: { units: 10 } }]] },
  });

  it('maps each distribution to the Optuna distribution that draws the same values', () => {
    expect(space.params).toEqual([
      { name: 'train.lr', kind: 'float', low: 0.001, high: 0.5, log: true },
      { name: 'train.momentum', kind: 'float', low: 0.8, high: 0.99 },
      // The multiples of q inside [30, 130]: 32, 64, 96, 128.
      { name: 'train.batchSize', kind: 'float', low: 32, high: 128, step: 32 },
      // 0.1, 0.2, 0.3: written as q writes them, not 0.30000000000000004.
      { name: 'data.validationSplit', kind: 'float', low: 0.1, high: 0.3, step: 0.1 },
      { name: 'vars.depth', kind: 'int', low: 1, high: 4 },
      { name: 'vars.c1', kind: 'categorical', choices: [8, 12, 16] },
      // Blocks are not what Optuna stores: their JSON text stands for them.
      { name: 'model.blocks.head', kind: 'categorical', choices: ['[{"dense":{"units":10}}]', '["flatten",{"dense":{"units":10}}]'] },
    ]);
  });

  it('turns drawn values into overrides located where the space was written', () => {
    const overrides = space.overridesOf({
      'train.lr': 0.0123,
      'train.momentum': 0.9,
      'train.batchSize': 96.00000000000001,
      'data.validationSplit': 0.30000000000000004,
      'vars.depth': 3,
      'vars.c1': 12,
      'model.blocks.head': '["flatten",{"dense":{"units":10}}]',
    });
    expect(overrides.map((o) => [o.path.join('.'), o.value])).toEqual([
      ['train.lr', 0.0123],
      ['train.momentum', 0.9],
      ['train.batchSize', 96],
      ['data.validationSplit', 0.3],
      ['vars.depth', 3],
      ['vars.c1', 12],
      ['model.blocks.head', ['flatten', { dense: { units: 10 } }]],
    ]);
    expect(overrides[0].origin).toEqual(['sweep', 'optuna', 'space', 'train.lr', 'loguniform']);
    // A choice is located at the option drawn.
    expect(overrides[5].origin).toEqual(['sweep', 'optuna', 'space', 'vars.c1', 'choice', 1]);
    expect(overrides[6].origin).toEqual(['sweep', 'optuna', 'space', 'model.blocks.head', 'choice', 1]);
  });

  it('refuses a value the space could not give (a study made with another space)', () => {
    const drawn = { 'train.lr': 0.9, 'train.momentum': 0.9, 'train.batchSize': 32, 'data.validationSplit': 0.1, 'vars.depth': 1, 'vars.c1': 8, 'model.blocks.head': '[]' };
    expect(() => space.overridesOf(drawn)).toThrow(ForeignValueError);
    expect(() => space.overridesOf({ ...drawn, 'train.lr': 0.01, 'vars.c1': 64 })).toThrow(/drew 64 for vars\.c1/);
    expect(() => space.overridesOf({ ...drawn, 'train.lr': 0.01, 'model.blocks.head': '[{"dense":{"units":10}}]', 'vars.depth': undefined })).toThrow(/vars\.depth/);
  });
});
