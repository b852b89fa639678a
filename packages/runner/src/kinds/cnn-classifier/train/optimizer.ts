/**
 * SGD with PyTorch-style momentum and Adam, both with PyTorch's weight_decay (an L2 term added to
 * the gradient). Written here rather than taken from tf.train because their state is keyed by
 * variable name, and layer names depend on how many layers the process built before: a checkpoint
 * must restore by position in the model's weight list instead.
 */
import * as tf from '@tensorflow/tfjs';
import { sgdMomentumUpdate } from '@xp/engine';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerSettings {
  name: OptimizerName;
  /** SGD only; 0 is plain SGD. The spec's train.momentum and train.weightDecay, as loading resolved them. */
  momentum: number;
  weightDecay: number;
  /** Adam's β1, β2, ε; PyTorch's defaults. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Everything needed to continue optimizing: the step count and each slot tensor by `slot/index`. */
export interface OptimizerState {
  name: OptimizerName;
  iterations: number;
  slots: tf.NamedTensorMap;
}

export interface TrainOptimizer {
  readonly name: OptimizerName;
  readonly iterations: number;
  /** Updates variables[i] from grads[i] at rate `lr`. */
  apply(grads: readonly tf.Tensor[], lr: number): void;
  /** Copies of the slots (the caller disposes them). */
  state(): OptimizerState;
  restore(state: OptimizerState): void;
  dispose(): void;
}

export function createOptimizer(variables: readonly tf.Variable[], settings: OptimizerSettings): TrainOptimizer {
  return settings.name === 'adam' ? new Adam(variables, settings) : new Sgd(variables, settings);
}

abstract class SlotOptimizer implements TrainOptimizer {
  abstract readonly name: OptimizerName;
  iterations = 0;
  protected readonly slots = new Map<string, tf.Variable[]>();
  protected readonly weightDecay: number;

  constructor(protected readonly variables: readonly tf.Variable[], settings: OptimizerSettings, slotNames: string[]) {
    this.weightDecay = settings.weightDecay;
    for (const slot of slotNames) {
      this.slots.set(
        slot,
        variables.map((v) => {
          // A variable keeps its own reference to the data, so the initial tensor must go.
          const zeros = tf.zerosLike(v);
          const slotVariable = tf.variable(zeros, false);
          zeros.dispose();
          return slotVariable;
        }),
      );
    }
  }

  /** Updates every variable from its gradient (inside a tidy). */
  protected abstract step(grads: readonly tf.Tensor[], lr: number): void;

  apply(grads: readonly tf.Tensor[], lr: number): void {
    if (grads.length !== this.variables.length) throw new Error(`expected ${this.variables.length} gradients, got ${grads.length}`);
    this.iterations += 1;
    tf.tidy(() => this.step(grads, lr));
  }

  state(): OptimizerState {
    const slots: tf.NamedTensorMap = {};
    for (const [slot, tensors] of this.slots) tensors.forEach((t, i) => (slots[`${slot}/${i}`] = t.clone()));
    return { name: this.name, iterations: this.iterations, slots };
  }

  restore(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`checkpoint holds ${state.name} state, but the spec trains with ${this.name}`);
    for (const [slot, tensors] of this.slots) {
      tensors.forEach((t, i) => {
        const saved = state.slots[`${slot}/${i}`];
        if (!saved) throw new Error(`checkpoint lacks optimizer slot ${slot}/${i}`);
        if (!tf.util.arraysEqual(saved.shape, t.shape)) {
          throw new Error(`optimizer slot ${slot}/${i} has shape [${saved.shape}] in the checkpoint but [${t.shape}] in the model`);
        }
        t.assign(saved);
      });
    }
    this.iterations = state.iterations;
  }

  dispose(): void {
    for (const tensors of this.slots.values()) tensors.forEach((t) => t.dispose());
  }
}

/** v ← m·v + g; w ← w − lr·v (PyTorch's SGD; tf.train.momentum agrees). */
class Sgd extends SlotOptimizer {
  readonly name = 'sgd';
  private readonly momentum: number;

  constructor(variables: readonly tf.Variable[], settings: OptimizerSettings) {
    super(variables, settings, settings.momentum > 0 ? ['momentum'] : []);
    this.momentum = settings.momentum;
  }

  protected step(grads: readonly tf.Tensor[], lr: number): void {
    // PyTorch starts the velocity at the first gradient; from zeros, m·0 + g gives the same.
    const velocities = this.slots.get('momentum') ?? [];
    const next = sgdMomentumUpdate(this.variables, velocities, grads, { lr, momentum: this.momentum, weightDecay: this.weightDecay });
    next.velocities.forEach((v, i) => velocities[i].assign(v));
    next.weights.forEach((w, i) => this.variables[i].assign(w));
  }
}

/** PyTorch's Adam (L2 weight decay in the gradient, not AdamW), bias-corrected. */
class Adam extends SlotOptimizer {
  readonly name = 'adam';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(variables: readonly tf.Variable[], settings: OptimizerSettings) {
    super(variables, settings, ['m', 'v']);
    this.beta1 = settings.beta1 ?? 0.9;
    this.beta2 = settings.beta2 ?? 0.999;
    this.epsilon = settings.epsilon ?? 1e-8;
  }

  protected step(grads: readonly tf.Tensor[], lr: number): void {
    grads.forEach((g, i) => this.update(i, this.weightDecay > 0 ? tf.add(g, tf.mul(this.variables[i], this.weightDecay)) : g, lr));
  }

  private update(i: number, grad: tf.Tensor, lr: number): void {
    const m = this.slots.get('m')![i];
    const v = this.slots.get('v')![i];
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1)));
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2)));
    const t = this.iterations;
    const stepSize = lr / (1 - this.beta1 ** t);
    const denominator = tf.add(tf.sqrt(tf.div(v, 1 - this.beta2 ** t)), this.epsilon);
    this.variables[i].assign(tf.sub(this.variables[i], tf.mul(tf.div(m, denominator), stepSize)));
  }
}
