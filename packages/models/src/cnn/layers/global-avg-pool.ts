/** global-avg-pool: the mean of each feature map, C×H×W → C. */
import { defineLayerKind, isMap, needsMap } from './definition.ts';

export const globalAvgPool = defineLayerKind({
  name: 'global-avg-pool',
  bare: true,
  parse: () => ({}),
  effect(_layer, input) {
    if (!isMap(input)) return needsMap('global-avg-pool', input);
    const [c, h, w] = input;
    return { output: [c], params: 0, buffers: 0, multAdds: 0, window: { size: Math.max(h, w), stride: 1 } };
  },
  build: (_layer, { tf, name }) => [tf.layers.globalAveragePooling2d({ name })],
});
