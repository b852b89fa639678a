export {
  flattenBlocks,
  LAYER_KINDS,
  LayerSpecError,
} from './layers.ts';
export type {
  BlocksSpec,
  CnnModelSpec,
  ConvPadding,
  LayerDescriptor,
  LayerKind,
  LayerOf,
  LayerSpec,
  SpecPath,
} from './layers.ts';
export { countParameters, formatShape, formatSummary, ModelShapeError, summarizeModel } from './summary.ts';
export type { LayerShape, LayerSummary, ModelIssue, ModelSummary } from './summary.ts';
export { missingLayerKinds } from './require-layers.ts';
export { buildModel, LAYER_BUILDERS } from './build.ts';
export type { BuildOptions, LayerBuildContext, LayerBuilder, LayerBuilders } from './build.ts';
export { defineLayerKind } from './layers/definition.ts';
export type { LayerEffect, LayerKindDefinition, LayerOrigin } from './layers/definition.ts';
export { LAYER_KIND_DEFINITIONS, layerKindDefinition } from './layers/index.ts';
export { LogSoftmax, SeededDropout, SpatialDropout2D } from './custom-layers.ts';
export { SEED_BLOCKS, SEED_NETWORK } from './seed-network.ts';
export { buildStockModel, copyTrainedWeights, STOCK_OUTPUT, StockExportError, stockModelOf } from './export/stock-model.ts';
