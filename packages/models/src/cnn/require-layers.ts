/** The `constraints.requireLayers` check: which required layer kinds a network lacks. */
import type { LayerDescriptor, LayerKind } from './layers.ts';
import { layerKindDefinition } from './layers/index.ts';
import type { LayerSummary } from './summary.ts';

/**
 * The layer's own kind and the kinds it stands in for (its module's `alsoCountsAs`: a spatial-dropout
 * is a dropout; an avgpool over the whole map, which only a summary can tell, is a global-avg-pool).
 */
function kindsProvided(entry: LayerDescriptor | LayerSummary): LayerKind[] {
  const layer = 'layer' in entry ? entry.layer : entry;
  const input = 'layer' in entry ? entry.inputShape : undefined;
  const also = layerKindDefinition(layer.kind)?.alsoCountsAs?.(layer, input) ?? [];
  return [layer.kind, ...(also as LayerKind[])];
}

/**
 * The required kinds absent from the network, in the order required. Pass summary layers
 * (summarizeModel(...).layers) so a whole-map avgpool counts as global-avg-pool.
 */
export function missingLayerKinds(
  layers: readonly (LayerDescriptor | LayerSummary)[],
  required: readonly LayerKind[],
): LayerKind[] {
  const present = new Set(layers.flatMap(kindsProvided));
  return required.filter((kind) => !present.has(kind));
}
