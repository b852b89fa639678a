/**
 * The checks every command runs before anything else: the spec loads (schema, overrides, sweep) and
 * each variant passes its kind's static checks. Any problem is a SpecError: exit 2, nothing created.
 */
import { addVariantIssue, firstUnsafeChar, loadExperiment, SpecError, type LoadedExperiment, type LoadOptions, type SourceLocation, type SpecIssue, type Variant } from '@xp/core';
import type { CnnModelSpec } from '@xp/models/cnn/layers';
import { summarizeModel } from '@xp/models/cnn/summary';
import { loadSpecPluginKind } from '../kinds/plugins.ts';
import { kindOf } from '../kinds/registry.ts';
import type { StaticCheck } from '../kinds/types.ts';
import { withinBudget } from '../verdict/budget.ts';
import { checkOptunaSearch } from './sweepers/optuna-search.ts';

export interface CheckedVariant {
  variant: Variant;
  check: StaticCheck;
}

export interface CheckedExperiment {
  experiment: LoadedExperiment;
  variants: CheckedVariant[];
}

export async function loadAndCheck(file: string, options: LoadOptions): Promise<CheckedExperiment> {
  await loadSpecPluginKind(file);
  const experiment = loadExperiment(file, options);
  const issues: SpecIssue[] = [];
  const variants: CheckedVariant[] = [];
  for (const variant of experiment.variants) {
    const check = await checkVariant(variant, experiment.file);
    for (const issue of check.issues) addVariantIssue(issues, issue, experiment.variants.length > 1 ? variant.name : '');
    variants.push({ variant, check });
  }
  issues.push(...(await checkOptunaSearch(experiment, process.env)));
  issues.push(...environmentNameIssues(experiment, process.env));
  if (issues.length > 0) throw new SpecError(file, issues);
  return { experiment, variants };
}

/** One variant's kind checks and budget verdict: each loaded variant's, and each trial a search makes later. */
export async function checkVariant(variant: Variant, specFile: string): Promise<StaticCheck> {
  const kind = kindOf(variant.spec);
  const found = await kind.check(variant.spec, (path) => variant.locate(path), { specFile });
  // Keyed here, once per variant, so that every place that hashes the job (the sweep, `xp plan`, the
  // queue's dedupe, a worker's cache lookup) reads the same key from the job instead of the disk.
  const inputsKey = found.issues.length === 0 && kind.inputsKey ? await kind.inputsKey(variant.spec, { specFile }) : undefined;
  return { ...found, withinBudget: withinBudget(found.params, variant.spec.constraints), ...(inputsKey === undefined ? {} : { inputsKey }) };
}

/** "19,816 params (budget 19,999)" or "over budget: 21,354 params > 19,999". */
export function budgetText(check: StaticCheck, maxParams: number | undefined): string {
  if (check.params === null) return 'params: n/a';
  const count = check.params.toLocaleString('en-US');
  if (maxParams === undefined) return `${count} params`;
  const budget = maxParams.toLocaleString('en-US');
  return check.withinBudget ? `${count} params (budget ${budget})` : `OVER BUDGET: ${count} params > ${budget}`;
}

/**
 * Why a variant is over budget, for the lines under its verdict: where the budget is set
 * (file:line:column) and the layers that hold most of the parameters, each located in the spec.
 * Empty for a variant within budget.
 */
export function budgetDetails(variant: Variant, check: StaticCheck, top = 3): string[] {
  const maxParams = variant.spec.constraints?.maxParams;
  if (check.withinBudget || maxParams === undefined || check.params === null) return [];
  const count = (n: number): string => n.toLocaleString('en-US');
  const lines = [`budget:  constraints.maxParams ${count(maxParams)}, set at ${where(variant.locate(['constraints', 'maxParams']))}`];
  if (variant.spec.kind !== 'cnn-classifier' || !variant.spec.model?.blocks) return lines;
  const total = check.params;
  const largest = summarizeModel(variant.spec.model as CnnModelSpec)
    .layers.filter((layer) => layer.params > 0)
    .sort((a, b) => b.params - a.params || a.index - b.index)
    .slice(0, top);
  const width = Math.max(...largest.map((layer) => count(layer.params).length));
  largest.forEach((layer, i) => {
    const share = `${Math.round((100 * layer.params) / total)}%`;
    const label = i === 0 ? `largest: ` : ' '.repeat(9);
    lines.push(`${label}${count(layer.params).padStart(width)} params (${share})  ${layer.name}, layer ${layer.index} in block ${layer.layer.block}, at ${where(variant.locate(layer.layer.path))}`);
  });
  return lines;
}

function where(location: SourceLocation | undefined): string {
  if (!location) return 'the spec';
  return location.commandLine ?? `${location.file}:${location.line}:${location.column}`;
}

/**
 * $MLFLOW_EXPERIMENT_NAME names the experiment when the spec does not: it is held to the rule the
 * schema applies to tracking.experiment (printable, no ', at most 256 characters), since it lands in
 * the same meta.yaml and the same terminal.
 */
function environmentNameIssues(experiment: LoadedExperiment, env: NodeJS.ProcessEnv): SpecIssue[] {
  const name = env.MLFLOW_EXPERIMENT_NAME;
  if (experiment.spec.tracking?.experiment || !name) return [];
  const unsafe = firstUnsafeChar(name);
  const problem = unsafe
    ? `contains the control character ${unsafe.codePoint} at character ${unsafe.index + 1}`
    : name.includes("'")
      ? "holds a ', which MLflow's file store cannot look up by name"
      : name.length > 256
        ? `is ${name.length} characters long`
        : undefined;
  if (!problem) return [];
  return [{ path: 'tracking.experiment', message: `$MLFLOW_EXPERIMENT_NAME, which names the experiment, ${problem}`, expected: "printable text without ', at most 256 characters (or set tracking.experiment)", found: JSON.stringify(name.slice(0, 80)) }];
}
