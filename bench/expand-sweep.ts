/**
 * How long loading, expanding and validating a 1,000-variant sweep takes.
 * Run: npx tsx bench/expand-sweep.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '@xp/core';

const lrs = Array.from({ length: 40 }, (_, i) => +(0.01 * (i + 1)).toFixed(2));
const steps = Array.from({ length: 25 }, (_, i) => i + 1);
const spec = `name: grid-1000
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 157, lr: 0.1}
sweep:
  grid:
    train.lr: [${lrs.join(', ')}]
    train.steps: [${steps.join(', ')}]
`;
const file = join(mkdtempSync(join(tmpdir(), 'xp-bench-')), 'grid.yaml');
writeFileSync(file, spec);

// The first load includes compiling the schema, as every CLI invocation does once.
const firstStart = performance.now();
loadExperiment(file);
const firstMs = performance.now() - firstStart;
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  const loaded = loadExperiment(file);
  times.push(performance.now() - start);
  if (loaded.variants.length !== 1000) throw new Error(`expected 1000 variants, got ${loaded.variants.length}`);
}
const median = times.sort((a, b) => a - b)[2];
console.log(JSON.stringify({ variants: 1000, firstLoadMs: +firstMs.toFixed(1), medianMs: +median.toFixed(1), runs: times.map((t) => +t.toFixed(1)) }));
