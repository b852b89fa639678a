/**
 * An argument after the spec (`xp run spec.yaml train.lr=0.3`, `-m train.lr=0.1,0.3`), read with
 * Hydra's grammar (./grammar.ts) and checked against the schema: a single value is an override,
 * a sweep (`a,b`, `choice(…)`, `range(…)`, and their sort/shuffle/tag forms) is a -m axis, an
 * `interval(…)` a random search's or Optuna's distribution. A sweep without -m, a `glob(…)` outside a
 * config group and `@package` on a plain key are refused at their column: Hydra refuses them too.
 */
import type { SourceLocation, SpecIssue } from '../errors.ts';
import type { JsonSchema } from '../schema.ts';
import { checkPath, commandLineLocation, isTextOnly, type Override, type OverrideSource, type SweepAxis } from '../overrides.ts';
import { OverrideSyntaxError, parseHydraOverride, sweepValues, type Element, type ParsedOverride } from './grammar.ts';

/** `-m path=interval(a,b)`: a uniform distribution for the spec's random search or Optuna study. */
export interface IntervalAxis {
  path: string[];
  start: number;
  end: number;
  text: string;
  location: SourceLocation;
}

export const GRAMMAR_HINT = "Hydra's override grammar: key=value, +key=value, ++key=value, ~key; values 1, 0.5, text, 'quoted text', [a, b], {a: 1}; with -m a,b,c, choice(a,b), range(1,5), interval(0,1) (random search, Optuna), sort(…), shuffle(…), tag(…); escape , = : ( ) [ ] { } and spaces with \\";

/** Parses the argument's grammar alone: the override, or the issue at its column. */
export function readHydraArgument(text: string, source: OverrideSource = 'argument'): { parsed?: ParsedOverride; issue?: SpecIssue } {
  try {
    return { parsed: parseHydraOverride(text) };
  } catch (error) {
    if (!(error instanceof OverrideSyntaxError)) throw error;
    return { issue: { path: '', message: `cannot read the override: ${error.message}`, expected: GRAMMAR_HINT, found: JSON.stringify(text), location: commandLineLocation(source, text, error.column) } };
  }
}

export function parseArgument(text: string, multirun: boolean): { override?: Override; axis?: SweepAxis; interval?: IntervalAxis; issue?: SpecIssue } {
  const source: OverrideSource = multirun ? '-m' : 'argument';
  const read = readHydraArgument(text, source);
  if (!read.parsed) return { issue: read.issue };
  const parsed = read.parsed;
  const where = (column: number) => commandLineLocation(source, text, column);
  const keyStart = parsed.kind === 'force-add' ? 2 : parsed.kind === 'change' ? 0 : 1;
  if (parsed.package !== undefined) {
    return { issue: { path: parsed.key, message: `@${parsed.package} places a config group's option; ${parsed.key} is not a config group the spec's defaults use`, expected: 'group@package=option for a group in the defaults list, or a plain key=value', found: JSON.stringify(text), location: where(keyStart + parsed.key.length + 1) } };
  }
  if (parsed.key.includes('/')) {
    return { issue: { path: parsed.key, message: `${parsed.key} names a config group (a/b) that the spec's defaults do not use`, expected: 'a group of the defaults list, or +group=option to add one', found: JSON.stringify(text), location: where(keyStart + 1) } };
  }
  const checked = checkPath(parsed.key, where, keyStart);
  if ('issue' in checked) return { issue: checked.issue };
  const location = where(parsed.valueOffset + 1);
  const base = { path: checked.path, text, raw: parsed.valueText, source: 'argument' as const, location, kind: parsed.kind };
  if (parsed.kind === 'delete') {
    const value = parsed.value;
    if (value && 'sweep' in value) return { issue: { path: checked.dotted, message: '~key=value deletes a key holding that value: a sweep is not one value', expected: `~${checked.dotted} or ~${checked.dotted}=<its value>`, found: JSON.stringify(text), location } };
    return { override: { ...base, value: undefined, ...(value ? { deleteIf: typed(checked.schema, value.element, parsed.valueText) } : {}) } };
  }
  const value = parsed.value ?? { element: '' };
  if ('element' in value) return { override: { ...base, value: typed(checked.schema, value.element, parsed.valueText) } };
  const sweep = value.sweep;
  if (!multirun) {
    return {
      issue: {
        path: checked.dotted,
        message: `${parsed.valueText} is a sweep (${sweep.sweep === 'choice' && sweep.simple ? 'comma-separated values' : `${sweep.sweep}(…)`}): one run takes one value`,
        expected: `one value, or -m (multirun) for one variant per value: -m ${text}`,
        found: JSON.stringify(parsed.valueText),
        hint: `for one variant per value, add -m (multirun): -m ${text}`,
        location,
      },
    };
  }
  if (parsed.kind !== 'change') {
    return { issue: { path: checked.dotted, message: `${parsed.kind === 'add' ? '+' : '++'} with a sweep: -m sweeps a key with key=a,b`, expected: `-m ${checked.dotted}=${parsed.valueText}`, found: JSON.stringify(text), location: where(1) } };
  }
  if (sweep.sweep === 'glob') {
    return { issue: { path: checked.dotted, message: 'glob() chooses among a config group\'s options; this key is not a config group', expected: 'glob(…) on a group of the defaults list, e.g. -m model=glob(*)', found: JSON.stringify(text), location } };
  }
  if (sweep.sweep === 'interval') return { interval: { path: checked.path, start: sweep.start, end: sweep.end, text, location } };
  const values = sweepValues(sweep);
  if (values.length === 0) {
    return { issue: { path: checked.dotted, message: `${parsed.valueText} has no values`, expected: 'a sweep of at least one value', found: JSON.stringify(parsed.valueText), location } };
  }
  const pieces = values.map((v, i) => {
    const piece = sweep.sweep === 'choice' && !sweep.shuffle ? parsed.pieces?.[i] : undefined;
    const pieceText = piece ? piece.text.trim() : typeof v === 'string' ? v : JSON.stringify(v);
    return { raw: pieceText, value: typed(checked.schema, v, pieceText), location: piece ? where(piece.offset + 1 + (piece.text.length - piece.text.trimStart().length)) : location };
  });
  if (values.length === 1) return { override: { ...base, value: pieces[0].value } };
  return { axis: { path: checked.path, values: pieces.map((p) => p.value), text, pieces: pieces.map(({ raw, location: l }) => ({ raw, location: l })), location: pieces[0].location } };
}

/** A text field takes the value as typed (`name=1e3` is "1e3", as the spec file's `name: 1e3` would not be). */
function typed(schema: JsonSchema, value: Element, asTyped: string): unknown {
  if (!isTextOnly(schema) || typeof value === 'string' || (value !== null && typeof value === 'object')) return value;
  return asTyped.trim();
}
