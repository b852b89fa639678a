/**
 * Generates src/spec-types.ts from schemas/experiment.schema.json, so the TypeScript types and the
 * schema cannot drift: spec-types.test.ts fails when the checked-in file is stale.
 * Run: npm run gen:types -w packages/core
 */
import { writeFileSync } from 'node:fs';
import { renderSpecTypes, SPEC_TYPES_FILE } from '../src/spec-types-gen.ts';

writeFileSync(SPEC_TYPES_FILE, await renderSpecTypes());
console.log(`wrote ${SPEC_TYPES_FILE}`);
