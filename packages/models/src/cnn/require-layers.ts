/** The `constraints.requireLayers` check: which required layer kinds a network lacks. */
import type { LayerDescriptor, LayerKind } from './layers.ts';
import type { LayerSummary } from './summary.ts';

/** Kinds that count as another kind for the requirement ('spatial-dropout' is a dropout). */
const ALSO_SATISFIES: Partial<Record<LayerKind, LayerKind>> = { 'spatial-dropout': 'dropout' };

function kindsProvided(entry: LayerDescriptor | LayerSummary): LayerKind[] {
  const layer = 'layer' in entry ? entry.layer : entry;
  const kinds: LayerKind[] = [layer.kind];
  const alias = ALSO_SATISFIES[layer.kind];
  if (alias) kinds.push(alias);
  // An average pool whose window covers the whole map is global average pooling; only a summary
  // (which knows the input shape) can tell.
  if (layer.kind === 'avgpool' && 'layer' in entry) {
    const [, h, w] = entry.inputShape;
    if (entry.inputShape.length === 3 && layer.size >= h && layer.size >= w) kinds.push('global-avg-pool');
  }
  return kinds;
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
