/** The seed's 19,816-parameter MNIST network (shared reference part2-seed-cnn.md), as a spec. */
import type { BlocksSpec, CnnModelSpec, LayerSpec } from './layers.ts';

const convBlock = (filters: number, kernel: number, padding = 0, dropout = true): LayerSpec[] => [
  { conv2d: { filters, kernel, ...(padding ? { padding } : {}) } },
  'relu',
  'batchnorm',
  ...(dropout ? [{ 'spatial-dropout': 0.1 }] : []),
];

export const SEED_BLOCKS: BlocksSpec = {
  conv1: [...convBlock(16, 3), ...convBlock(16, 3), ...convBlock(32, 3)],
  transition1: [{ conv2d: { filters: 16, kernel: 1 } }, 'relu', { maxpool: { size: 2 } }],
  conv2: [{ repeat: { times: 2, layers: convBlock(16, 3) } }],
  conv3: [...convBlock(16, 3, 1), ...convBlock(16, 3, 0, false), ...convBlock(16, 3, 1, false)],
  head: [{ conv2d: { filters: 10, kernel: 1 } }, 'global-avg-pool', { dense: { units: 10 } }, 'log-softmax'],
};

export const SEED_NETWORK: CnnModelSpec = { input: [1, 28, 28], blocks: SEED_BLOCKS, classes: 10 };
