/**
 * The spec as code after loading sees it: validated, overrides and vars applied, and every default
 * the schema states filled in (ajv's useDefaults, ./schema.ts). The generated ExperimentSpec leaves a
 * defaulted field optional, because a file may omit it; the types here say which fields are always
 * present after loading, kind by kind, so nothing after loading needs a `??` fallback, and a default
 * lives in the schema only.
 *
 * The lists below are checked against the schema by ./resolved-spec.test.ts: a default added to the
 * schema fails that test until it is listed here, and with it the type. Defaults of parts that are
 * themselves optional (a schedule's gamma, a layer's stride) are filled in whenever the part is there.
 */
import type { BUILT_IN_FIELDS, COMMON_FIELDS, PluginKindName } from './plugin-kinds.ts';
import type { ExperimentSpec } from './spec-types.ts';

/** Present in every resolved spec. */
export const ALWAYS_PRESENT = ['seed', 'backend'] as const;

/** Present in a resolved toy-mlp spec: what the schema requires or defaults for that kind. */
export const TOY_PRESENT = [
  ...ALWAYS_PRESENT,
  'data', 'data.inputs', 'data.targets',
  'model', 'model.weights',
  'train', 'train.steps', 'train.lr', 'train.reportEvery',
  'constraints', 'constraints.maxGradientError',
] as const;

/** Present in a resolved cnn-classifier spec. */
export const CNN_PRESENT = [
  ...ALWAYS_PRESENT,
  'data', 'data.dataset', 'data.validationSplit', 'data.normalize', 'data.normalize.mean', 'data.normalize.std',
  'model', 'model.blocks', 'model.input',
  'train', 'train.epochs', 'train.batchSize', 'train.optimizer', 'train.momentum', 'train.weightDecay', 'train.checkpoint', 'train.workers',
  'train.parallelism', 'train.fusedMultiplyAdd', 'train.winograd',
  'constraints', 'constraints.judge',
] as const;

/** Present in a resolved command spec (a program of the user's own: runner/kinds/command). */
export const COMMAND_PRESENT = [...ALWAYS_PRESENT, 'command', 'cwd', 'env', 'params', 'stopGrace', 'constraints'] as const;

/** Defaults of a schedule, filled in whenever a spec has one of that type. */
export const SCHEDULE_PRESENT = { step: ['gamma'], 'one-cycle': ['pctStart', 'divFactor', 'finalDivFactor'] } as const;

type Schedule = NonNullable<NonNullable<ExperimentSpec['train']>['schedule']>;
/** A schedule after loading: its type's defaults present. */
export type ResolvedSchedule = {
  [Type in keyof typeof SCHEDULE_PRESENT]: WithPresent<Extract<Schedule, { type: Type }>, (typeof SCHEDULE_PRESENT)[Type][number]>;
}[keyof typeof SCHEDULE_PRESENT];

type CnnTrain = NonNullable<ExperimentSpec['train']>;
type CnnData = NonNullable<ExperimentSpec['data']>;

/** Defaults of data.augment, filled in whenever a spec has it. */
export const AUGMENT_PRESENT = ['rotation', 'shift'] as const;
/** data.augment after loading: both amounts present (0 for the one a spec leaves out). */
export type ResolvedAugment = WithPresent<NonNullable<CnnData['augment']>, (typeof AUGMENT_PRESENT)[number]>;

export type ResolvedToySpec = WithPresent<ExperimentSpec & { kind: 'toy-mlp' }, (typeof TOY_PRESENT)[number]>;
export type ResolvedCnnSpec = WithPresent<ExperimentSpec & { kind: 'cnn-classifier' }, (typeof CNN_PRESENT)[number]> & {
  train: Omit<CnnTrain, 'schedule'> & { schedule?: ResolvedSchedule };
  data: Omit<CnnData, 'augment'> & { augment?: ResolvedAugment };
};
export type ResolvedCommandSpec = WithPresent<ExperimentSpec & { kind: 'command' }, (typeof COMMAND_PRESENT)[number]>;
/**
 * A plugin kind's spec (./plugin-kinds.ts): the shared fields as the core schema types them. The
 * plugin's own fields are not typed here (its fragment checked them; the plugin reads the spec as its
 * own type); the built-in kinds' fields are absent (BUILT_IN_FIELDS), so code that reads
 * `spec.train?.lr` of any spec stays typed.
 */
export type ResolvedPluginSpec = WithPresent<Pick<ExperimentSpec, Exclude<(typeof COMMON_FIELDS)[number], 'kind'>> & { kind: PluginKindName }, (typeof ALWAYS_PRESENT)[number]> & {
  [Field in (typeof BUILT_IN_FIELDS)[number]]?: undefined;
};
/** A loaded spec of any kind; `spec.kind` tells them apart. */
export type ResolvedSpec = ResolvedToySpec | ResolvedCnnSpec | ResolvedCommandSpec | ResolvedPluginSpec;

/**
 * Asserts what loading guarantees: validation filled the defaults in. Only loading (./load.ts) and
 * tests that build specs by hand call it; everything else receives a ResolvedSpec.
 */
export function asResolved(spec: ExperimentSpec): ResolvedSpec {
  return spec as ResolvedSpec;
}

/** The cnn-classifier spec of a run that the registry handed to the CNN kind. */
export function cnnSpecOf(spec: ResolvedSpec): ResolvedCnnSpec {
  if (spec.kind !== 'cnn-classifier') throw new TypeError(`expected a cnn-classifier spec, got kind '${spec.kind}'`);
  return spec;
}

/** The command spec of a run that the registry handed to the command kind. */
export function commandSpecOf(spec: ResolvedSpec): ResolvedCommandSpec {
  if (spec.kind !== 'command') throw new TypeError(`expected a command spec, got kind '${spec.kind}'`);
  return spec;
}

/** The toy-mlp spec of a run that the registry handed to the toy kind. */
export function toySpecOf(spec: ResolvedSpec): ResolvedToySpec {
  if (spec.kind !== 'toy-mlp') throw new TypeError(`expected a toy-mlp spec, got kind '${spec.kind}'`);
  return spec;
}

// T with every dotted path in P present (not optional, not undefined), nested objects included.
type WithPresent<T, P extends string> = T & UnionToIntersection<P extends unknown ? PathPresent<T, P> : never>;

type PathPresent<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? { [K in Head]-?: NonNullable<T[K]> & PathPresent<NonNullable<T[K]>, Rest> }
    : never
  : P extends keyof T
    ? { [K in P]-?: NonNullable<T[K]> }
    : never;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
