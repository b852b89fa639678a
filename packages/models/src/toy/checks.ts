/**
 * Independent evidence that the hand-derived gradients are right: central finite differences of the
 * float64 loss, and TensorFlow.js automatic differentiation of the same network in float32.
 */
import * as tf from '@tensorflow/tfjs';
import {
  forward, GRADIENT_NAMES, WEIGHT_NAMES, weightsOf,
  type ForwardPass, type GradientName, type ToyExample, type ToyGradients, type ToyRow, type ToyWeights,
} from './network.ts';

/**
 * |a − b| / max(|a|, |b|, tiny). The floor matters where a derivative passes through zero during
 * training: there the check's own rounding noise, divided by a vanishing |a|, would read as an arbitrarily
 * large relative error. Callers pass tiny = (the check's resolution) / tolerance, so that below that size
 * the test becomes |a − b| ≤ resolution.
 */
export function relativeError(a: number, b: number, tiny = 0): number {
  if (a === b) return 0;
  const diff = Math.abs(a - b);
  if (!Number.isFinite(diff)) return Infinity;
  const scale = Math.max(Math.abs(a), Math.abs(b), tiny);
  return scale === 0 ? Infinity : diff / scale;
}

/**
 * Step of the finite differences, measured in the weight's pre-activation (δh1 = δw1·i1): E depends on w1
 * only through h1, so in those units the loss has unit-scale derivatives whatever the inputs are, and one
 * step suits every weight. With the sixth-order stencil, truncation (∝ h⁶) and rounding (∝ ε/h) errors are
 * both far below 1e-8 relative near h = 1e-2; the plain two-point difference cannot reach 1e-8 relative on
 * gradients as small as ∂E/∂w1 ≈ 2e-4 at any step.
 */
export const FD_STEP = 1e-2;
const STENCIL: readonly (readonly [number, number])[] = [[1, 3 / 4], [2, -3 / 20], [3, 1 / 60]];

export interface FiniteDifferences {
  gradients: ToyGradients;
  /** Bound on each estimate's rounding error: a few ulps of E's error terms, amplified by the stencil. */
  resolution: ToyGradients;
}

/** The value each weight multiplies, so its step can be taken in pre-activation units. */
function fanIn(example: ToyExample, f: ForwardPass): ToyWeights {
  const [i1, i2] = example.inputs;
  return { w1: i1, w2: i2, w3: i1, w4: i2, w5: f.out_h1, w6: f.out_h2, w7: f.out_h1, w8: f.out_h2 };
}

/** Central finite differences of E, each weight moved on its own: f'(w) ≈ Σ c_k (E(w+kδ) − E(w−kδ)) / δ. */
export function finiteDifferenceGradients(example: ToyExample, weights: ToyWeights, h = FD_STEP): FiniteDifferences {
  const f0 = forward(example, weights);
  const into = fanIn(example, f0);
  const [t1, t2] = example.targets;
  const noiseScale = Math.abs(t1 - f0.out_o1) + Math.abs(t2 - f0.out_o2) + f0.E;
  const gradients = {} as ToyGradients;
  const resolution = {} as ToyGradients;
  WEIGHT_NAMES.forEach((name, k) => {
    // A weight on an input of exactly 0 has derivative exactly 0; any finite step then reproduces it.
    const delta = h / Math.max(Math.abs(into[name]), 1e-3);
    const lossAt = (d: number): number => forward(example, { ...weights, [name]: weights[name] + d }).E;
    let sum = 0;
    for (const [j, c] of STENCIL) sum += c * (lossAt(j * delta) - lossAt(-j * delta));
    gradients[GRADIENT_NAMES[k]] = sum / delta;
    // E = ½(t − out)² carries an absolute error of about ε·|t − out|, not ε·E: the subtraction is where
    // precision goes, and it is what is left when E is already small.
    // Plus the stencil's truncation, about h⁶/140 times E's seventh derivative in pre-activation units
    // (of order one for sigmoids), scaled back to the weight: it does not vanish with the gradient.
    resolution[GRADIENT_NAMES[k]] = (16 * Number.EPSILON * noiseScale) / delta + (h ** 6 / 140) * (h / delta);
  });
  return { gradients, resolution };
}

export interface GradientDisagreement {
  step: number;
  gradient: GradientName;
  /** The table's (hand-derived, float64) value. */
  analytic: number;
  /** The value of the check it is compared with. */
  reference: number;
  relativeError: number;
}

export interface GradientCheckResult {
  /** The largest relative error over every step and weight. */
  maxRelativeError: number;
  /** Where it occurred. */
  worst: GradientDisagreement | null;
  /** Every comparison over the tolerance. */
  failures: GradientDisagreement[];
  tolerance: number;
}

function compare(
  rows: readonly ToyRow[],
  references: readonly ToyGradients[],
  resolutions: readonly ToyGradients[],
  tolerance: number,
): GradientCheckResult {
  let worst: GradientDisagreement | null = null;
  const failures: GradientDisagreement[] = [];
  rows.forEach((row, k) => {
    for (const gradient of GRADIENT_NAMES) {
      const analytic = row[gradient];
      const reference = references[k][gradient];
      const err = relativeError(analytic, reference, resolutions[k][gradient] / tolerance);
      const d: GradientDisagreement = { step: row.step, gradient, analytic, reference, relativeError: err };
      // Negated comparisons so that NaN counts as a failure and as the worst.
      if (!(err <= tolerance)) failures.push(d);
      if (worst === null || !(err <= worst.relativeError)) worst = d;
    }
  });
  const max = worst === null ? 0 : (worst as GradientDisagreement).relativeError;
  return { maxRelativeError: max, worst, failures, tolerance };
}

/** Finite differences at every row of the table, in float64. */
export function checkFiniteDifferences(rows: readonly ToyRow[], tolerance = 1e-8): GradientCheckResult {
  const fd = rows.map((row) =>
    finiteDifferenceGradients({ inputs: [row.i1, row.i2], targets: [row.t1, row.t2] }, weightsOf(row)),
  );
  return compare(rows, fd.map((d) => d.gradients), fd.map((d) => d.resolution), tolerance);
}

/**
 * tf.grads of the same loss, on the `cpu` backend (float32). All rows go through one call: the summed loss
 * Σ_k E_k(w_k) has ∂/∂w_k = ∂E_k/∂w_k because each row's loss depends only on its own weights.
 */
export async function autodiffGradients(rows: readonly ToyRow[]): Promise<ToyGradients[]> {
  const previous = tf.getBackend();
  if (previous !== 'cpu') await tf.setBackend('cpu');
  try {
    const values = tf.tidy(() => {
      const column = (name: keyof ToyRow) => tf.tensor1d(rows.map((r) => r[name]), 'float32');
      const i1 = column('i1'), i2 = column('i2'), t1 = column('t1'), t2 = column('t2');
      const loss = (...w: tf.Tensor[]): tf.Tensor => {
        const [w1, w2, w3, w4, w5, w6, w7, w8] = w;
        const out_h1 = tf.sigmoid(w1.mul(i1).add(w2.mul(i2)));
        const out_h2 = tf.sigmoid(w3.mul(i1).add(w4.mul(i2)));
        const out_o1 = tf.sigmoid(w5.mul(out_h1).add(w6.mul(out_h2)));
        const out_o2 = tf.sigmoid(w7.mul(out_h1).add(w8.mul(out_h2)));
        const E = t1.sub(out_o1).square().mul(0.5).add(t2.sub(out_o2).square().mul(0.5));
        return E.sum();
      };
      const grads = tf.grads(loss)(WEIGHT_NAMES.map((name) => column(name)));
      return tf.stack(grads, 1).arraySync() as number[][];
    });
    return values.map((g) => {
      const out = {} as ToyGradients;
      GRADIENT_NAMES.forEach((name, k) => (out[name] = g[k]));
      return out;
    });
  } finally {
    if (previous && previous !== 'cpu') await tf.setBackend(previous);
  }
}

/**
 * Automatic differentiation at every row; float32, so the tolerance is loose. Even so, float32 cannot
 * resolve a gradient to 1e-4 once the network has nearly converged: out − t then keeps only the low bits
 * of two nearly equal numbers, and 1 − out loses them as a unit saturates. Each gradient's resolution is
 * its float32 rounding error under that conditioning; it exceeds tolerance·|g| only in those regimes.
 */
export async function checkAutodiff(rows: readonly ToyRow[], tolerance = 1e-4): Promise<GradientCheckResult> {
  const references = await autodiffGradients(rows);
  return compare(rows, references, rows.map(float32Resolution), tolerance);
}

const FLOAT32_EPSILON = 2 ** -23;

function float32Resolution(row: ToyRow): ToyGradients {
  const cancellation = (x: number) => 1 / (Math.abs(x) + FLOAT32_EPSILON);
  const conditioning =
    cancellation(row.out_o1 - row.t1) + cancellation(row.out_o2 - row.t2) +
    cancellation(row.out_o1 * (1 - row.out_o1)) + cancellation(row.out_o2 * (1 - row.out_o2)) +
    cancellation(row.out_h1 * (1 - row.out_h1)) + cancellation(row.out_h2 * (1 - row.out_h2));
  // A hidden unit's error sums what flows back from both outputs; the two terms can nearly cancel.
  const dE_do1 = (row.out_o1 - row.t1) * row.out_o1 * (1 - row.out_o1);
  const dE_do2 = (row.out_o2 - row.t2) * row.out_o2 * (1 - row.out_o2);
  const sumCancellation = (a: number, b: number) => (Math.abs(a) + Math.abs(b)) / (Math.abs(a + b) || FLOAT32_EPSILON);
  const hidden1 = sumCancellation(dE_do1 * row.w5, dE_do2 * row.w7);
  const hidden2 = sumCancellation(dE_do1 * row.w6, dE_do2 * row.w8);
  const extra: ToyGradients = {
    dE_dw1: hidden1, dE_dw2: hidden1, dE_dw3: hidden2, dE_dw4: hidden2, dE_dw5: 0, dE_dw6: 0, dE_dw7: 0, dE_dw8: 0,
  };
  const r = {} as ToyGradients;
  for (const g of GRADIENT_NAMES) {
    r[g] = 4 * FLOAT32_EPSILON * (conditioning + extra[g]) * Math.abs(row[g]) + FLOAT32_EPSILON ** 2;
  }
  return r;
}
