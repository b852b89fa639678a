/**
 * The wasm engine's 3×3 convolutions one by one: every 3×3 stride-1 layer of the seed network and
 * of the ten-times network (bench/cnn-10x.yaml) at batch 128, forward and both gradients, by the
 * direct kernel and by Winograd F(2×2, 3×3) (XP_WASM_WINOGRAD=1), alternating run by run so both
 * see the same machine. Figures are medians; the ratio is Winograd's time over the direct kernel's.
 *
 *   npx tsx bench/conv-kernels.ts [--runs 7] [--only seed|10x] [--json]
 *
 * The first layer (one input channel) is left out: Winograd does not serve it. Single-threaded
 * (one kernel call on the main thread), as each data-parallel worker runs them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@xp/engine';
import { setWinograd } from '@xp/engine/wasm-kernels/winograd';

const argv = process.argv.slice(2);
const option = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const runs = Number(option('runs', '7'));
const only = option('only', '');

/** [network, input size, input channels, output channels, padding] of each 3×3 stride-1 layer. */
type Layer = [string, number, number, number, 0 | 1];
const layers = (net: string, c: number, wide: number): Layer[] => [
  [net, 26, c, c, 0], [net, 24, c, wide, 0], [net, 11, c, c, 0], [net, 9, c, c, 0],
  [net, 7, c, c, 1], [net, 7, c, c, 0], [net, 5, c, c, 1],
];
const LAYERS = [...layers('seed', 16, 32), ...layers('10x', 52, 104)].filter(([net]) => !only || net === only);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function time(run: () => tf.Tensor): number {
  const start = performance.now();
  const out = run();
  out.dataSync();
  const ms = performance.now() - start;
  out.dispose();
  return ms;
}

await selectBackend('wasm');
const rows = [];
for (const [net, size, ci, co, padding] of LAYERS) {
  const x = tf.randomNormal([128, size, size, ci]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
  const pad = padding ? [[0, 0], [1, 1], [1, 1], [0, 0]] as [number, number][] : 'valid';
  const dy = tf.randomNormal(tf.conv2d(x, w, 1, pad as 'valid').shape) as tf.Tensor4D;
  const ms = { forward: [[], []] as number[][], inputGrad: [[], []] as number[][], filterGrad: [[], []] as number[][] };
  // Run 0 of each warms the kernels' JIT and scratch; it is not counted.
  for (let r = 0; r <= runs; r++) {
    for (const wino of [0, 1]) {
      setWinograd(wino === 1);
      const f = time(() => tf.conv2d(x, w, 1, pad as 'valid'));
      const b = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
        strides: 1, pad: padding ? 1 : 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: x.shape,
      }) as tf.Tensor);
      const g = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1, pad: padding ? 1 : 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: w.shape,
      }) as tf.Tensor);
      if (r > 0) {
        ms.forward[wino].push(f);
        ms.inputGrad[wino].push(b);
        ms.filterGrad[wino].push(g);
      }
    }
  }
  setWinograd(false);
  tf.dispose([x, w, dy]);
  const row = {
    network: net, layer: `${size}×${size}, ${ci}→${co}${padding ? ', padding 1' : ''}`,
    forward: { direct: median(ms.forward[0]), winograd: median(ms.forward[1]) },
    inputGrad: { direct: median(ms.inputGrad[0]), winograd: median(ms.inputGrad[1]) },
    filterGrad: { direct: median(ms.filterGrad[0]), winograd: median(ms.filterGrad[1]) },
  };
  rows.push(row);
  process.stderr.write(`${net} ${row.layer}: forward ${row.forward.direct.toFixed(1)} → ${row.forward.winograd.toFixed(1)} ms, input gradient ${row.inputGrad.direct.toFixed(1)} → ${row.inputGrad.winograd.toFixed(1)} ms, filter gradient ${row.filterGrad.direct.toFixed(1)} → ${row.filterGrad.winograd.toFixed(1)} ms\n`);
}

if (argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  const ratio = (t: { direct: number; winograd: number }) => `${t.direct.toFixed(1)} → ${t.winograd.toFixed(1)} ms (${(t.winograd / t.direct).toFixed(2)}×)`;
  process.stdout.write('| network | layer (batch 128) | forward: direct → Winograd | input gradient | filter gradient |\n| --- | --- | --- | --- | --- |\n');
  for (const r of rows) process.stdout.write(`| ${r.network} | ${r.layer} | ${ratio(r.forward)} | ${ratio(r.inputGrad)} | ${ratio(r.filterGrad)} |\n`);
}
