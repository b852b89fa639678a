/**
 * Hydra's own parser test cases (tests/test_overrides_parser.py in facebookresearch/hydra: the value
 * each input parses to is taken from there as a fact), run through xp's reading of Hydra's grammar.
 * Each row: the override's value as typed, and what Hydra parses it to (a value, a sweep, or an error).
 * A dict's keys are text in xp (a spec's keys are), so Hydra's `{null: 1}` is `{"null": 1}` here.
 */
import { describe, expect, it } from 'vitest';
import { OverrideSyntaxError, parseHydraOverride, sweepValues, type Element, type Sweep } from './grammar.ts';
import { HYDRA_CASES, type Expected } from './hydra-cases.ts';

function parseCase(input: string) {
  const text = input.startsWith('=') ? input.slice(1) : `key=${input}`;
  return parseHydraOverride(text);
}

function matches(input: string, expected: Expected): void {
  if ('error' in expected) {
    let error: unknown;
    try {
      parseCase(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OverrideSyntaxError);
    if (typeof expected.error === 'string') expect((error as Error).message).toContain(expected.error);
    else expect((error as Error).message).toMatch(expected.error);
    return;
  }
  const parsed = parseCase(input);
  if ('value' in expected) {
    if (expected.value === '<no value>') {
      expect(parsed.value).toBeUndefined();
      return;
    }
    // Hydra's shuffle test compares the values in any order.
    if (input.startsWith('shuffle(')) expect([...((parsed.value as { element: Element[] }).element)].sort()).toEqual(expected.value);
    else expect(parsed.value).toEqual({ element: expected.value });
    return;
  }
  expect(parsed.value && 'sweep' in parsed.value).toBe(true);
  const sweep = (parsed.value as { sweep: Sweep }).sweep;
  if ('choice' in expected) {
    expect(sweep.sweep).toBe('choice');
    if (sweep.sweep !== 'choice') return;
    if (sweep.shuffle) expect([...sweep.values].sort()).toEqual([...expected.choice].sort());
    else expect(sweep.values).toEqual(expected.choice);
    if (expected.simple !== undefined) expect(sweep.simple).toBe(expected.simple);
    expect(sweep.tags).toEqual(expected.tags ?? []);
  } else if ('range' in expected) {
    expect(sweep.sweep).toBe('range');
    if (sweep.sweep !== 'range') return;
    expect([sweep.start, sweep.stop, sweep.step]).toEqual(expected.range);
    if (expected.values) expect(sweepValues(sweep)).toEqual(expected.values);
  } else if ('interval' in expected) {
    expect(sweep).toEqual({ sweep: 'interval', start: expected.interval[0], end: expected.interval[1], tags: expected.tags ?? [] });
  } else if ('glob' in expected) {
    expect(sweep).toEqual({ sweep: 'glob', ...expected.glob });
  }
}

describe("Hydra's own parser cases (tests/test_overrides_parser.py)", () => {
  it(`has at least 66 cases`, () => {
    expect(HYDRA_CASES.length).toBeGreaterThanOrEqual(66);
  });
  for (const [rule, id, input, expected] of HYDRA_CASES) {
    it(`${rule} ${id}: ${JSON.stringify(input)}`, () => matches(input, expected));
  }

  it('shuffle keeps the values and, in xp, a fixed order (a sweep names the same variants each time)', () => {
    const sweep = (parseCase('shuffle(range(1,10))').value as { sweep: Sweep }).sweep;
    const values = sweepValues(sweep);
    expect([...values].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sweepValues(sweep)).toEqual(values);
  });

  it('a float range counts as Hydra counts it: 1.0 to 3.1 in steps of 0.1, without rounding drift', () => {
    const sweep = (parseCase('range(1.0, 3.14, 0.1)').value as { sweep: Sweep }).sweep;
    const values = sweepValues(sweep);
    expect(values).toHaveLength(22);
    expect(values[values.length - 1]).toBe(3.1);
    expect(values[3]).toBe(1.3);
  });

  it('errors carry the column where the parse stopped', () => {
    const column = (text: string) => {
      try {
        parseHydraOverride(text);
      } catch (e) {
        return (e as OverrideSyntaxError).column;
      }
      return undefined;
    };
    expect(column('key=[]aa')).toBe(7);
    expect(column("key=[1,2,3]'")).toBe(12);
    expect(column('key=range(1,a)')).toBe(5);
    expect(column('a b=1')).toBe(2);
  });
});
