/**
 * Writes schemas/fragments/*.schema.json from schemas/experiment.schema.json (src/compose/fragments.ts);
 * src/compose/fragments.test.ts fails when the checked-in files are stale.
 * Run: npm run gen:fragments -w packages/core
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { experimentSchema } from '../src/schema.ts';
import { FRAGMENTS_DIR, renderFragments } from '../src/compose/fragments.ts';

mkdirSync(FRAGMENTS_DIR, { recursive: true });
for (const [name, text] of Object.entries(renderFragments(experimentSchema()))) writeFileSync(join(FRAGMENTS_DIR, name), text);
console.log(`wrote ${FRAGMENTS_DIR}`);
