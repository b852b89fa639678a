/** What counts as varied when one experiment holds runs of several kinds (issue 21: PyTorch next to xp's CNN). */
import { describe, expect, it } from 'vitest';
import { variedParams } from './report.ts';

const run = (params: Record<string, string>) => ({ params });

describe('variedParams', () => {
  it('one kind: every param that differs, seed left out', () => {
    const runs = [run({ kind: 'toy-mlp', 'train.eta': '0.1', seed: '1' }), run({ kind: 'toy-mlp', 'train.eta': '2', seed: '2' })];
    expect(variedParams(runs)).toEqual(['train.eta']);
  });

  it("several kinds: the kind, and what differs within one kind, not each kind's own fields", () => {
    const runs = [
      run({ kind: 'command', name: 'torch-seed-net', 'params.lr': '0.05', 'command.0': '/usr/bin/python3' }),
      run({ kind: 'command', name: 'torch-seed-net', 'params.lr': '0.01', 'command.0': '/usr/bin/python3' }),
      run({ kind: 'cnn-classifier', name: 'cnn-19816', 'train.epochs': '1', 'model.blocks.conv1.0.conv2d.filters': '16' }),
    ];
    expect(variedParams(runs)).toEqual(['kind', 'params.lr']);
  });
});
