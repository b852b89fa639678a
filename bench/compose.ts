/**
 * How long composition adds to loading (issue 20): composing and validating a spec of 20 group files,
 * and expanding 1,000 composed variants, each next to the same spec written as one file, measured in
 * the same process (median of 7 loads after a first one that compiles the schema).
 * Run: npx tsx bench/compose.ts
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { loadExperiment, type LoadOptions } from '@xp/core';

const root = mkdtempSync(join(tmpdir(), 'xp-bench-compose-'));
writeFileSync(join(root, 'package.json'), '{}\n');
const write = (name: string, text: string) => {
  mkdirSync(dirname(join(root, name)), { recursive: true });
  writeFileSync(join(root, name), text);
  return join(root, name);
};

// 20 group files: the seed CNN's five blocks, its data, recipe, constraints and 12 groups of vars.
const block = (filters: number) => [{ conv2d: { filters, kernel: 3 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.1 }];
const parts: Array<[string, string, Record<string, unknown>]> = [
  ['conv1', 'model.blocks.conv1', { list: [...block(16), ...block(16), ...block(32)] }],
  ['transition1', 'model.blocks.transition1', { list: [{ conv2d: { filters: 16, kernel: 1 } }, 'relu', { maxpool: { size: 2 } }] }],
  ['conv2', 'model.blocks.conv2', { list: [...block(16), ...block(16)] }],
  ['conv3', 'model.blocks.conv3', { list: [...block(16), ...block(16)] }],
  ['head', 'model.blocks.head', { list: [{ conv2d: { filters: 10, kernel: 1 } }, 'global-avg-pool', { dense: { units: 10 } }, 'log-softmax'] }],
  ['data', 'data', { dataset: 'mnist', normalize: { mean: 0.1307, std: 0.3081 } }],
  ['recipe', 'train', { epochs: 19, batchSize: 128, optimizer: 'sgd', lr: 0.01, momentum: 0.9 }],
  ['constraints', 'constraints', { maxParams: 19999, maxEpochs: 19, minTestAccuracy: 0.994 }],
  ...Array.from({ length: 12 }, (_, i) => [`vars${i + 1}`, 'vars', Object.fromEntries(Array.from({ length: 5 }, (_, j) => [`v${i + 1}_${j + 1}`, i * 10 + j]))] as [string, string, Record<string, unknown>]),
];
// A block is a list: it is placed at its parent (model.blocks) under its own name.
const defaults: string[] = [];
const plain: Record<string, unknown> = { name: 'composed-20', kind: 'cnn-classifier', model: { blocks: {} } };
for (const [group, pkg, content] of parts) {
  const isList = 'list' in content;
  const at = isList ? pkg.split('.').slice(0, -1).join('.') : pkg;
  const body = isList ? { [pkg.split('.').pop() as string]: content.list } : content;
  write(`g/${group}/a.yaml`, stringify(body));
  defaults.push(`  - ${group}@${at}: a`);
  let node = plain as Record<string, unknown>;
  for (const key of at.split('.')) node = (node[key] ??= {}) as Record<string, unknown>;
  Object.assign(node, structuredClone(body));
}
const composed20 = write('g/spec.yaml', `defaults:\n${defaults.join('\n')}\n  - _self_\nname: composed-20\nkind: cnn-classifier\n`);
const plain20 = write('plain-20.yaml', stringify(plain));

// 1,000 composed variants: the toy spec from three group files, a 40 × 25 grid; and a group swept by -m.
const lrs = Array.from({ length: 40 }, (_, i) => +(0.01 * (i + 1)).toFixed(2));
const steps = Array.from({ length: 25 }, (_, i) => i + 1);
const weights = 'weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\n';
write('t/model/a.yaml', weights);
write('t/model/b.yaml', weights.replace('0.15', '0.16'));
write('t/data/xor.yaml', 'inputs: [0.05, 0.1]\ntargets: [0.01, 0.99]\n');
write('t/optimizer/sgd.yaml', 'steps: 157\nlr: 0.1\n');
const grid = (lr: number[]) => `sweep:\n  grid:\n    train.lr: [${lr.join(', ')}]\n    train.steps: [${steps.join(', ')}]\n`;
const composed1000 = write('t/spec.yaml', `defaults:\n  - model: a\n  - data: xor\n  - optimizer@train: sgd\n  - _self_\nname: grid-1000\nkind: toy-mlp\n${grid(lrs)}`);
const swept1000 = write('t/swept.yaml', `defaults:\n  - model: a\n  - data: xor\n  - optimizer@train: sgd\n  - _self_\nname: grid-1000\nkind: toy-mlp\n${grid(lrs.slice(0, 20))}`);
const plain1000 = write('plain-1000.yaml', `name: grid-1000\nkind: toy-mlp\ndata: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}\nmodel:\n  ${weights}train: {steps: 157, lr: 0.1}\n${grid(lrs)}`);

function time(file: string, expected: number, options: LoadOptions = {}): { firstMs: number; medianMs: number } {
  const first = performance.now();
  loadExperiment(file, { env: {}, ...options });
  const firstMs = performance.now() - first;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const loaded = loadExperiment(file, { env: {}, ...options });
    times.push(performance.now() - start);
    if (loaded.variants.length !== expected) throw new Error(`${file}: expected ${expected} variants, got ${loaded.variants.length}`);
  }
  return { firstMs: +firstMs.toFixed(1), medianMs: +times.sort((a, b) => a - b)[3].toFixed(1) };
}

const results = {
  plain20: time(plain20, 1),
  composed20: time(composed20, 1),
  plain1000: time(plain1000, 1000),
  composed1000: time(composed1000, 1000),
  groupSwept1000: time(swept1000, 1000, { args: ['model=a,b'], multirun: true }),
};
console.log(JSON.stringify({
  ...results,
  ratio20: +(results.composed20.medianMs / results.plain20.medianMs).toFixed(2),
  ratio1000: +(results.composed1000.medianMs / results.plain1000.medianMs).toFixed(2),
  ratioGroupSwept1000: +(results.groupSwept1000.medianMs / results.plain1000.medianMs).toFixed(2),
}));
