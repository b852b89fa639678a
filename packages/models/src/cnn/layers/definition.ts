/**
 * What a layer kind is: one object that says how the kind is written in a spec (its JSON Schema
 * fragment and how its options are read, defaults filled), what it does to a shape (output shape,
 * parameters, buffers, multiply-adds, receptive-field window), how its summary row is named, and
 * how TensorFlow.js builds it. Each kind is one module beside this file, registered by one line in
 * ./index.ts; shapes, summaries, builders and the schema's layer section all read the registry.
 *
 * Nothing here loads TensorFlow.js: a builder gets tfjs and xp's custom layers from its build
 * context, so summaries and plans stay free of it (the CLI loads it only when it trains).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type * as customLayers from '../custom-layers.ts';

/** Where a layer is written in the spec, e.g. ['model', 'blocks', 'conv1', 2]. */
export type SpecPath = readonly (string | number)[];

/** A JSON Schema object, as written into schemas/experiment.schema.json. */
export type JsonSchema = { readonly [key: string]: unknown };

/** [C, H, W] for a feature map, [N] for a flat vector. */
export type LayerShape = readonly number[];

export interface LayerOrigin {
  /** Block the layer belongs to. */
  block: string;
  path: SpecPath;
}

/** A flattened layer of kind K with options O, every default filled in. */
export type LayerOfKind<K extends string, O extends object> = LayerOrigin & { kind: K } & O;

/** A layer entry the schema would also refuse; thrown because nothing sensible can follow it. */
export class LayerSpecError extends Error {
  constructor(readonly path: SpecPath, message: string) {
    super(`${path.join('.')}: ${message}`);
    this.name = 'LayerSpecError';
  }
}

/** One layer's effect on the tensor passing through it (per example). */
export interface LayerEffect {
  output: LayerShape;
  /** Trainable parameters, as PyTorch counts them. */
  params: number;
  /** Non-trainable state (batch-norm running mean and variance). */
  buffers: number;
  multAdds: number;
  /** Window and stride for the receptive-field recurrence; absent for layers that do not move it. */
  window?: { size: number; stride: number };
  /** The layer mixes every input unit into every output (dense): the receptive field ends. */
  mixesEverything?: boolean;
}

/**
 * What a builder needs of the layer's row in the model summary (../summary.ts's LayerSummary has
 * these and more); declared here so that layer kinds do not import the summary that imports them.
 */
export interface LayerPlacement {
  /** 1-based position in the flattened network. */
  index: number;
  inputShape: LayerShape;
  outputShape: LayerShape;
}

export interface LayerBuildContext {
  /** The layer's analysis: its position and input/output shapes. */
  summary: LayerPlacement;
  /** Unique, readable tfjs layer name stem, e.g. '03_conv1_conv2d'. */
  name: string;
  /** Deterministic seed for this layer's randomness (initialisers, dropout masks). */
  seed: (purpose: string) => number;
  /** TensorFlow.js, handed in by buildModel so that kind modules load without it. */
  tf: typeof tfjs;
  /** xp's own tfjs layers (seeded dropouts, log-softmax). */
  custom: typeof customLayers;
}

export interface LayerKindDefinition<K extends string = string, O extends object = object> {
  /** The kind's name in specs, e.g. 'conv2d'. */
  readonly name: K;
  /** Whether the kind may be written as a bare string (`- relu`). */
  readonly bare: boolean;
  /** JSON Schema of `options` in `{kind: options}`; absent when the kind takes no options. */
  readonly options?: JsonSchema;
  /** Named schemas that `options` refers to as `#/$defs/NAME`; written into the schema's $defs. */
  readonly defs?: { readonly [name: string]: JsonSchema };
  /**
   * The layer's options with every default filled in, from the value under its kind key (undefined
   * for a bare entry, then `bare` is true); throws LayerSpecError located at `path`.
   */
  parse(raw: unknown, path: SpecPath, bare: boolean): O;
  /** The summary row's name, e.g. 'conv2d 3×3 16→32 pad 1'; default: the kind's name. */
  label?(layer: LayerOfKind<K, O>, input: LayerShape): string;
  /** Output shape, parameters, buffers, multiply-adds and receptive-field window; or why `input` does not fit. */
  effect(layer: LayerOfKind<K, O>, input: LayerShape): LayerEffect | string;
  /**
   * Other kinds this layer stands in for in `constraints.requireLayers` (spatial-dropout is a
   * dropout). `input` is known only when the layer comes from a summary.
   */
  alsoCountsAs?(layer: LayerOfKind<K, O>, input: LayerShape | undefined): readonly string[];
  /** The tfjs layers that make it (NHWC), with PyTorch semantics where tfjs differs. */
  build(layer: LayerOfKind<K, O>, context: LayerBuildContext): tfjs.layers.Layer[];
  /**
   * The layer at inference, made only of TensorFlow.js's own layer classes: what the exported
   * model (../export/) holds, which stock `tf.loadLayersModel` opens without xp. Layers with
   * weights must keep `build`'s names, weights and weight order, because the trained weights are
   * copied over by layer name. A string says why the layer has no stock form where it stands.
   * Absent: `build`'s layers are stock already.
   */
  stock?(layer: LayerOfKind<K, O>, context: StockBuildContext): tfjs.layers.Layer[] | string;
}

export interface StockBuildContext extends LayerBuildContext {
  /** The layer is the network's last: its output is the model's output. */
  last: boolean;
}

/** Declares a kind; the identity, there for type inference. */
export function defineLayerKind<K extends string, O extends object = Record<never, never>>(
  definition: LayerKindDefinition<K, O>,
): LayerKindDefinition<K, O> {
  return definition;
}

// --- reading options ---------------------------------------------------------------------------

export type Options = { readonly [key: string]: unknown };

export function positiveInteger(value: unknown, path: SpecPath, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LayerSpecError(path, `${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function rate(value: unknown, path: SpecPath): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new LayerSpecError(path, `rate must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The options object under a kind key ({} when absent). */
export function options(value: unknown, path: SpecPath, kind: string): Options {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new LayerSpecError(path, `${kind} options must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Options;
}

/** The `default` the schema fragment gives option `key`: the schema is the one source of defaults. */
export function schemaDefault<T>(schema: JsonSchema, key: string): T {
  const property = (schema.properties as { [key: string]: JsonSchema } | undefined)?.[key];
  if (!property || !('default' in property)) throw new Error(`the layer schema gives option '${key}' no default`);
  return property.default as T;
}

// --- shapes ------------------------------------------------------------------------------------

export const isMap = (shape: LayerShape): boolean => shape.length === 3;
export const formatShape = (shape: LayerShape): string => shape.join('×');

/** The message for a layer that needs a feature map but gets a flat vector. */
export const needsMap = (what: string, input: LayerShape): string =>
  `${what} needs a C×H×W feature map, but its input is a flat vector of ${input[0]} (after flatten, global-avg-pool or dense)`;

/** The effect of a layer that changes neither shape nor parameter count (relu, dropout, ...). */
export const unchanged = (input: LayerShape): LayerEffect => ({ output: input, params: 0, buffers: 0, multAdds: 0 });

// --- building ----------------------------------------------------------------------------------

/**
 * PyTorch's default for Conv2d and Linear: kaiming_uniform(a=√5) on the weight, which works out to
 * uniform(±1/√fan_in), and the bias drawn from the same range.
 */
export function torchDefaultInit(context: LayerBuildContext, fanIn: number, purpose: string): ReturnType<typeof tfjs.initializers.randomUniform> {
  const bound = 1 / Math.sqrt(fanIn);
  return context.tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: context.seed(purpose) });
}
