/**
 * The parameter budget, judged in one place for every kind: a kind only counts its trainable
 * parameters; whether that count fits constraints.maxParams is decided here, before any run, and a
 * variant over budget becomes a failed run that is never trained (exit 1), whatever its kind.
 */
import type { ExperimentSpec } from '@xp/core';

/** No budget, or no count (a kind without parameters, a model whose count stopped at an error), fits. */
export function withinBudget(params: number | null, constraints: ExperimentSpec['constraints']): boolean {
  const maxParams = constraints?.maxParams;
  return maxParams === undefined || params === null || params <= maxParams;
}

/** Why an over-budget run was not trained, as its run's message says it. */
export function overBudgetMessage(params: number | null, constraints: ExperimentSpec['constraints']): string {
  return `over budget: ${params} trainable parameters > constraints.maxParams ${constraints?.maxParams}; not trained`;
}
