import * as tf from '@tensorflow/tfjs';
import { buildModel, SeededDropout, SpatialDropout2D, type CnnModelSpec } from '@xp/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@xp/engine';
import { fusedBuilders, ReluBatchNormLayer, setTrainingStep, StepDropout, StepSpatialDropout2D, withBatchSlice, withoutInputGradient } from './fused-layers.ts';

const spec: CnnModelSpec = {
  input: [1, 8, 8],
  classes: 3,
  blocks: {
    a: [{ conv2d: { filters: 4, kernel: 3 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.2 }, { conv2d: { filters: 5, kernel: 3 } }, 'batchnorm', 'relu'],
    head: ['global-avg-pool', 'batchnorm', { dense: { units: 3 } }, 'log-softmax'],
  },
};
const noDropout: CnnModelSpec = { ...spec, blocks: { ...spec.blocks, a: spec.blocks.a.filter((l) => typeof l === 'string' || !('spatial-dropout' in l)) } };

let x: tf.Tensor4D;
const close = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i], 4));

/** A fused model with the stock model's weights, matched by name. */
function pair(model: CnnModelSpec) {
  const stock = buildModel(model, { seed: 2 });
  const fused = buildModel(model, { seed: 2, builders: fusedBuilders(model) });
  const byName = new Map(stock.weights.map((w) => [w.originalName, w.read()]));
  fused.setWeights(fused.weights.map((w) => byName.get(w.originalName)!));
  return { stock, fused };
}

// On wasm the layer runs the engine's kernels; elsewhere the op's stock composition.
describe.each(['cpu', 'wasm'] as const)('fused ReLU → batch norm → Dropout2d on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
    x = tf.randomNormal([4, 8, 8, 1], 0.5, 1, 'float32', 11) as tf.Tensor4D;
  });

  it('folds a relu before and a spatial-dropout after each feature-map batch norm, and nothing else', () => {
    const model = buildModel(spec, { seed: 2, builders: fusedBuilders(spec) });
    const fused = model.layers.filter((l): l is ReluBatchNormLayer => l instanceof ReluBatchNormLayer);
    expect(fused.map((l) => [l.relu, l.dropoutRate])).toEqual([[true, 0.2], [false, 0]]);
    const kinds = model.layers.map((l) => l.getClassName());
    expect(kinds.filter((k) => k === 'ReLU')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'XpSpatialDropout2D')).toHaveLength(0);
    // The batch norm after global-avg-pool sees a flat vector: left to tf.layers.
    expect(kinds.filter((k) => k === 'BatchNormalization')).toHaveLength(1);
    // Same weights as the stock model, under the same names.
    const stock = buildModel(spec, { seed: 2 });
    expect(model.weights.map((w) => w.originalName).sort()).toEqual(stock.weights.map((w) => w.originalName).sort());
  });

  it('computes what the stock layers compute, in training and inference, gradients included', () => {
    const { stock, fused } = pair(noDropout);
    close(fused.apply(x, { training: false }) as tf.Tensor, stock.apply(x, { training: false }) as tf.Tensor);
    close(fused.apply(x, { training: true }) as tf.Tensor, stock.apply(x, { training: true }) as tf.Tensor);
    const lossOf = (m: tf.LayersModel) => () => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, tf.range(0, 3))) as tf.Scalar;
    const gradsOf = (m: tf.LayersModel) => {
      const { grads } = tf.variableGrads(lossOf(m), m.trainableWeights.map((w) => w.read() as tf.Variable));
      return new Map(m.trainableWeights.map((w) => [w.originalName, grads[(w.read() as tf.Variable).name]]));
    };
    const expected = gradsOf(stock);
    for (const [name, grad] of gradsOf(fused)) close(grad, expected.get(name)!);
  });

  it('updates running statistics as PyTorch does (momentum 0.1, unbiased variance)', () => {
    const { fused } = pair(noDropout);
    const layer = fused.layers.find((l) => l instanceof ReluBatchNormLayer)!;
    const pre = fused.layers[fused.layers.indexOf(layer) - 1];
    const input = tf.relu(tf.model({ inputs: fused.inputs, outputs: pre.output as tf.SymbolicTensor }).predict(x) as tf.Tensor);
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    const count = input.size / input.shape[3]!;
    fused.apply(x, { training: true });
    const [, , movingMean, movingVariance] = layer.weights.map((w) => w.read());
    close(movingMean, tf.mul(mean, 0.1));
    close(movingVariance, tf.add(0.9, tf.mul(variance, (0.1 * count) / (count - 1))));
  });

  it('drops whole channels in training only, with masks that change between steps', () => {
    const model = buildModel(spec, { seed: 2, builders: fusedBuilders(spec) });
    const layer = model.layers.find((l) => l instanceof ReluBatchNormLayer)!;
    const ones = tf.ones([8, 6, 6, 4]);
    const inference = layer.apply(ones, { training: false }) as tf.Tensor;
    expect(new Set(inference.dataSync()).size).toBe(1);
    const input = tf.randomNormal([8, 6, 6, 4], 0, 1, 'float32', 3);
    const a = layer.apply(input, { training: true }) as tf.Tensor;
    const b = layer.apply(input, { training: true }) as tf.Tensor;
    // Dropped channels are exactly 0 everywhere; which ones differs from one step to the next.
    const droppedA = Array.from(tf.max(tf.abs(a), [1, 2]).dataSync()).map((v) => v === 0);
    const droppedB = Array.from(tf.max(tf.abs(b), [1, 2]).dataSync()).map((v) => v === 0);
    expect(droppedA.some(Boolean)).toBe(true);
    expect(droppedA).not.toEqual(droppedB);
  });

  it('gives a slice of the batch its rows of the whole batch\'s mask, from the step set from outside', () => {
    const build = () => {
      const model = buildModel(spec, { seed: 2, builders: fusedBuilders(spec) });
      return { model, layer: model.layers.find((l) => l instanceof ReluBatchNormLayer)! };
    };
    const input = tf.randomNormal([8, 6, 6, 4], 0, 1, 'float32', 3);
    const dropped = (t: tf.Tensor) => Array.from(tf.max(tf.abs(t), [1, 2]).dataSync()).map((v) => v === 0);
    const whole = build();
    whole.layer.apply(input, { training: true });
    const second = dropped(whole.layer.apply(input, { training: true }) as tf.Tensor);
    const part = build();
    setTrainingStep(part.model, 1);
    const rows = withBatchSlice({ offset: 4, rows: 4, total: 8 }, () => part.layer.apply(tf.slice(input, [4, 0, 0, 0], [4, 6, 6, 4]), { training: true }) as tf.Tensor);
    expect(dropped(rows)).toEqual(second.slice(4 * 4));
  });
});

describe.each(['cpu', 'wasm'] as const)('step-counted dropout on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });
  const input = () => tf.randomNormal([6, 5, 5, 4], 1, 1, 'float32', 9);
  const kinds = [
    ['elementwise', () => new StepDropout({ rate: 0.3, seed: 17 }), () => new SeededDropout({ rate: 0.3, seed: 17 })],
    ['spatial', () => new StepSpatialDropout2D({ rate: 0.3, seed: 17 }), () => new SpatialDropout2D({ rate: 0.3, seed: 17 })],
  ] as const;

  it.each(kinds)('%s: draws the masks of @xp/models\' layer, step after step', (_kind, make, makeModels) => {
    const [ours, theirs] = [make(), makeModels()];
    const x = input();
    for (let step = 0; step < 3; step++) {
      expect(Array.from((ours.apply(x, { training: true }) as tf.Tensor).dataSync())).toEqual(Array.from((theirs.apply(x, { training: true }) as tf.Tensor).dataSync()));
    }
    expect(ours.trainingCalls).toBe(3);
    expect((ours.apply(x, { training: false }) as tf.Tensor).dataSync()).toEqual(x.dataSync());
  });

  it.each(kinds)('%s: a step count set from outside picks that step\'s mask (resume)', (_kind, make) => {
    const [straight, resumed] = [make(), make()];
    const x = input();
    const masks = [0, 1, 2].map(() => Array.from((straight.apply(x, { training: true }) as tf.Tensor).dataSync()));
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [5, 5, 4] }), resumed] });
    setTrainingStep(model, 2);
    expect(Array.from((resumed.apply(x, { training: true }) as tf.Tensor).dataSync())).toEqual(masks[2]);
  });

  it.each(kinds)('%s: a slice of the batch gets its rows of the whole batch\'s mask', (_kind, make) => {
    const [whole, part] = [make(), make()];
    const x = input();
    const expected = tf.slice(whole.apply(x, { training: true }) as tf.Tensor, [2, 0, 0, 0], [3, 5, 5, 4]);
    const got = withBatchSlice({ offset: 2, rows: 3, total: 6 }, () => part.apply(tf.slice(x, [2, 0, 0, 0], [3, 5, 5, 4]), { training: true }) as tf.Tensor);
    expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
  });
});

// The first convolution without the images' gradient: the same bits as tf.layers' own conv, and one kernel call fewer.
describe.each(['cpu', 'wasm'] as const)('a first convolution without the images\' gradient on %s', (backend) => {
  const convs = [
    { name: 'with bias, valid', args: { filters: 4, kernelSize: 3, useBias: true } },
    { name: 'without bias, same, stride 2', args: { filters: 3, kernelSize: 3, useBias: false, padding: 'same' as const, strides: 2 } },
  ];
  beforeAll(async () => {
    await selectBackend(backend);
  });

  for (const c of convs) {
    it(`${c.name}: output, filter and bias gradients equal to the bit, the images' gradient never computed`, () => {
      const images = tf.randomNormal([3, 7, 7, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
      const weights = tf.randomNormal([6], 0, 1, 'float32', 8);
      const run = async (patched: boolean) => {
        const layer = tf.layers.conv2d({ ...c.args, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) });
        if (patched) withoutInputGradient(layer);
        // A second convolution after it, whose input gradient is needed (the first one's filter gradient reads it).
        const next = tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) });
        const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [7, 7, 2] }), layer, next] });
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
        const info = await tf.profile(() => {
          result = tf.variableGrads(() => {
            const y = model.apply(images, { training: true }) as tf.Tensor4D;
            return tf.sum(tf.mul(y, tf.reshape(tf.slice(tf.tile(weights, [Math.ceil(y.size / 6)]), 0, y.size), y.shape))) as tf.Scalar;
          }, variables);
          return [result.value, ...Object.values(result.grads)];
        });
        const out = {
          value: Array.from(result!.value.dataSync()),
          grads: variables.map((v) => Array.from(result!.grads[v.name].dataSync())),
          output: Array.from((model.predict(images) as tf.Tensor).dataSync()),
          inputGradients: info.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length,
          filterGradients: info.kernels.filter((k) => k.name === 'Conv2DBackpropFilter').length,
        };
        model.dispose();
        return out;
      };
      // One after the other: tf.profile records whatever runs meanwhile.
      return run(false).then(async (stock) => [stock, await run(true)] as const).then(([stock, patched]) => {
        expect(patched.output).toEqual(stock.output);
        expect(patched.value).toEqual(stock.value);
        expect(patched.grads).toEqual(stock.grads);
        expect([stock.inputGradients, stock.filterGradients]).toEqual([2, 2]);
        expect([patched.inputGradients, patched.filterGradients]).toEqual([1, 2]);
      });
    });
  }

  it('is what the training model builds for its first layer only', async () => {
    const model = buildModel(spec, { seed: 2, builders: fusedBuilders(spec) });
    const input = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
    const info = await tf.profile(() => tf.variableGrads(() => tf.sum(model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar, model.trainableWeights.map((w) => w.read() as tf.Variable)));
    const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
    // Two convolutions: both filters' gradients, the input gradient of the second only (stock tf.layers: both).
    expect(count('Conv2DBackpropFilter')).toBe(2);
    expect(count('Conv2DBackpropInput')).toBe(1);
    model.dispose();
  });
});
