import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { renderSpecTypes, SPEC_TYPES_FILE } from './spec-types-gen.ts';

it('spec-types.ts is generated from the current schema (run npm run gen:types -w packages/core if not)', async () => {
  expect(readFileSync(SPEC_TYPES_FILE, 'utf8')).toBe(await renderSpecTypes());
});
