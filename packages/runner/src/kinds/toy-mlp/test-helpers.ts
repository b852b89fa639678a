/** Test doubles shared by this kind's tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpecValue, type ExperimentSpec, type ResolvedSpec } from '@xp/core';
import type { MetricPoint, RunStatus, TrackedRun } from '@xp/tracking';

export class MemoryRun implements TrackedRun {
  readonly runId = 'test-run';
  readonly experimentId = '0';
  readonly artifactDir = mkdtempSync(join(tmpdir(), 'xp-toy-'));
  metrics: MetricPoint[] = [];
  metricCalls = 0;
  artifacts: string[] = [];
  status: RunStatus = 'RUNNING';
  async logParams(): Promise<void> {}
  async logMetrics(points: MetricPoint[]): Promise<void> {
    this.metricCalls++;
    this.metrics.push(...points);
  }
  async setTags(): Promise<void> {}
  async logArtifact(path: string): Promise<void> {
    this.artifacts.push(path);
  }
  async end(status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    this.status = status;
  }
}

export function seedSpec(overrides: Partial<ExperimentSpec> = {}, lr = 0.1): ResolvedSpec {
  return resolveSpecValue({
    name: 'toy-test',
    kind: 'toy-mlp',
    data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] },
    model: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } },
    train: { steps: 157, lr },
    ...overrides,
  });
}
