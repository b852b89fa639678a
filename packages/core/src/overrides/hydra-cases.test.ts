/**
 * Hydra's own parser test cases (tests/test_overrides_parser.py in facebookresearch/hydra: the value
 * each input parses to is taken from there as a fact), run through xp's reading of Hydra's grammar.
 * Each row: the override's value as typed, and what Hydra parses it to (a value, a sweep, or an error).
 * A dict's keys are text in xp (a spec's keys are), so Hydra's `{null: 1}` is `{"null": 1}` here.
 */
import { describe, expect, it } from 'vitest';
import { OverrideSyntaxError, parseHydraOverride, sweepValues, type Element, type Sweep } from './grammar.ts';

type Expected =
  | { value: Element }
  | { choice: Element[]; simple?: boolean; tags?: string[] }
  | { range: [number, number, number]; values?: number[] }
  | { interval: [number, number]; tags?: string[] }
  | { glob: { include: string[]; exclude: string[] } }
  | { error: RegExp | string };

const v = (value: Element): Expected => ({ value });
const E = (error: RegExp | string): Expected => ({ error });

/** [Hydra's test, its id, the input (an override's value, or a whole override where it starts with '='), expected]. */
export const HYDRA_CASES: Array<[string, string, string, Expected]> = [
  // test_element
  ['element', 'value:id', 'abc', v('abc')],
  ['element', 'value:idint', 'abc123', v('abc123')],
  ['element', 'value:id-int', 'abc-123', v('abc-123')],
  ['element', 'value:str-ws-in', 'a b c\t-\t1 2 3', v('a b c\t-\t1 2 3')],
  ['element', 'value:str-ws-out', ' abc-123 ', v('abc-123')],
  ['element', 'value:str-int-id', '123abc', v('123abc')],
  ['element', 'value:str-esc-comma', 'a\\,b', v('a,b')],
  ['element', 'value:str-esc-colon', 'a\\:b', v('a:b')],
  ['element', 'value:str-esc-equal', 'a\\=b', v('a=b')],
  ['element', 'value:str-esc-space', '\\ ab', v(' ab')],
  ['element', 'value:str-esc-tab', 'ab\\\t', v('ab\t')],
  ['element', 'value:str-esc-backslash', 'ab\\\\', v('ab\\')],
  ['element', 'value:str-esc-comma-alone', '\\,', v(',')],
  ['element', 'value:str-esc-parentheses', 'f\\(a\\, b\\)', v('f(a, b)')],
  ['element', 'value:str-esc-brackets', '\\[a\\, b\\]', v('[a, b]')],
  ['element', 'value:str-esc-braces', '\\{a\\: b\\}', v('{a: b}')],
  ['element', 'value:str-esc-braces ($)', '$\\{foo.bar\\}', v('${foo.bar}')],
  ['element', 'value:str_interpolation', 'xyz_${a.b.c}', v('xyz_${a.b.c}')],
  ['element', 'value:custom_interpolation', '${f:USER,root}', v('${f:USER,root}')],
  ['element', 'value:custom_interpolation (dotted)', '${f.g:USER,root}', v('${f.g:USER,root}')],
  ['element', 'value:windows_path', 'c:\\foo\\a-b.txt', v('c:\\foo\\a-b.txt')],
  ['element', 'value:null', 'null', v(null)],
  ['element', 'value:int:pos', '1', v(1)],
  ['element', 'value:int:explicit_pos', '+1', v(1)],
  ['element', 'value:int:not_an_int', '1___0___', v('1___0___')],
  ['element', 'value:float:positive', '0.51', v(0.51)],
  ['element', 'value:float:exp', '10e0', v(10)],
  ['element', 'value:float:plus_inf', '+inf', v(Infinity)],
  ['element', 'value:bool', 'true', v(true)],
  ['element', 'value:dot', '.', v('.')],
  // test_value
  ['value', 'value:simple_ws', 'abc ', v('abc')],
  ['value', 'ws_value:simple', ' abc', v('abc')],
  ['value', 'value:list', '[1,2,3]', v([1, 2, 3])],
  ['value', 'value:list1_ws', '[1 ]', v([1])],
  ['value', 'value:list_ws', '[1, 2, 3]', v([1, 2, 3])],
  ['value', 'sweep:int', '1,2,3', { choice: [1, 2, 3], simple: true }],
  ['value', 'sweep:int_ws', '1, 2, 3', { choice: [1, 2, 3], simple: true }],
  ['value', 'sweep:interpolations', '${a}, ${b}, ${c}', { choice: ['${a}', '${b}', '${c}'], simple: true }],
  ['value', 'sweep:lists', '[a,b],[c,d]', { choice: [['a', 'b'], ['c', 'd']], simple: true }],
  ['value', 'value:bool True', 'True', v(true)],
  ['value', 'value:bool TRUE', 'TRUE', v(true)],
  ['value', 'value:bool trUe', 'trUe', v(true)],
  ['value', 'value:bool False', 'False', v(false)],
  ['value', 'value:bool faLse', 'faLse', v(false)],
  ['value', 'int(10.0)', 'int(10.0)', v(10)],
  ['value', 'str(10.0)', 'str(10.0)', v('10.0')],
  ['value', 'bool(10.0)', 'bool(10.0)', v(true)],
  ['value', 'float(10)', 'float(10)', v(10)],
  ['value', 'float(float(10))', 'float(float(10))', v(10)],
  ['value', 'sort([2,3,1])', 'sort([2,3,1])', v([1, 2, 3])],
  ['value', 'sort([2,3,1],reverse=true)', 'sort([2,3,1],reverse=true)', v([3, 2, 1])],
  ['value', 'sort(3,2,1)', 'sort(3,2,1)', { choice: [1, 2, 3], simple: true }],
  ['value', 'sort(a,c,b,reverse=true)', 'sort(a,c,b,reverse=true)', { choice: ['c', 'b', 'a'], simple: true }],
  ['value', 'float(sort(3,2,1))', 'float(sort(3,2,1))', { choice: [1, 2, 3], simple: true }],
  ['value', 'sort(float(3,2,1))', 'sort(float(3,2,1))', { choice: [1, 2, 3], simple: true }],
  ['value', 'sort(3,2,str(1))', 'sort(3,2,str(1))', E(/'<' not supported between instances of '(str|int)' and '(int|str)'/)],
  ['value', 'shuffle(1,2,3)', 'shuffle(1,2,3)', { choice: [1, 2, 3], simple: true }],
  ['value', 'shuffle(choice(1,2,3))', 'shuffle(choice(1,2,3))', { choice: [1, 2, 3], simple: false }],
  // test_list_container
  ['listContainer', 'list:empty', '[]', v([])],
  ['listContainer', 'list:item', '[1]', v([1])],
  ['listContainer', 'list:quoted_item', "['a b']", v(['a b'])],
  ['listContainer', 'list:quoted_item (brackets)', "['[a,b]']", v(['[a,b]'])],
  ['listContainer', 'list:nested_list', '[[a]]', v([['a']])],
  ['listContainer', 'list:double_nested_list', '[[[a]]]', v([[['a']]])],
  ['listContainer', 'list:simple_and_list_elements', '[1,[a]]', v([1, ['a']])],
  ['listContainer', 'list:str_trailing_backslash_single', "['a\\\\', 'b\\\\']", v(['a\\', 'b\\'])],
  ['listContainer', 'list:str_trailing_backslash_double', '["a\\\\", "b\\\\"]', v(['a\\', 'b\\'])],
  // test_shuffle_sequence (the values, in any order)
  ['shuffle', 'shuffle:list', 'shuffle([1,2,3])', v([1, 2, 3])],
  ['shuffle', 'shuffle:list (named)', 'shuffle(list=[1,2,3])', v([1, 2, 3])],
  ['shuffle', 'shuffle:range', 'shuffle(range(1,10))', { range: [1, 10, 1] }],
  // test_dict_container
  ['dictContainer', 'dict empty', '{}', v({})],
  ['dictContainer', 'dict a:b', '{a:b}', v({ a: 'b' })],
  ['dictContainer', 'dict a:10', '{a:10}', v({ a: 10 })],
  ['dictContainer', 'dict list', '{a:[a,10]}', v({ a: ['a', 10] })],
  ['dictContainer', 'dict bool list', '{a:[true,10]}', v({ a: [true, 10] })],
  ['dictContainer', 'dict two', '{a:10,b:20}', v({ a: 10, b: 20 })],
  ['dictContainer', 'dict nested empty', '{a:10,b:{}}', v({ a: 10, b: {} })],
  ['dictContainer', 'dict nested', '{a:10,b:{c:[1,2]}}', v({ a: 10, b: { c: [1, 2] } })],
  ['dictContainer', 'dict_null_key', '{null: 1}', v({ null: 1 })],
  ['dictContainer', 'dict_int_key', '{123: 1, 0: 2, -1: 3}', v({ 123: 1, 0: 2, '-1': 3 })],
  ['dictContainer', 'dict_float_key', '{3.14: 0, 1e3: 1}', v({ '3.14': 0, '1000.0': 1 })],
  ['dictContainer', 'dict_bool_key', '{true: 1, fAlSe: 0}', v({ true: 1, false: 0 })],
  ['dictContainer', 'dict_unquoted_char_key', '{/-\\+.$%*@?|: 1}', v({ '/-\\+.$%*@?|': 1 })],
  ['dictContainer', 'dict_esc_key', '{\\\\\\(\\)\\[\\]\\{\\}\\:\\=\\ \\\t\\,: 1}', v({ '\\()[]{}:= \t,': 1 })],
  ['dictContainer', 'dict_ws_key', '{white spaces: 1}', v({ 'white spaces': 1 })],
  ['dictContainer', 'dict_mixed_keys', '{a_b: 1, ab 123.5 True: 2, null false: 3, 1: 4, null: 5}', v({ a_b: 1, 'ab 123.5 True': 2, 'null false': 3, 1: 4, null: 5 })],
  ['dictContainer', 'dict_str_trailing_backslash_single', "{a: 'a\\\\', b: 'b\\\\'}", v({ a: 'a\\', b: 'b\\' })],
  ['dictContainer', 'dict_str_trailing_backslash_double', '{a: "a\\\\", b: "b\\\\"}', v({ a: 'a\\', b: 'b\\' })],
  // test_choice_sweep, test_simple_choice_sweep
  ['choice', 'sweep:choice(a)', 'choice(a)', { choice: ['a'], simple: false }],
  ['choice', 'sweep:choice(a,b)', 'choice(a,b)', { choice: ['a', 'b'], simple: false }],
  ['choice', 'sweep:choice (a,b)', 'choice (a,b)', { choice: ['a', 'b'], simple: false }],
  ['choice', 'sweep:choice( 10 , 20 )', 'choice( 10 , 20 )', { choice: [10, 20], simple: false }],
  ['choice', 'choice(str(10))', 'choice(str(10))', { choice: ['10'], simple: false }],
  ['simpleChoiceSweep', 'a,b', 'a,b', { choice: ['a', 'b'], simple: true }],
  ['simpleChoiceSweep', 'a,10,3.14', 'a,10,3.14', { choice: ['a', 10, 3.14], simple: true }],
  ['simpleChoiceSweep', 'a , b', 'a , b', { choice: ['a', 'b'], simple: true }],
  ['simpleChoiceSweep', '${a},${b}', '${a},${b}', { choice: ['${a}', '${b}'], simple: true }],
  // test_range_sweep
  ['range', 'ints', 'range(10,11)', { range: [10, 11, 1], values: [10] }],
  ['range', 'ints (space)', 'range (10,11)', { range: [10, 11, 1] }],
  ['range', 'ints_with_step', 'range(1,10,2)', { range: [1, 10, 2], values: [1, 3, 5, 7, 9] }],
  ['range', 'ints_with_step (named)', 'range(start=1,stop=10,step=2)', { range: [1, 10, 2] }],
  ['range', 'floats', 'range(1.0, 3.14)', { range: [1, 3.14, 1], values: [1, 2, 3] }],
  ['range', 'floats_with_step', 'range(1.0, 3.14, 0.1)', { range: [1, 3.14, 0.1] }],
  ['range', 'no_start', 'range(10)', { range: [0, 10, 1] }],
  ['range', 'no_start_empty', 'range(-10)', { range: [0, -10, 1], values: [] }],
  ['range', 'no_start_negative', 'range(-10, step=-1)', { range: [0, -10, -1] }],
  ['range', 'no_start_float', 'range(5.5)', { range: [0, 5.5, 1], values: [0, 1, 2, 3, 4, 5] }],
  ['range', 'no_start_step_float', 'range(5.5, step=0.5)', { range: [0, 5.5, 0.5] }],
  // test_interval_sweep
  ['interval', 'interval(10,11)', 'interval(10,11)', { interval: [10, 11] }],
  ['interval', 'interval', 'interval(2.72,3.14)', { interval: [2.72, 3.14] }],
  ['interval', 'interval:named', 'interval(start=2.72,end=3.14)', { interval: [2.72, 3.14] }],
  // test_parse_errors
  ['errors', 'error:value:whitespace (Hydra tests the rule primitive on " "; in an override, a dict value of spaces)', '=key={a: }', E('expected a value')],
  ['errors', 'error:partial_list', '[', E('expected a value')],
  ['errors', 'error:left_overs', '=key=[]aa', E(`expected ',' or the end of the value, found "aa"`)],
  ['errors', 'error:list_bad_escaping', "['a\\', 'b']", E('unexpected character')],
  ['errors', 'error:left_overs (quote)', "=key=[1,2,3]'", E('unexpected character')],
  ['errors', 'error:dict_quoted_key_dictContainer', '{\'0a\': 0, "1b": 1}', E('expected a key')],
  ['errors', 'error:dict_bad_escaping', "{a: 'a\\', b: 'b'}", E('unexpected character')],
  ['errors', 'error:dict_quoted_key_override_single', "{' abc ': 0}", E('expected a key')],
  ['errors', 'error:dict_quoted_key_override_double', '{" abc ": 0}', E('expected a key')],
  ['errors', 'error:dollar_in_group', '=$foo/bar=foobar', E('is not a key')],
  // test_primitive
  ['primitive', 'accepted_specials', '/-\\+.$%*@?|', v('/-\\+.$%*@?|')],
  ['primitive', 'a.b.c', 'a.b.c', v('a.b.c')],
  ['primitive', 'list.0.bar', 'list.0.bar', v('list.0.bar')],
  ['primitive', '0.foo', '0.foo', v('0.foo')],
  ['primitive', '10', '10', v(10)],
  ['primitive', '10abc', '10abc', v('10abc')],
  ['primitive', 'primitive:bool FALSE', 'FALSE', v(false)],
  ['primitive', 'primitive:int:zero', '0', v(0)],
  ['primitive', 'primitive:int:neg', '-1', v(-1)],
  ['primitive', 'primitive:int:underscore', '10_0', v(100)],
  ['primitive', 'primitive:float:zero', '0.0', v(0)],
  ['primitive', 'primitive:float:small', '1e-05', v(1e-5)],
  ['primitive', 'primitive:float:negative', '-3.14', v(-3.14)],
  ['primitive', 'primitive:float:underscore', '3.1_4', v(3.14)],
  ['primitive', 'primitive:float:exp:neg', '-10e1', v(-100)],
  ['primitive', 'primitive:float:inf', 'inf', v(Infinity)],
  ['primitive', 'primitive:float:inf (upper)', 'INF', v(Infinity)],
  ['primitive', 'primitive:float:inf:neg', '-inf', v(-Infinity)],
  ['primitive', 'primitive:float:nan', 'nan', v(NaN)],
  ['primitive', 'primitive:float:nan (mixed)', 'NaN', v(NaN)],
  ['primitive', 'primitive:interpolation', '${a}', v('${a}')],
  ['primitive', 'primitive:interpolation (dotted)', '${a.b.c}', v('${a.b.c}')],
  ['primitive', 'primitive:interpolation (resolver)', '${foo:a}', v('${foo:a}')],
  ['primitive', 'primitive:interpolation (args)', '${foo:1,2,3}', v('${foo:1,2,3}')],
  ['primitive', 'primitive:interpolation (list)', '${foo:[1,2,3]}', v('${foo:[1,2,3]}')],
  // test_primitive_quoted_string
  ['quoted', 'escape_single_quote', "'foo \\'bar'", v("foo 'bar")],
  ['quoted', 'escape_double_quote', '"foo \\"bar"', v('foo "bar')],
  ['quoted', 'escape_single_quote_x3', "'foo \\\\\\'bar'", v("foo \\'bar")],
  ['quoted', 'escape_double_quote_x3', '"foo \\\\\\"bar"', v('foo \\"bar')],
  ['quoted', 'one_backslash_single', "'foo\\bar'", v('foo\\bar')],
  ['quoted', 'one_backslash_double', '"foo\\bar"', v('foo\\bar')],
  ['quoted', 'noesc_backslash', "'foo\\\\bar'", v('foo\\\\bar')],
  ['quoted', 'noesc_backslash_x4', "'foo\\\\\\\\bar'", v('foo\\\\\\\\bar')],
  ['quoted', 'escape_backslash_trailing', "'foo bar\\\\'", v('foo bar\\')],
  ['quoted', 'escape_mixed', "'foo \\\\\\\\\\'bar\\' \\\\\\\\\\\\'", v("foo \\\\'bar' \\\\\\")],
  ['quoted', 'quoted_specials single', "'\t []{},=+~'", v('\t []{},=+~')],
  ['quoted', 'quoted_specials double', '"\t []{},=+~"', v('\t []{},=+~')],
  ['quoted', 'quoted_with_whitespace', "'a b c'", v('a b c')],
  ['quoted', 'quoted_with_comma', "'a,b'", v('a,b')],
  ['quoted', 'quoted_list', "'[1,2,3]'", v('[1,2,3]')],
  ['quoted', 'quoted_list_with_quoted_element', '"[1,\'2\',3]"', v("[1,'2',3]")],
  ['quoted', 'null', "'null'", v('null')],
  ['quoted', 'int', "'100'", v('100')],
  ['quoted', 'float', "'3.14'", v('3.14')],
  ['quoted', 'float:constant nan', "'nan'", v('nan')],
  ['quoted', 'float:constant inf', "'inf'", v('inf')],
  ['quoted', 'bool', "'true'", v('true')],
  ['quoted', 'interpolation', "'a ${b}'", v('a ${b}')],
  ['quoted', 'esc_interpolation', "'a \\${b}'", v('a \\${b}')],
  ['quoted', 'quotes_and_esc_interpolation', "'a \\'\\${b}\\''", v("a '\\${b}'")],
  ['quoted', 'backslash_and_interpolation', "'a \\\\${b}'", v('a \\\\${b}')],
  ['quoted', 'quotes_and_interpolation', "'a \\'${b}\\''", v("a '${b}'")],
  ['quoted', 'interpolation_with_quoted_string', "'${foo:\\'b,a,r\\'}'", v("${foo:'b,a,r'}")],
  ['quoted', 'interpolation_apparent_brace_mismatch', "'${foo:\"\\' }\"}'", v('${foo:"\' }"}')],
  // test_override
  ['override', 'simple_value', '=key=value', v('value')],
  ['override', 'simple_value (quoted)', "=key='1,2,3'", v('1,2,3')],
  ['override', 'unicode', "=key='שלום'", v('שלום')],
  ['override', 'id-int', '=key=value-123', v('value-123')],
  ['override', 'id-float', '=key=value-1.0', v('value-1.0')],
  ['override', 'id-bool', '=key=value-true', v('value-true')],
  ['override', 'empty_value', '=key=', v('')],
  ['override', 'quoted_value', "=key='foo , bar'", v('foo , bar')],
  ['override', 'choice', '=key=1,2,3', { choice: [1, 2, 3], simple: true }],
  ['override', 'choice_1_element', '=key=choice(1)', { choice: [1], simple: false }],
  ['override', 'choice_sweep', '=key=choice(1,2,3)', { choice: [1, 2, 3], simple: false }],
  ['override', 'choice of lists', '=key=[1,2],[3,4]', { choice: [[1, 2], [3, 4]], simple: true }],
  ['override', 'choice() of lists', '=key=choice([1,2],[3,4])', { choice: [[1, 2], [3, 4]], simple: false }],
  ['override', 'range', '=key=range(0,2)', { range: [0, 2, 1], values: [0, 1] }],
  ['override', 'range step', '=key=range(1,5,2)', { range: [1, 5, 2], values: [1, 3] }],
  ['override', 'range floats', '=key=range(10.0, 11.0)', { range: [10, 11, 1], values: [10] }],
  ['override', 'interval', '=key=interval(0,1)', { interval: [0, 1] }],
  ['override', 'choice:tags', '=key=tag(a,b,choice([1,2],[3,4]))', { choice: [[1, 2], [3, 4]], simple: false, tags: ['a', 'b'] }],
  ['override', 'interval:tags', '=key=tag(a,b,interval(0,1))', { interval: [0, 1], tags: ['a', 'b'] }],
  ['override', 'cast_list', '=key=str([1,2])', v(['1', '2'])],
  ['override', 'using_function_name_in_key', '=choice=reverse', v('reverse')],
  ['override', 'bare_del', '=~x', v('<no value>')],
  ['override', 'specific_del', '=~x=10', v(10)],
  ['override', 'specific_del_empty_string', '=~x=', v('')],
  // test_glob
  ['glob', 'glob(*)', 'glob(*)', { glob: { include: ['*'], exclude: [] } }],
  ['glob', 'glob(include=*)', 'glob(include=*)', { glob: { include: ['*'], exclude: [] } }],
  ['glob', 'glob(include=[*])', 'glob(include=[*])', { glob: { include: ['*'], exclude: [] } }],
  ['glob', 'glob(include=[a*, b*], exclude=c*)', 'glob(include=[a*, b*], exclude=c*)', { glob: { include: ['a*', 'b*'], exclude: ['c*'] } }],
];

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
