import { describe, expect, it } from 'vitest';
import { flattenBlocks } from './layers.ts';
import { missingLayerKinds } from './require-layers.ts';
import { SEED_NETWORK } from './seed-network.ts';
import { countParameters, formatSummary, ModelShapeError, summarizeModel } from './summary.ts';

/** What loading fills in for a model that names neither (the schema's defaults). */
const MNIST = { input: [1, 28, 28], classes: 10 };

describe('summarizeModel on the seed network', () => {
  const summary = summarizeModel(SEED_NETWORK);

  it('counts 19,816 trainable parameters and 288 batch-norm buffers', () => {
    expect(summary.issues).toEqual([]);
    expect(summary.trainableParams).toBe(19_816);
    expect(countParameters(SEED_NETWORK)).toBe(19_816);
    expect(summary.buffers).toBe(2 * (16 + 16 + 32 + 16 * 5));
    expect(summary.outputShape).toEqual([10]);
  });

  it('matches the reference table layer by layer', () => {
    // Each table row ends at the layer that produces it; rows are [output, params incl. BN, RF].
    const table: [number[], number, number | null][] = [
      [[16, 26, 26], 160 + 32, 3],
      [[16, 24, 24], 2320 + 32, 5],
      [[32, 22, 22], 4640 + 64, 7],
      [[16, 22, 22], 528, 7],
      [[16, 11, 11], 0, 8],
      [[16, 9, 9], 2320 + 32, 12],
      [[16, 7, 7], 2320 + 32, 16],
      [[16, 7, 7], 2320 + 32, 20],
      [[16, 5, 5], 2320 + 32, 24],
      [[16, 5, 5], 2320 + 32, 28],
      [[10, 5, 5], 170, 28],
      [[10], 0, 36],
      [[10], 110, null],
    ];
    // Group the flat layers into rows: a row starts at every conv, pool or dense.
    const rows: (typeof summary.layers)[] = [];
    for (const layer of summary.layers) {
      const starts = ['conv2d', 'maxpool', 'global-avg-pool', 'dense'].includes(layer.layer.kind);
      if (starts || rows.length === 0) rows.push([]);
      rows[rows.length - 1].push(layer);
    }
    expect(rows.length).toBe(table.length);
    rows.forEach((row, i) => {
      const [shape, params, rf] = table[i];
      const last = row[row.length - 1];
      expect({ row: i + 1, shape: last.outputShape, params: row.reduce((s, l) => s + l.params, 0), rf: last.receptiveField }).toEqual({
        row: i + 1,
        shape,
        params,
        rf,
      });
    });
  });

  it('remembers where each layer is written', () => {
    const layers = flattenBlocks(SEED_NETWORK.blocks);
    expect(layers[0].path).toEqual(['model', 'blocks', 'conv1', 0]);
    expect(layers[2]).toMatchObject({ kind: 'batchnorm', momentum: 0.1, epsilon: 1e-5, path: ['model', 'blocks', 'conv1', 2] });
    const repeated = layers.filter((l) => l.block === 'conv2');
    expect(repeated).toHaveLength(8);
    expect(repeated[4].path).toEqual(['model', 'blocks', 'conv2', 0, 'repeat', 'layers', 0]);
  });

  it('formats a table with totals at the bottom', () => {
    const text = formatSummary(summary);
    expect(text).toContain('conv2d 3×3 1→16');
    expect(text).toContain('conv2d 3×3 16→16 pad 1');
    expect(text).toMatch(/Trainable params: 19,816\n/);
    expect(text).toMatch(/Buffers \(batch-norm running mean\/var, not trained\): 288\n/);
    expect(text).toMatch(/Total mult-adds per example: [\d,]+\n/);
    expect(summary.multAdds).toBe(summary.layers.reduce((s, l) => s + l.multAdds, 0));
    // The first conv: 26×26 outputs × 16 filters × 9 weights.
    expect(summary.layers[0].multAdds).toBe(26 * 26 * 16 * 9);
  });
});

describe('shape errors are returned as located issues', () => {
  it('a kernel larger than its input', () => {
    const s = summarizeModel({ input: [1, 4, 4], classes: 10, blocks: { a: [{ conv2d: { filters: 4, kernel: 3 } }, { conv2d: { filters: 4, kernel: 3 } }] } });
    expect(s.issues).toEqual([
      { path: ['model', 'blocks', 'a', 1], message: 'conv2d 3×3 4→4 (layer 2, block a): kernel 3×3 is larger than its 2×2 input' },
    ]);
  });

  it('a dense layer fed a feature map', () => {
    const s = summarizeModel({ ...MNIST, blocks: { a: [{ conv2d: { filters: 4, kernel: 3 } }], head: ['relu', { dense: { units: 10 } }] } });
    expect(s.issues).toEqual([
      {
        path: ['model', 'blocks', 'head', 1],
        message: 'dense 4→10 (layer 3, block head): dense needs a flat input, but gets a 4×26×26 feature map: put flatten or global-avg-pool before it',
      },
    ]);
    expect(() => countParameters({ ...MNIST, blocks: { head: [{ dense: { units: 10 } }] } })).toThrow(ModelShapeError);
  });

  it('output units that differ from the classes', () => {
    const s = summarizeModel({ ...MNIST, blocks: { head: ['flatten', { dense: { units: 12 } }, 'log-softmax'] }, classes: 10 });
    expect(s.trainableParams).toBe(784 * 12 + 12);
    expect(s.issues).toEqual([{ path: ['model', 'blocks', 'head', 2], message: 'the network outputs 12 units but model.classes is 10' }]);
  });

  it('a network that ends on a feature map, and a malformed layer', () => {
    expect(summarizeModel({ ...MNIST, blocks: { a: [{ conv2d: { filters: 10, kernel: 3 } }] } }).issues[0].message).toMatch(
      /ends with a 10×26×26 feature map/,
    );
    expect(summarizeModel({ ...MNIST, blocks: { a: ['relu', { conv3d: {} }] } }).issues).toEqual([
      { path: ['model', 'blocks', 'a', 1, 'conv3d'], message: expect.stringMatching(/^unknown layer kind 'conv3d'/) },
    ]);
  });
});

describe('missingLayerKinds', () => {
  const required = ['batchnorm', 'dropout', 'dense', 'global-avg-pool'] as const;

  it('accepts the seed network (spatial-dropout counts as dropout)', () => {
    expect(missingLayerKinds(summarizeModel(SEED_NETWORK).layers, [...required])).toEqual([]);
  });

  it('accepts an avgpool covering the whole map as global average pooling, but not a smaller one', () => {
    const spec = (size: number) => ({
      input: [1, 10, 10],
      classes: 10,
      blocks: { a: [{ conv2d: { filters: 10, kernel: 6 } }, { avgpool: { size } }, 'flatten', { dense: { units: 10 } }] },
    });
    expect(missingLayerKinds(summarizeModel(spec(5)).layers, ['global-avg-pool'])).toEqual([]);
    expect(missingLayerKinds(summarizeModel(spec(2)).layers, ['global-avg-pool'])).toEqual(['global-avg-pool']);
  });

  it('names what is missing, in the order required', () => {
    const layers = flattenBlocks({ a: ['flatten', { dense: { units: 10 } }] });
    expect(missingLayerKinds(layers, [...required])).toEqual(['batchnorm', 'dropout', 'global-avg-pool']);
  });
});
