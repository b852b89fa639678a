/**
 * repeat: not a layer kind but a group of layers written once and repeated in sequence
 * (`{repeat: {times: N, layers: [...]}}`); flattening the blocks expands it.
 */
import { options, positiveInteger, type JsonSchema, type SpecPath } from './definition.ts';

export const REPEAT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['times', 'layers'],
  description: 'A group of layers repeated in sequence.',
  properties: {
    times: { type: 'integer', minimum: 1, description: 'How many times the group repeats.' },
    layers: { $ref: '#/$defs/layerList' },
  },
};

/** `path` locates the value under the `repeat` key. */
export function parseRepeat(raw: unknown, path: SpecPath): { times: number; layers: unknown } {
  const repeat = options(raw, path, 'repeat');
  return { times: positiveInteger(repeat.times, [...path, 'times'], 'times'), layers: repeat.layers };
}
