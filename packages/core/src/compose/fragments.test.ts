/**
 * The schema fragments (issue 20): checked in and current, and a group file whose `$schema` header
 * points at its fragment validates against it, as an editor would check it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { experimentSchema } from '../schema.ts';
import { FRAGMENTS_DIR, renderFragments } from './fragments.ts';

const REPO = join(import.meta.dirname, '../../../..');

function validatorFor(file: string) {
  const header = /\$schema=(\S+)/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!header) throw new Error(`${file} has no $schema header`);
  const schema = JSON.parse(readFileSync(resolve(dirname(file), header), 'utf8'));
  return new Ajv2020({ allErrors: true, strict: false }).compile(schema);
}

describe('schema fragments', () => {
  it('are current (npm run gen:fragments -w packages/core)', () => {
    const rendered = renderFragments(experimentSchema());
    expect(readdirSync(FRAGMENTS_DIR).sort()).toEqual(Object.keys(rendered).sort());
    for (const [name, text] of Object.entries(rendered)) expect(readFileSync(join(FRAGMENTS_DIR, name), 'utf8'), name).toBe(text);
  });

  const groupFiles = ['base', 'model', 'recipe'].flatMap((dir) => readdirSync(join(REPO, 'experiments', dir)).map((f) => join(REPO, 'experiments', dir, f)));
  for (const file of groupFiles) {
    it(`${file.slice(REPO.length + 1)} validates against the fragment its header names`, () => {
      const validate = validatorFor(file);
      expect(validate(parse(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it('a key that does not belong is refused by the fragment', () => {
    const validate = validatorFor(join(REPO, 'experiments/model/seed-net.yaml'));
    expect(validate({ blocks: {}, widht: 3 })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'widht' } });
  });
});
