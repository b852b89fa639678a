/**
 * Writes the layer section of schemas/experiment.schema.json ($defs layerKind, layer and the shared
 * definitions layer kinds refer to) from the layer-kind registry (src/cnn/layers/index.ts); the rest
 * of the file is left as written. src/cnn/layers/schema.test.ts fails when the checked-in file is stale.
 * Run: npm run gen:schema -w packages/models   (then npm run gen:types -w packages/core)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SCHEMA_PATH } from '@xp/core';
import { renderExperimentSchema } from '../src/cnn/layers/schema.ts';

const current = readFileSync(SCHEMA_PATH, 'utf8');
const next = renderExperimentSchema(current);
if (next === current) {
  console.log(`${SCHEMA_PATH} is up to date`);
} else {
  writeFileSync(SCHEMA_PATH, next);
  console.log(`wrote ${SCHEMA_PATH}; now run npm run gen:types -w packages/core`);
}
