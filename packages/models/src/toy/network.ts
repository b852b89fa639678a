/**
 * The 2-2-2 sigmoid network of the seed's spreadsheet (no biases, L2 loss, one example), trained by
 * plain gradient descent with derivatives worked out by hand. Everything here is float64 and written
 * in the order of the equations, so each line can be checked against the derivation on paper and
 * against the workbook's cells.
 */

export const WEIGHT_NAMES = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'] as const;
export type WeightName = (typeof WEIGHT_NAMES)[number];
export type ToyWeights = Record<WeightName, number>;

export const GRADIENT_NAMES = [
  'dE_dw1', 'dE_dw2', 'dE_dw3', 'dE_dw4', 'dE_dw5', 'dE_dw6', 'dE_dw7', 'dE_dw8',
] as const;
export type GradientName = (typeof GRADIENT_NAMES)[number];
export type ToyGradients = Record<GradientName, number>;

/** The backpropagation table's columns, in the order of the CSV and of the workbook. */
export const TOY_COLUMNS = [
  'step', 'eta', 't1', 't2', 'i1', 'i2',
  'w1', 'w2', 'w3', 'w4',
  'h1', 'out_h1', 'h2', 'out_h2',
  'w5', 'w6', 'w7', 'w8',
  'o1', 'out_o1', 'o2', 'out_o2',
  'E1', 'E2', 'E',
  ...GRADIENT_NAMES,
] as const;
export type ToyColumn = (typeof TOY_COLUMNS)[number];
export type ToyRow = Record<ToyColumn, number>;

export interface ToyExample {
  /** i1, i2 */
  inputs: readonly [number, number] | readonly number[];
  /** t1, t2 */
  targets: readonly [number, number] | readonly number[];
}

export interface ToySetup extends ToyExample {
  weights: ToyWeights;
  /** η */
  lr: number;
  /** Updates after step 0; the table has steps + 1 rows. */
  steps: number;
}

export interface ForwardPass {
  h1: number;
  out_h1: number;
  h2: number;
  out_h2: number;
  o1: number;
  out_o1: number;
  o2: number;
  out_o2: number;
  E1: number;
  E2: number;
  E: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function forward(example: ToyExample, w: ToyWeights): ForwardPass {
  const [i1, i2] = example.inputs;
  const [t1, t2] = example.targets;

  const h1 = w.w1 * i1 + w.w2 * i2;
  const h2 = w.w3 * i1 + w.w4 * i2;
  const out_h1 = sigmoid(h1);
  const out_h2 = sigmoid(h2);

  const o1 = w.w5 * out_h1 + w.w6 * out_h2;
  const o2 = w.w7 * out_h1 + w.w8 * out_h2;
  const out_o1 = sigmoid(o1);
  const out_o2 = sigmoid(o2);

  const E1 = 0.5 * (t1 - out_o1) ** 2;
  const E2 = 0.5 * (t2 - out_o2) ** 2;
  const E = E1 + E2;

  return { h1, out_h1, h2, out_h2, o1, out_o1, o2, out_o2, E1, E2, E };
}

/**
 * ∂E/∂w by the chain rule. σ'(x) = σ(x)(1 − σ(x)), so the derivative of each unit's output with respect
 * to its input is written with the unit's output (out_o1·(1 − out_o1), out_h1·(1 − out_h1)); the seed
 * used h1·(1 − h1) at the hidden units, which is the mistake this project exists to catch.
 */
export function gradients(example: ToyExample, w: ToyWeights, f: ForwardPass): ToyGradients {
  const [i1, i2] = example.inputs;
  const [t1, t2] = example.targets;

  // ∂E/∂o1 = ∂E1/∂out_o1 · ∂out_o1/∂o1 (E2 does not depend on o1), likewise for o2.
  const dE_dout_o1 = f.out_o1 - t1;
  const dout_o1_do1 = f.out_o1 * (1 - f.out_o1);
  const dE_do1 = dE_dout_o1 * dout_o1_do1;

  const dE_dout_o2 = f.out_o2 - t2;
  const dout_o2_do2 = f.out_o2 * (1 - f.out_o2);
  const dE_do2 = dE_dout_o2 * dout_o2_do2;

  // o1 = w5·out_h1 + w6·out_h2, o2 = w7·out_h1 + w8·out_h2
  const dE_dw5 = dE_do1 * f.out_h1;
  const dE_dw6 = dE_do1 * f.out_h2;
  const dE_dw7 = dE_do2 * f.out_h1;
  const dE_dw8 = dE_do2 * f.out_h2;

  // out_h1 feeds both outputs (through w5 and w7), out_h2 through w6 and w8.
  const dE_dout_h1 = dE_do1 * w.w5 + dE_do2 * w.w7;
  const dE_dout_h2 = dE_do1 * w.w6 + dE_do2 * w.w8;
  const dout_h1_dh1 = f.out_h1 * (1 - f.out_h1);
  const dout_h2_dh2 = f.out_h2 * (1 - f.out_h2);
  const dE_dh1 = dE_dout_h1 * dout_h1_dh1;
  const dE_dh2 = dE_dout_h2 * dout_h2_dh2;

  // h1 = w1·i1 + w2·i2, h2 = w3·i1 + w4·i2
  const dE_dw1 = dE_dh1 * i1;
  const dE_dw2 = dE_dh1 * i2;
  const dE_dw3 = dE_dh2 * i1;
  const dE_dw4 = dE_dh2 * i2;

  return { dE_dw1, dE_dw2, dE_dw3, dE_dw4, dE_dw5, dE_dw6, dE_dw7, dE_dw8 };
}

/** One row of the table: the weights at this step, the forward pass through them, and their gradients. */
export function tableRow(step: number, eta: number, example: ToyExample, w: ToyWeights): ToyRow {
  const [i1, i2] = example.inputs;
  const [t1, t2] = example.targets;
  const f = forward(example, w);
  const g = gradients(example, w, f);
  return {
    step, eta, t1, t2, i1, i2,
    w1: w.w1, w2: w.w2, w3: w.w3, w4: w.w4,
    h1: f.h1, out_h1: f.out_h1, h2: f.h2, out_h2: f.out_h2,
    w5: w.w5, w6: w.w6, w7: w.w7, w8: w.w8,
    o1: f.o1, out_o1: f.out_o1, o2: f.o2, out_o2: f.out_o2,
    E1: f.E1, E2: f.E2, E: f.E,
    ...g,
  };
}

export function weightsOf(row: ToyRow): ToyWeights {
  return {
    w1: row.w1, w2: row.w2, w3: row.w3, w4: row.w4,
    w5: row.w5, w6: row.w6, w7: row.w7, w8: row.w8,
  };
}

/**
 * Row 0 holds the starting weights; row k+1's weights are row k's minus η times row k's gradients.
 * `onStep` hears each row as soon as it is computed, e.g. to note when it was measured.
 */
export function trainToyNetwork(setup: ToySetup, onStep?: (row: ToyRow) => void): ToyRow[] {
  const { lr: eta, steps } = setup;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
  const example: ToyExample = { inputs: setup.inputs, targets: setup.targets };
  const rows: ToyRow[] = [];
  let w: ToyWeights = { ...setup.weights };
  for (let step = 0; step <= steps; step++) {
    const row = tableRow(step, eta, example, w);
    rows.push(row);
    onStep?.(row);
    w = {
      w1: row.w1 - eta * row.dE_dw1,
      w2: row.w2 - eta * row.dE_dw2,
      w3: row.w3 - eta * row.dE_dw3,
      w4: row.w4 - eta * row.dE_dw4,
      w5: row.w5 - eta * row.dE_dw5,
      w6: row.w6 - eta * row.dE_dw6,
      w7: row.w7 - eta * row.dE_dw7,
      w8: row.w8 - eta * row.dE_dw8,
    };
  }
  return rows;
}
