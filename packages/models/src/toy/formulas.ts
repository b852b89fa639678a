/**
 * The user's own derivative formulas (model.gradientFormulas in a toy-mlp spec), written over the
 * backpropagation table's column names, evaluated at every step and held against the true derivatives.
 * Typing the seed's formulas here is how a user finds out which of them are wrong.
 */
import { parse, type MathNode, type EvalFunction } from 'mathjs';
import { relativeError } from './checks.ts';
import { GRADIENT_NAMES, type GradientName, type ToyRow } from './network.ts';

/** Columns a formula may name: everything known before the derivatives are, so none can quote the answer. */
export const FORMULA_VARIABLES = [
  't1', 't2', 'i1', 'i2', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8',
  'h1', 'out_h1', 'h2', 'out_h2', 'o1', 'out_o1', 'o2', 'out_o2', 'E1', 'E2', 'E', 'eta',
] as const;

/** Functions a formula may call; anything else is almost always a missing `*` (out_o1(1-out_o1)). */
export const FORMULA_FUNCTIONS = ['exp', 'log', 'sqrt', 'abs', 'pow'] as const;

/** Shaped like @xp/core's SpecIssue (minus the location, which the runner adds). */
export interface FormulaIssue {
  path: string;
  message: string;
  found?: string;
  hint?: string;
}

export interface CompiledFormula {
  gradient: GradientName;
  source: string;
  evaluate: (row: ToyRow) => number;
}

export interface ParsedFormulas {
  formulas: CompiledFormula[];
  issues: FormulaIssue[];
}

const isGradientName = (key: string): key is GradientName => (GRADIENT_NAMES as readonly string[]).includes(key);
const variables = new Set<string>(FORMULA_VARIABLES);
const functions = new Set<string>(FORMULA_FUNCTIONS);

export function parseGradientFormulas(source: Readonly<Record<string, string>> | undefined): ParsedFormulas {
  const formulas: CompiledFormula[] = [];
  const issues: FormulaIssue[] = [];
  for (const [key, text] of Object.entries(source ?? {})) {
    const path = `model.gradientFormulas.${key}`;
    if (!isGradientName(key)) {
      issues.push({ path, message: `unknown derivative '${key}'`, hint: 'keys are dE_dw1 .. dE_dw8' });
      continue;
    }
    let node: MathNode;
    try {
      node = parse(text);
    } catch (error) {
      issues.push({ path, message: `formula does not parse: ${(error as Error).message}`, found: text });
      continue;
    }
    const problems = checkNode(node);
    if (problems.length > 0) {
      for (const problem of problems) issues.push({ path, found: text, ...problem });
      continue;
    }
    const compiled: EvalFunction = node.compile();
    formulas.push({
      gradient: key,
      source: text,
      evaluate: (row) => {
        const value: unknown = compiled.evaluate({ ...row });
        // sqrt of a negative number gives a mathjs Complex; it cannot equal a real derivative.
        return typeof value === 'number' ? value : NaN;
      },
    });
  }
  return { formulas, issues };
}

function checkNode(root: MathNode): Omit<FormulaIssue, 'path' | 'found'>[] {
  const problems: Omit<FormulaIssue, 'path' | 'found'>[] = [];
  const seen = new Set<string>();
  const report = (key: string, problem: Omit<FormulaIssue, 'path' | 'found'>) => {
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  };
  root.traverse((node, _path, parent) => {
    if (node.type === 'FunctionNode') {
      const name = (node as MathNode & { fn: MathNode & { name?: string } }).fn.name ?? '';
      if (variables.has(name)) {
        report(`call:${name}`, {
          message: `'${name}(...)' reads as a call of a function named ${name}`,
          hint: `write the multiplication out: ${name}*(...)`,
        });
      } else if (!functions.has(name)) {
        report(`fn:${name}`, { message: `unknown function '${name}'`, hint: `formulas may call ${FORMULA_FUNCTIONS.join(', ')}` });
      }
      return;
    }
    if (node.type === 'SymbolNode') {
      const name = (node as MathNode & { name: string }).name;
      // A function's own name is a SymbolNode under its FunctionNode; it was judged above.
      if (parent?.type === 'FunctionNode' && (parent as MathNode & { fn: MathNode }).fn === node) return;
      if (variables.has(name)) return;
      if (isGradientName(name)) {
        report(`sym:${name}`, { message: `formula names the derivative '${name}' it is meant to compute`, hint: 'write it over the forward pass\'s columns' });
      } else {
        report(`sym:${name}`, {
          message: `unknown column '${name}'`,
          hint: `known columns: ${FORMULA_VARIABLES.join(', ')}`,
        });
      }
      return;
    }
    if (node.type === 'AssignmentNode' || node.type === 'FunctionAssignmentNode' || node.type === 'BlockNode') {
      report(`type:${node.type}`, { message: 'a formula must be a single expression, without assignments or ";"' });
    }
  });
  return problems;
}

export interface FormulaDisagreement {
  gradient: GradientName;
  source: string;
  /** The first step where the formula disagrees (0 for the seed's wrong formulas). */
  step: number;
  formulaValue: number;
  trueValue: number;
  relativeError: number;
  /** Steps at which it disagrees, of all the table's rows. */
  stepsWrong: number;
}

/**
 * Every formula that disagrees with the table's derivative at any step, beyond `tolerance` relative.
 * Formulas are evaluated in float64 over values that are themselves float64, so anything correct agrees to
 * a few ulps; the floor only keeps derivatives that pass through zero from counting rounding as error.
 */
export function checkFormulas(rows: readonly ToyRow[], formulas: readonly CompiledFormula[], tolerance = 1e-8): FormulaDisagreement[] {
  const out: FormulaDisagreement[] = [];
  for (const formula of formulas) {
    let first: FormulaDisagreement | null = null;
    let stepsWrong = 0;
    for (const row of rows) {
      const formulaValue = formula.evaluate(row);
      const trueValue = row[formula.gradient];
      const scale = Math.max(...GRADIENT_NAMES.map((g) => Math.abs(row[g])));
      const err = relativeError(formulaValue, trueValue, (1e-14 * scale) / tolerance);
      if (!(err <= tolerance)) {
        stepsWrong++;
        first ??= { gradient: formula.gradient, source: formula.source, step: row.step, formulaValue, trueValue, relativeError: err, stepsWrong: 0 };
      }
    }
    if (first) out.push({ ...first, stepsWrong });
  }
  return out;
}

/** One line per disagreement, e.g. "dE_dw1: formula gives 2.0144e-5 at step 0, true value 1.88256e-4 (...)". */
export function describeDisagreement(d: FormulaDisagreement): string {
  return (
    `${d.gradient}: the formula gives ${d.formulaValue} at step ${d.step}, the true derivative is ${d.trueValue} ` +
    `(relative error ${d.relativeError.toPrecision(3)}; wrong at ${d.stepsWrong} step${d.stepsWrong === 1 ? '' : 's'})`
  );
}
