/** What a cnn-classifier run records: per-epoch points, and the final values of the whole run. */
import type { ResolvedCnnSpec } from '@xp/core';
import type { MetricPoint } from '@xp/tracking';
import type { EpochRecord } from './checkpoint.ts';
import { bestEpoch, judge } from './verdict.ts';

export function epochMetrics(record: EpochRecord): MetricPoint[] {
  const step = record.epoch;
  const points: MetricPoint[] = [
    { key: 'train_loss', value: record.trainLoss, step },
    { key: 'test_loss', value: record.testLoss, step },
    { key: 'test_accuracy', value: record.testAccuracy, step },
    { key: 'epoch_time_s', value: record.seconds, step },
    { key: 'lr', value: record.lr, step },
  ];
  if (record.valLoss !== undefined) points.push({ key: 'val_loss', value: record.valLoss, step });
  if (record.valAccuracy !== undefined) points.push({ key: 'val_accuracy', value: record.valAccuracy, step });
  return points;
}

export function finalMetrics(history: readonly EpochRecord[], constraints: ResolvedCnnSpec['constraints']): Record<string, number> {
  if (history.length === 0) return { epochs: 0 };
  const accuracies = history.map((r) => r.testAccuracy);
  const best = bestEpoch(accuracies)!;
  const final = history[history.length - 1];
  return {
    test_accuracy: final.testAccuracy,
    best_test_accuracy: best.accuracy,
    best_epoch: best.epoch,
    final_epoch: final.epoch,
    judged_accuracy: judge(accuracies, constraints).judged,
    test_loss: final.testLoss,
    train_loss: final.trainLoss,
    epochs: history.length,
  };
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;

/** "final accuracy 99.31% (epoch 19), best 99.43% (epoch 14)". */
export function accuracyReport(history: readonly EpochRecord[]): string | null {
  const best = bestEpoch(history.map((r) => r.testAccuracy));
  const final = history[history.length - 1];
  if (!best || !final) return null;
  return `final accuracy ${percent(final.testAccuracy)} (epoch ${final.epoch}), best ${percent(best.accuracy)} (epoch ${best.epoch})`;
}
