/**
 * Turns ajv's errors into issues a person can act on: one per mistake, with the key path, what was
 * expected, what was found, and "did you mean" for misspelt keys and misspelt values (layer kinds).
 */
import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { SourceLocation, SpecIssue } from './errors.ts';
import { firstUnsafeChar } from './printable.ts';
import { describeValue } from './source.ts';
import { BUILT_IN_FIELDS, isPluginKindName, splitPluginSpec, validatePluginFields } from './plugin-kinds.ts';
import { experimentSchema, validateAgainstSchema } from './schema.ts';

export type PathLocator = (path: readonly (string | number)[], keyOf?: boolean) => SourceLocation | undefined;

/** Validates `spec` (filling defaults in place) and returns its issues, located with `locate`. */
export function validateSpec(spec: unknown, locate: PathLocator): SpecIssue[] {
  const kind = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>).kind : undefined;
  if (isPluginKindName(kind)) return [...nonFiniteNumbers(spec, locate), ...validatePluginSpec(spec as Record<string, unknown>, kind, locate)];
  return [...nonFiniteNumbers(spec, locate), ...schemaErrorsToIssues(validateAgainstSchema(spec), spec, locate).map((issue) => (issue.path === 'kind' ? kindIssue(issue, kind) : issue))];
}

const BUILT_IN_KINDS = ['toy-mlp', 'cnn-classifier', 'command'];

/** An unknown kind: the plugin alternative said in words (not as the schema's pattern), and "did you mean" for a misspelt built-in. */
function kindIssue(issue: SpecIssue, kind: unknown): SpecIssue {
  if (issue.message !== 'not an allowed value') return issue;
  const expected = `one of ${BUILT_IN_KINDS.map((k) => `"${k}"`).join(', ')}, or a plugin kind: a module path relative to the spec (./kinds/my-kind.ts) or an npm package named xp-kind-*`;
  const suggestion = typeof kind === 'string' ? closest(kind, BUILT_IN_KINDS) : undefined;
  const hint = suggestion !== undefined && typeof kind === 'string' && isCloseTo(kind, suggestion) ? `did you mean '${suggestion}'?` : issue.hint;
  return { ...issue, expected, ...(hint === undefined ? {} : { hint }) };
}

/**
 * A plugin kind's spec: the shared fields against the core schema, the rest against the plugin's own
 * fragment (./plugin-kinds.ts), both located in the same file. Defaults of both are filled in place.
 */
function validatePluginSpec(spec: Record<string, unknown>, kind: string, locate: PathLocator): SpecIssue[] {
  const { common, own } = splitPluginSpec(spec);
  const reserved: SpecIssue[] = Object.keys(own)
    .filter((key) => (BUILT_IN_FIELDS as readonly string[]).includes(key))
    .map((key) => ({ path: key, message: `'${key}' belongs to xp's built-in kinds, not to the plugin kind '${kind}'`, expected: "the plugin's own fields (named other than the built-in kinds' fields)", found: `'${key}'`, location: locate([key], true) }));
  if (reserved.length > 0) return reserved;
  const commonIssues = schemaErrorsToIssues(validateAgainstSchema(common), common, locate);
  const ownErrors = validatePluginFields(kind, own);
  Object.assign(spec, common, own);
  if (ownErrors === undefined) {
    const issue: SpecIssue = { path: 'kind', message: `the plugin kind '${kind}' is not loaded`, expected: "a plugin kind named by the spec file's own 'kind:' (xp loads it from there before validating)", found: `'${kind}'`, location: locate(['kind']) };
    return [...commonIssues, issue];
  }
  return [...commonIssues, ...schemaErrorsToIssues(ownErrors, own, locate)].sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
}

/** YAML can say .inf and .nan, JSON Schema cannot refuse them: no spec value may be infinite or NaN. */
function nonFiniteNumbers(value: unknown, locate: PathLocator, path: string[] = []): SpecIssue[] {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return [{ path: path.join('.'), message: 'not a finite number', expected: 'a finite number', found: String(value), location: locate(path) }];
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => nonFiniteNumbers(child, locate, [...path, key]));
  }
  return [];
}

export function schemaErrorsToIssues(errors: ErrorObject[], root: unknown, locate: PathLocator): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const error of withoutEchoes(selectErrors(errors))) {
    const issue = toIssue(error, root, locate);
    const key = `${issue.path}|${issue.message}|${issue.expected ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
}

/**
 * ajv reports every failed branch of a oneOf and the "if" that chose a branch; people want only the
 * branch they meant. Keep the branch with the fewest errors, fold same-place alternatives (a value
 * that is neither 'valid' nor an integer) into one "expected A or B", and drop the bookkeeping.
 */
function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const byBranchPoint = new Map<string, Map<string, ErrorObject[]>>();
  const plain: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'if') continue;
    const match = /^(.*\/(?:oneOf|anyOf))\/(\d+)\//.exec(error.schemaPath);
    if (!match) {
      plain.push(error);
      continue;
    }
    const branches = byBranchPoint.get(match[1]) ?? new Map<string, ErrorObject[]>();
    branches.set(match[2], [...(branches.get(match[2]) ?? []), error]);
    byBranchPoint.set(match[1], branches);
  }
  const chosen: ErrorObject[] = [];
  for (const [point, branches] of byBranchPoint) {
    const all = [...branches.values()];
    const sameSpot = all.every((errs) => errs.every((e) => e.instancePath === errs[0].instancePath) && errs.length === 1);
    const owner = plain.find((e) => e.schemaPath === point);
    if (sameSpot && owner) {
      owner.params = { ...owner.params, alternatives: all.map((errs) => expectedOf(errs[0])) };
      continue;
    }
    // Prefer the branch whose discriminating `const`/`type` matched: it fails with the fewest errors.
    const best = all.sort((a, b) => penalty(a) - penalty(b))[0];
    chosen.push(...best);
    const index = plain.findIndex((e) => e.schemaPath === point);
    if (index >= 0) plain.splice(index, 1);
  }
  return [...plain, ...chosen];
}

/**
 * A misspelt key is one mistake, but ajv reports it twice: the unknown key, and the required key it
 * was meant to be as missing. Keep the unknown key (its hint names the required one).
 */
function withoutEchoes(errors: ErrorObject[]): ErrorObject[] {
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties');
  return errors.filter((error) => {
    if (error.keyword !== 'required') return true;
    const missing = String((error.params as Record<string, unknown>).missingProperty);
    return !unknown.some((u) => u.instancePath === error.instancePath && isCloseTo(String((u.params as Record<string, unknown>).additionalProperty), missing));
  });
}

/** Close enough to be a misspelling of `intended`. */
function isCloseTo(typed: string, intended: string): boolean {
  return distance(typed, intended) <= Math.max(2, Math.floor(typed.length / 3));
}

/** "did you mean" for a value that is not among `allowed`; layer kinds also suggest the kinds that take options. */
function valueHint(found: unknown, allowed: unknown[]): string | undefined {
  if (typeof found !== 'string' || !allowed.every((v) => typeof v === 'string')) return undefined;
  const layerKinds = ((experimentSchema().$defs as Record<string, { enum?: string[] }> | undefined)?.layerKind?.enum) ?? [];
  const isLayer = allowed.length > 0 && allowed.every((v) => layerKinds.includes(v as string));
  const candidates = isLayer ? layerKinds : (allowed as string[]);
  const suggestion = candidates.length > 0 ? closest(found, candidates) : undefined;
  if (suggestion === undefined) return undefined;
  const takesOptions = isLayer && !allowed.includes(suggestion);
  if (suggestion === found) return takesOptions ? `'${found}' takes options: write it as a one-key mapping, e.g. - ${found}: ${layerExample(found)}` : undefined;
  if (!isCloseTo(found, suggestion)) return undefined;
  return takesOptions ? `did you mean '${suggestion}'? It takes options: - ${suggestion}: ${layerExample(suggestion)}` : `did you mean '${suggestion}'?`;
}

function layerExample(kind: string): string {
  const examples: Record<string, string> = {
    conv2d: '{filters: 16, kernel: 3}',
    dropout: '0.1',
    'spatial-dropout': '0.1',
    maxpool: '{size: 2}',
    avgpool: '{size: 2}',
    dense: '{units: 10}',
  };
  return examples[kind] ?? '{...}';
}

function penalty(errors: ErrorObject[]): number {
  return errors.reduce((sum, e) => sum + (e.keyword === 'const' || e.keyword === 'type' ? 10 : 1), 0);
}

function toIssue(error: ErrorObject, root: unknown, locate: PathLocator): SpecIssue {
  const path = pointerToPath(error.instancePath);
  const dotted = path.join('.');
  const found = describeValue(valueAt(root, path));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = knownPropertiesOf(error);
      const suggestion = known.length > 0 ? closest(key, known) : undefined;
      const close = suggestion !== undefined && isCloseTo(key, suggestion);
      return {
        path: [...path, key].join('.'),
        message: `unknown key '${key}'`,
        expected: known.length > 0 ? `one of: ${known.join(', ')}` : 'no further keys here',
        found: `'${key}'`,
        hint: close ? `did you mean '${suggestion}'?` : undefined,
        location: locate([...path, key], true),
      };
    }
    case 'required':
      return {
        path: dotted,
        message: `missing required key '${String(params.missingProperty)}'`,
        expected: `a key '${String(params.missingProperty)}'${dotted ? ` under ${dotted}` : ' at the top level'}`,
        found: 'none',
        location: locate(path),
      };
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum': {
      const relation = { maximum: '≤', minimum: '≥', exclusiveMaximum: '<', exclusiveMinimum: '>' }[error.keyword];
      const limitSource = dataReference(error);
      return {
        path: dotted,
        message: limitSource ? `must be ${relation} ${limitSource} (${String(params.limit)})` : 'out of range',
        expected: `a number ${relation} ${String(params.limit)}`,
        found,
        location: locate(path),
      };
    }
    case 'oneOf':
    case 'anyOf': {
      const alternatives = (params.alternatives as string[] | undefined) ?? [];
      return { path: dotted, message: 'not an allowed value', expected: alternatives.join(', or ') || 'one of the allowed forms', found, location: locate(path) };
    }
    case 'enum':
      return { path: dotted, message: messageFor(error), expected: expectedOf(error), found, hint: valueHint(valueAt(root, path), params.allowedValues as unknown[]), location: locate(path) };
    case 'pattern': {
      // A control character in a name is the pattern's usual victim: say which one and where, not the regex.
      const value = valueAt(root, path);
      const unsafe = typeof value === 'string' ? firstUnsafeChar(value) : null;
      if (unsafe) {
        return {
          path: dotted,
          message: `contains the control character ${unsafe.codePoint} at character ${unsafe.index + 1}`,
          expected: 'printable text: no control characters (C0, DEL, C1), line separators, bidirectional controls, U+FFFE/U+FFFF',
          found,
          location: locate(path),
        };
      }
      if (typeof value === 'string' && value.includes("'")) {
        return { path: dotted, message: `holds a ', which MLflow's file store cannot look up by name (it quotes the name in a filter without escaping)`, expected: "a name without '", found, location: locate(path) };
      }
      return { path: dotted, message: messageFor(error), expected: expectedOf(error), found, location: locate(path) };
    }
    default:
      return { path: dotted, message: messageFor(error), expected: expectedOf(error), found, location: locate(path) };
  }
}

function messageFor(error: ErrorObject): string {
  switch (error.keyword) {
    case 'type':
      return 'wrong type';
    case 'enum':
    case 'const':
      return 'not an allowed value';
    case 'pattern':
      return 'badly formed';
    case 'minItems':
    case 'maxItems':
      return 'wrong number of items';
    case 'maxProperties':
    case 'minProperties':
      return 'wrong number of keys';
    default:
      return error.message ?? 'invalid';
  }
}

function expectedOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return String(params.type).replace(/,/g, ' or ').replace('number', 'a finite number').replace('integer', 'an integer');
    case 'enum':
      return `one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return JSON.stringify(params.allowedValue);
    case 'pattern':
      return `text matching ${String(params.pattern)}`;
    case 'minItems':
      return `at least ${String(params.limit)} items`;
    case 'maxItems':
      return `at most ${String(params.limit)} items`;
    case 'maxProperties': {
      // A one-key mapping names what it is by its key: a layer {conv2d: {...}}, a distribution {uniform: [...]}.
      const [example] = knownPropertiesOf(error);
      return params.limit === 1 && example ? `one key, e.g. {${example}: ...}, not several` : `at most ${String(params.limit)} keys`;
    }
    case 'minProperties': {
      const [example] = knownPropertiesOf(error);
      return params.limit === 1 && example && error.parentSchema?.maxProperties === 1 ? `one key, e.g. {${example}: ...}` : `at least ${String(params.limit)} key(s)`;
    }
    case 'minimum':
      return `a number ≥ ${String(params.limit)}`;
    case 'maximum':
      return `a number ≤ ${String(params.limit)}`;
    case 'exclusiveMinimum':
      return `a number > ${String(params.limit)}`;
    case 'exclusiveMaximum':
      return `a number < ${String(params.limit)}`;
    case 'minLength':
      return `at least ${String(params.limit)} characters`;
    case 'maxLength':
      return `at most ${String(params.limit)} characters`;
    case 'uniqueItems':
      return 'no repeated items';
    default:
      return error.message ?? 'a valid value';
  }
}

function knownPropertiesOf(error: ErrorObject): string[] {
  const schema = error.parentSchema as Record<string, unknown> | undefined;
  const props = schema?.properties;
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

function dataReference(error: ErrorObject): string | undefined {
  const schema = error.schema as unknown;
  if (schema && typeof schema === 'object' && '$data' in (schema as object)) {
    const ref = String((schema as { $data: string }).$data);
    // Relative JSON pointer "2/constraints/maxEpochs": the part after the level count is the path.
    return ref.replace(/^\d+\//, '').replace(/\//g, '.');
  }
  return undefined;
}

function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
