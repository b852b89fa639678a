/**
 * The checks every command runs before anything else: the spec loads (schema, overrides, sweep) and
 * each variant passes its kind's static checks. Any problem is a SpecError: exit 2, nothing created.
 */
import { addVariantIssue, loadExperiment, SpecError, type LoadedExperiment, type SpecIssue, type Variant } from '@xp/core';
import { kindOf } from '../kinds/registry.ts';
import type { StaticCheck } from '../kinds/types.ts';

export interface CheckedVariant {
  variant: Variant;
  check: StaticCheck;
}

export interface CheckedExperiment {
  experiment: LoadedExperiment;
  variants: CheckedVariant[];
}

export async function loadAndCheck(file: string, options: { sets?: string[]; maxVariants?: number }): Promise<CheckedExperiment> {
  const experiment = loadExperiment(file, options);
  const issues: SpecIssue[] = [];
  const variants: CheckedVariant[] = [];
  for (const variant of experiment.variants) {
    const check = await kindOf(variant.spec).check(variant.spec, (path) => variant.locate(path));
    for (const issue of check.issues) addVariantIssue(issues, issue, experiment.variants.length > 1 ? variant.name : '');
    variants.push({ variant, check });
  }
  if (issues.length > 0) throw new SpecError(file, issues);
  return { experiment, variants };
}

/** "19,816 params (budget 19,999)" or "over budget: 21,354 params > 19,999". */
export function budgetText(check: StaticCheck, maxParams: number | undefined): string {
  if (check.params === null) return 'params: n/a';
  const count = check.params.toLocaleString('en-US');
  if (maxParams === undefined) return `${count} params`;
  const budget = maxParams.toLocaleString('en-US');
  return check.withinBudget ? `${count} params (budget ${budget})` : `OVER BUDGET: ${count} params > ${budget}`;
}
