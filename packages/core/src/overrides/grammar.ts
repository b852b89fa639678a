/**
 * Hydra's command-line override grammar (hydra/grammar/OverrideLexer.g4 and OverrideParser.g4),
 * read by a hand-written lexer and recursive-descent parser: the same tokens (longest match, the
 * earlier rule on a tie, as ANTLR's lexer does), the same rules, and the same meaning for each
 * value (its visitor and grammar functions), so `vars.x=1_000` is the number 1000, `'100'` stays the
 * string "100" under -m too, `a\,b` is "a,b" and `range(1,4)` is one sweep of three values. Anything
 * outside the grammar is an OverrideSyntaxError at the column where the parse stopped: never a value
 * that Hydra would not give.
 */

/** A value: what a spec key can hold. */
export type Element = null | boolean | number | string | Element[] | { [key: string]: Element };

export interface ChoiceSweep { sweep: 'choice'; values: Element[]; simple: boolean; shuffle: boolean; tags: string[] }
export interface RangeSweep { sweep: 'range'; start: number; stop: number; step: number; float: boolean; shuffle: boolean; tags: string[] }
export interface IntervalSweep { sweep: 'interval'; start: number; end: number; tags: string[] }
export interface GlobSweep { sweep: 'glob'; include: string[]; exclude: string[] }
export type Sweep = ChoiceSweep | RangeSweep | IntervalSweep | GlobSweep;

/** `key=v` changes, `+key=v` adds, `++key=v` sets either way, `~key` (or `~key=v`) deletes. */
export type OverrideKind = 'change' | 'add' | 'force-add' | 'delete';

export interface ParsedOverride {
  kind: OverrideKind;
  /** The key or config group, `train.lr` or `model` or `a/b`. */
  key: string;
  /** `group@package`: where a group option is placed; undefined without `@`. */
  package?: string;
  /** No value: `~key`. A sweep only where the value is one (`a,b`, `choice(…)`, `range(…)`, …). */
  value?: { element: Element } | { sweep: Sweep };
  /** 0-based offset of the value's first character in the override's text (after `=` and spaces). */
  valueOffset: number;
  /** The value as typed. */
  valueText: string;
  /** For `a,b,c`: where each value starts (0-based, in the override's text) and its text as typed. */
  pieces?: Array<{ offset: number; text: string }>;
}

/** A text outside the grammar: `column` is 1-based, in the override as typed. */
export class OverrideSyntaxError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.name = 'OverrideSyntaxError';
    this.column = column;
  }
}

// ---------------------------------------------------------------------------------------------
// Values while they are evaluated: Python's types where the grammar's functions tell them apart.

class Quoted {
  constructor(readonly text: string) {}
}
/** A Python float (`str(10.0)` is "10.0", `int(10.0)` is 10): told apart from an int until the end. */
class PyFloat {
  constructor(readonly value: number) {}
}
type Raw = null | boolean | number | string | Quoted | PyFloat | Raw[] | RawDict | RawSweep;
interface RawDict { dict: Array<[string, Raw]> }
type RawSweep =
  | { sweep: 'choice'; values: Raw[]; simple: boolean; shuffle: boolean; tags: string[] }
  | { sweep: 'range'; start: number; stop: number; step: number; float: boolean; shuffle: boolean; tags: string[] }
  | { sweep: 'interval'; start: number; end: number; tags: string[] }
  | { sweep: 'glob'; include: string[]; exclude: string[] };

// ---------------------------------------------------------------------------------------------
// The value mode's lexer.

type TokenType = 'POPEN' | 'COMMA' | 'PCLOSE' | 'BRACKET_OPEN' | 'BRACKET_CLOSE' | 'BRACE_OPEN' | 'BRACE_CLOSE' | 'COLON' | 'EQUAL' | 'FLOAT' | 'INT' | 'BOOL' | 'NULL' | 'UNQUOTED_CHAR' | 'ID' | 'ESC' | 'WS' | 'QUOTED_VALUE' | 'INTERPOLATION' | 'EOF';
interface Token { type: TokenType; text: string; start: number }

const INT_UNSIGNED = '(?:0|[1-9](?:_?[0-9])*)';
const DIGITS = '[0-9](?:_?[0-9])*';
const POINT_FLOAT = `(?:${INT_UNSIGNED}?\\.${DIGITS}|${INT_UNSIGNED}\\.)`;
const EXPONENT_FLOAT = `(?:(?:${POINT_FLOAT}|${INT_UNSIGNED})[eE][+-]?${DIGITS})`;
const WS = '[ \\t]*';

/** Value-mode rules in the lexer's order: on a tie the earlier one wins. */
const RULES: Array<[TokenType, RegExp]> = [
  ['POPEN', new RegExp(`${WS}\\(${WS}`, 'y')],
  ['COMMA', new RegExp(`${WS},${WS}`, 'y')],
  ['PCLOSE', new RegExp(`${WS}\\)`, 'y')],
  ['BRACKET_OPEN', new RegExp(`\\[${WS}`, 'y')],
  ['BRACKET_CLOSE', new RegExp(`${WS}\\]`, 'y')],
  ['BRACE_OPEN', new RegExp(`\\{${WS}`, 'y')],
  ['BRACE_CLOSE', new RegExp(`${WS}\\}`, 'y')],
  ['COLON', new RegExp(`${WS}:${WS}`, 'y')],
  ['EQUAL', new RegExp(`${WS}=${WS}`, 'y')],
  ['FLOAT', new RegExp(`[+-]?(?:${EXPONENT_FLOAT}|${POINT_FLOAT}|[Ii][Nn][Ff]|[Nn][Aa][Nn])`, 'y')],
  ['INT', new RegExp(`[+-]?${INT_UNSIGNED}`, 'y')],
  ['BOOL', /[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]/y],
  ['NULL', /[Nn][Uu][Ll][Ll]/y],
  ['UNQUOTED_CHAR', /[/\-\\+.$%*@?|]/y],
  ['ID', /[a-zA-Z_][a-zA-Z0-9_-]*/y],
  ['ESC', /(?:\\\\|\\\(|\\\)|\\\[|\\\]|\\\{|\\\}|\\:|\\=|\\,|\\ |\\\t)+/y],
  ['WS', /[ \t]+/y],
  ['INTERPOLATION', /\$\{[^}]+\}/y],
];

/** A quoted value ends at the first quote preceded by an even number of backslashes. */
function quotedLength(text: string, start: number): number | undefined {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] !== q) continue;
    let backslashes = 0;
    for (let j = i - 1; j > start && text[j] === '\\'; j--) backslashes++;
    if (backslashes % 2 === 0) return i - start + 1;
  }
  return undefined;
}

function tokenize(text: string, base: number): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    let best: { type: TokenType; length: number } | undefined;
    for (const [type, rule] of RULES) {
      rule.lastIndex = at;
      const m = rule.exec(text);
      if (m && m[0].length > 0 && (!best || m[0].length > best.length)) best = { type, length: m[0].length };
    }
    if (text[at] === "'" || text[at] === '"') {
      const length = quotedLength(text, at);
      if (length !== undefined && (!best || length > best.length)) best = { type: 'QUOTED_VALUE', length };
    }
    if (!best) {
      const rest = text.slice(at);
      throw new OverrideSyntaxError(`unexpected character ${JSON.stringify(text[at])}${text[at] === "'" || text[at] === '"' ? ' (a quote that is never closed)' : ''}: ${JSON.stringify(rest.length > 20 ? `${rest.slice(0, 20)}…` : rest)} is not part of Hydra's override grammar`, base + at + 1);
    }
    tokens.push({ type: best.type, text: text.slice(at, at + best.length), start: base + at });
    at += best.length;
  }
  tokens.push({ type: 'EOF', text: '', start: base + text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The parser.

const PRIMITIVE_TOKENS = new Set<TokenType>(['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'INTERPOLATION', 'UNQUOTED_CHAR', 'COLON', 'ESC', 'WS']);
const DICT_KEY_TOKENS = new Set<TokenType>(['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'UNQUOTED_CHAR', 'ESC', 'WS']);

const SHOWN: Record<TokenType, string> = {
  POPEN: "'('", COMMA: "','", PCLOSE: "')'", BRACKET_OPEN: "'['", BRACKET_CLOSE: "']'", BRACE_OPEN: "'{'", BRACE_CLOSE: "'}'", COLON: "':'", EQUAL: "'='",
  FLOAT: 'a number', INT: 'a number', BOOL: 'a boolean', NULL: 'null', UNQUOTED_CHAR: 'a character', ID: 'a word', ESC: 'an escape', WS: 'a space', QUOTED_VALUE: 'a quoted string', INTERPOLATION: 'an interpolation', EOF: 'the end',
};

class Parser {
  private i = 0;
  /** Where each top-level value of a comma-separated sweep starts and ends (offsets in the override). */
  readonly spans: Array<[number, number]> = [];
  constructor(private readonly tokens: Token[]) {}

  private get peek(): Token {
    return this.tokens[this.i];
  }

  private fail(expected: string): never {
    const t = this.peek;
    const found = t.type === 'EOF' ? 'the end of the value' : `${JSON.stringify(t.text)}`;
    throw new OverrideSyntaxError(`expected ${expected}, found ${found}`, t.start + 1);
  }

  private take(type: TokenType, expected: string): Token {
    if (this.peek.type !== type) this.fail(expected);
    return this.tokens[this.i++];
  }

  value(): Raw {
    const from = this.peek.start;
    const first = this.element();
    this.spans.push([from, this.peek.start]);
    if (this.peek.type !== 'COMMA') {
      if (this.peek.type !== 'EOF') this.fail("',' or the end of the value");
      return first;
    }
    const values: Raw[] = [first];
    while (this.peek.type === 'COMMA') {
      this.i++;
      const start = this.peek.start;
      values.push(this.element());
      this.spans.push([start, this.peek.start]);
    }
    if (this.peek.type !== 'EOF') this.fail("',' or the end of the value");
    for (const value of values) if (isRawSweep(value)) throw new OverrideSyntaxError('a sweep cannot be one of the values of a comma-separated sweep', this.tokens[0].start + 1);
    return { sweep: 'choice', values, simple: true, shuffle: false, tags: [] };
  }

  element(): Raw {
    const t = this.peek;
    if (t.type === 'ID' && this.tokens[this.i + 1].type === 'POPEN') return this.func();
    if (t.type === 'BRACKET_OPEN') return this.list();
    if (t.type === 'BRACE_OPEN') return this.dict();
    if (t.type === 'QUOTED_VALUE') {
      this.i++;
      return new Quoted(unquote(t.text));
    }
    if (PRIMITIVE_TOKENS.has(t.type)) return this.primitive(PRIMITIVE_TOKENS);
    return this.fail('a value (a word, number, quoted string, [list], {dict} or function(…))');
  }

  private primitive(allowed: Set<TokenType>): Raw {
    const start = this.i;
    while (allowed.has(this.peek.type)) this.i++;
    return primitiveOf(this.tokens.slice(start, this.i));
  }

  private list(): Raw[] {
    this.take('BRACKET_OPEN', "'['");
    const items: Raw[] = [];
    if (this.peek.type !== 'BRACKET_CLOSE') {
      items.push(this.element());
      while (this.peek.type === 'COMMA') {
        this.i++;
        items.push(this.element());
      }
    }
    this.take('BRACKET_CLOSE', "',' or ']'");
    return items;
  }

  private dict(): RawDict {
    this.take('BRACE_OPEN', "'{'");
    const entries: Array<[string, Raw]> = [];
    const pair = (): void => {
      if (!DICT_KEY_TOKENS.has(this.peek.type)) this.fail('a key (unquoted: quotes are not allowed in a dict key)');
      const key = this.primitive(DICT_KEY_TOKENS);
      this.take('COLON', "':' after the key");
      entries.push([keyText(key), this.element()]);
    };
    if (this.peek.type !== 'BRACE_CLOSE') {
      pair();
      while (this.peek.type === 'COMMA') {
        this.i++;
        pair();
      }
    }
    this.take('BRACE_CLOSE', "',' or '}'");
    return { dict: entries };
  }

  private func(): Raw {
    const nameToken = this.take('ID', 'a function name');
    const firstIndex = this.i - 1;
    this.take('POPEN', "'('");
    const args: Raw[] = [];
    const kwargs: Record<string, Raw> = {};
    let inKwargs = false;
    const argument = (): void => {
      if (this.peek.type === 'ID' && this.tokens[this.i + 1].type === 'EQUAL') {
        const name = this.tokens[this.i].text;
        this.i += 2;
        inKwargs = true;
        kwargs[name] = this.element();
      } else {
        const at = this.peek.start;
        const value = this.element();
        if (inKwargs) throw new OverrideSyntaxError('positional argument follows keyword argument', at + 1);
        args.push(value);
      }
    };
    if (this.peek.type !== 'PCLOSE') {
      argument();
      while (this.peek.type === 'COMMA') {
        this.i++;
        argument();
      }
    }
    this.take('PCLOSE', "',' or ')'");
    const text = this.tokens.slice(firstIndex, this.i).map((t) => t.text).join('');
    try {
      return callFunction(nameToken.text, args, kwargs);
    } catch (error) {
      if (error instanceof OverrideSyntaxError) throw error;
      throw new OverrideSyntaxError(`${(error as Error).message} while evaluating '${text}'`, nameToken.start + 1);
    }
  }
}

function isRawSweep(value: Raw): value is RawSweep {
  return value !== null && typeof value === 'object' && 'sweep' in value;
}
function isRawDict(value: Raw): value is RawDict {
  return value !== null && typeof value === 'object' && 'dict' in value;
}

/** Strips the quotes; a run of backslashes before a quote keeps every other one (`\'` is `'`, `\\'` at the end is `\`). */
function unquote(token: string): string {
  const q = token[0];
  const body = token.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out += body[i];
      continue;
    }
    let j = i;
    while (j < body.length && body[j] === '\\') j++;
    const run = body.slice(i, j);
    if (j === body.length || body[j] === q) out += run.slice(0, Math.floor(run.length / 2)) + (j < body.length ? q : '');
    else out += run;
    i = j < body.length && body[j] === q ? j : j - 1;
  }
  return out;
}

/** The visitor's rule: surrounding spaces dropped; one token keeps its type, several join as text with escapes undone. */
function primitiveOf(tokens: Token[]): Raw {
  let first = 0;
  let last = tokens.length;
  if (tokens[0].type === 'WS') {
    if (tokens.length === 1) throw new OverrideSyntaxError('a value that is all spaces', tokens[0].start + 1);
    first = 1;
  }
  if (tokens[last - 1].type === 'WS') last--;
  const kept = tokens.slice(first, last);
  if (kept.length > 1) return kept.map((t) => (t.type === 'ESC' ? unescape(t.text) : t.text)).join('');
  const t = kept[0];
  switch (t.type) {
    case 'INT':
      return Number(t.text.replace(/_/g, ''));
    case 'FLOAT':
      return new PyFloat(pyFloat(t.text));
    case 'NULL':
      return null;
    case 'BOOL':
      return t.text.toLowerCase() === 'true';
    case 'ESC':
      return unescape(t.text);
    default:
      return t.text;
  }
}

function unescape(text: string): string {
  let out = '';
  for (let i = 1; i < text.length; i += 2) out += text[i];
  return out;
}

function pyFloat(text: string): number {
  const t = text.replace(/_/g, '').toLowerCase();
  if (/^[+-]?inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return Number(t);
}

/** A dict key is text in a spec, as YAML's would be: `{1e3: x}` is the key "1000.0" as Python shows it. */
function keyText(key: Raw): string {
  if (key === null) return 'null';
  if (key instanceof PyFloat) return pyFloatRepr(key.value);
  return String(key);
}

/** Python's repr of a float: "10.0", "1e-05", "1e+16", "inf", "nan". */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  const [mantissa, exp] = value.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16 || (exponent >= 16)) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const plain = value.toFixed(Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - e));
  return plain.includes('.') ? plain : `${plain}.0`;
}

// ---------------------------------------------------------------------------------------------
// The grammar's functions: Hydra's casts, sweeps and ordering, by their names and arguments.

const FUNCTIONS = ['bool', 'choice', 'float', 'glob', 'int', 'interval', 'range', 'shuffle', 'sort', 'str', 'tag'];

function typeName(value: Raw): string {
  if (value === null) return 'NoneType';
  if (value instanceof Quoted || typeof value === 'string') return 'str';
  if (value instanceof PyFloat) return 'float';
  if (typeof value === 'number') return 'int';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  if (isRawDict(value)) return 'dict';
  return { choice: 'ChoiceSweep', range: 'RangeSweep', interval: 'IntervalSweep', glob: 'Glob' }[value.sweep];
}

function plainArg(value: Raw): Raw {
  return value instanceof Quoted ? value.text : value;
}

function bind(name: string, args: Raw[], kwargs: Record<string, Raw>, params: string[], variadic: boolean): Record<string, Raw> {
  const bound: Record<string, Raw> = {};
  if (!variadic) {
    if (args.length > params.length) throw new Error(`TypeError: ${name}() takes at most ${params.length} arguments (${args.length} given)`);
    args.forEach((a, i) => (bound[params[i]] = a));
  }
  for (const [key, value] of Object.entries(kwargs)) {
    if (!params.includes(key)) throw new Error(`TypeError: ${name}() got an unexpected keyword argument '${key}'`);
    if (key in bound) throw new Error(`TypeError: ${name}() got multiple values for argument '${key}'`);
    bound[key] = value;
  }
  return bound;
}

function numberOf(value: Raw | undefined, what: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  throw new Error(`TypeError: mismatch type argument ${what}: ${value === undefined ? 'nothing' : typeName(value)} is incompatible with Union[int, float]`);
}

function isFloat(value: Raw | undefined): boolean {
  return value instanceof PyFloat;
}

function simpleChoice(args: Raw[]): Extract<RawSweep, { sweep: 'choice' }> {
  for (const a of args) if (isRawSweep(a)) throw new Error(`TypeError: a sweep cannot be a value of a choice`);
  return { sweep: 'choice', values: args, simple: true, shuffle: false, tags: [] };
}

function castArgs(name: string, args: Raw[], kwargs: Record<string, Raw>): Raw {
  const bound = bind(name, [], kwargs, ['value'], true);
  if (args.length > 0 && 'value' in bound) throw new Error('TypeError: cannot use both position and named arguments');
  if ('value' in bound) return bound.value;
  if (args.length === 0) throw new Error('TypeError: No positional args or value specified');
  return args.length === 1 ? args[0] : simpleChoice(args);
}

type Cast = (value: Raw) => Raw;

function castWith(value: Raw, cast: Cast, name: string): Raw {
  if (value instanceof Quoted) return castWith(value.text, cast, name);
  if (Array.isArray(value)) return value.map((v) => castWith(v, cast, name));
  if (isRawDict(value)) return { dict: value.dict.map(([k, v]) => [k, castWith(v, cast, name)]) };
  if (isRawSweep(value)) {
    if (value.sweep === 'choice') return { ...value, values: value.values.map((v) => castWith(v, cast, name)) };
    if (value.sweep === 'range') {
      if (name !== 'int' && name !== 'float') throw new Error('ValueError: Range can only be cast to int or float');
      const c = (n: number) => numberOf(cast(name === 'float' ? new PyFloat(n) : n), 'range');
      return { ...value, start: c(value.start), stop: c(value.stop), step: c(value.step), float: name === 'float' };
    }
    if (value.sweep === 'interval') {
      if (name !== 'int' && name !== 'float') throw new Error(`ValueError: Intervals cannot be cast to ${name}`);
      return { ...value, start: numberOf(cast(new PyFloat(value.start)), 'start'), end: numberOf(cast(new PyFloat(value.end)), 'end') };
    }
    throw new Error(`TypeError: cannot cast a glob`);
  }
  return cast(value);
}

const CASTS: Record<string, Cast> = {
  int: (v) => {
    if (v instanceof PyFloat) {
      if (!Number.isFinite(v.value)) throw new Error(`${Number.isNaN(v.value) ? 'ValueError: cannot convert float NaN' : 'OverflowError: cannot convert float infinity'} to integer`);
      return Math.trunc(v.value);
    }
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^\s*[+-]?(?:0+|[1-9](?:_?\d)*|0(?:_?0)*)\s*$/.test(v)) return Number(v.trim().replace(/_/g, ''));
    throw new Error(`ValueError: invalid literal for int() with base 10: '${String(v)}'`);
  },
  float: (v) => {
    if (v instanceof PyFloat) return v;
    if (typeof v === 'number') return new PyFloat(v);
    if (typeof v === 'boolean') return new PyFloat(v ? 1 : 0);
    const text = typeof v === 'string' ? v.trim() : '';
    if (typeof v === 'string' && /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf(?:inity)?|nan)$/i.test(text)) return new PyFloat(pyFloat(text.replace(/infinity/i, 'inf')));
    throw new Error(`ValueError: could not convert string to float: '${String(v)}'`);
  },
  str: (v) => {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (v instanceof PyFloat) return pyFloatRepr(v.value);
    if (v === null) return 'None';
    return String(v);
  },
  bool: (v) => {
    if (typeof v === 'string') {
      if (v.toLowerCase() === 'false') return false;
      if (v.toLowerCase() === 'true') return true;
      throw new Error(`ValueError: Cannot cast '${v}' to bool`);
    }
    if (v instanceof PyFloat) return v.value !== 0;
    return Boolean(v);
  },
};

function pyCompare(a: Raw, b: Raw): number {
  const num = (v: Raw) => (v instanceof PyFloat ? v.value : typeof v === 'boolean' ? Number(v) : v);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  throw new Error(`TypeError: '<' not supported between instances of '${typeName(b)}' and '${typeName(a)}'`);
}

function sortList(values: Raw[], reverse: boolean): Raw[] {
  const sorted = [...values].sort(pyCompare);
  return reverse ? sorted.reverse() : sorted;
}

function sortSweep(sweep: RawSweep, reverse: boolean): RawSweep {
  if (sweep.sweep === 'choice') return { ...sweep, values: sortList(sweep.values, reverse) };
  if (sweep.sweep === 'range') {
    if ((sweep.step > 0) !== reverse) return sweep;
    const values = rangeValues(sweep);
    if (values.length <= 1) return sweep;
    const step = -sweep.step;
    return { ...sweep, start: values[values.length - 1], step, stop: sweep.float ? values[0] + step / 2 : values[0] + step };
  }
  throw new Error(`TypeError: Invalid arguments: cannot sort a ${sweep.sweep}`);
}

function callFunction(name: string, rawArgs: Raw[], rawKwargs: Record<string, Raw>): Raw {
  if (!FUNCTIONS.includes(name)) throw new Error(`unknown function '${name}' (available: ${FUNCTIONS.join(', ')})`);
  const args = rawArgs.map(plainArg);
  const kwargs = Object.fromEntries(Object.entries(rawKwargs).map(([k, v]) => [k, plainArg(v)]));
  if (name in CASTS) return castWith(castArgs(name, args, kwargs), CASTS[name], name);
  switch (name) {
    case 'choice': {
      bind(name, [], kwargs, [], true);
      if (args.length === 0) throw new Error('ValueError: empty choice is not legal');
      if (args.length === 1 && isRawSweep(args[0])) {
        const first = args[0];
        if (first.sweep === 'choice' && first.simple) return { ...first, simple: false };
        throw new Error('ValueError: nesting choices is not supported');
      }
      for (const a of args) if (isRawSweep(a)) throw new Error('ValueError: nesting choices is not supported');
      return { sweep: 'choice', values: args, simple: false, shuffle: false, tags: [] };
    }
    case 'range': {
      const b = bind(name, args, kwargs, ['start', 'stop', 'step'], false);
      if (!('start' in b)) throw new Error("TypeError: range() missing 1 required positional argument: 'start'");
      let start = numberOf(b.start, 'start');
      let stop = b.stop === undefined || b.stop === null ? undefined : numberOf(b.stop, 'stop');
      const step = b.step === undefined ? 1 : numberOf(b.step, 'step');
      const float = isFloat(b.start) || isFloat(b.stop) || isFloat(b.step);
      if (stop === undefined) {
        stop = start;
        start = 0;
      }
      if (step === 0) throw new Error('ValueError: range() arg 3 must not be zero');
      return { sweep: 'range', start, stop, step, float, shuffle: false, tags: [] };
    }
    case 'interval': {
      const b = bind(name, args, kwargs, ['start', 'end'], false);
      if (!('start' in b) || !('end' in b)) throw new Error(`TypeError: interval() missing required argument: '${'start' in b ? 'end' : 'start'}'`);
      return { sweep: 'interval', start: numberOf(b.start, 'start'), end: numberOf(b.end, 'end'), tags: [] };
    }
    case 'tag': {
      const b = bind(name, [], kwargs, ['sweep'], true);
      const all = 'sweep' in b ? [...args, b.sweep] : args;
      if (all.length < 1) throw new Error('ValueError: Not enough arguments to tag, must take at least a sweep');
      const last = all[all.length - 1];
      if (!isRawSweep(last) || last.sweep === 'glob') throw new Error(`ValueError: Last argument to tag() must be a choice(), range() or interval(), got ${typeName(last)}`);
      const tags = all.slice(0, -1).map((t) => {
        if (typeof t !== 'string') throw new Error(`ValueError: tag arguments type must be string, got ${typeName(t)}`);
        return t;
      });
      return { ...last, tags: [...new Set(tags)].sort() };
    }
    case 'shuffle': {
      const b = bind(name, [], kwargs, ['sweep', 'list'], true);
      const target = 'list' in b ? [b.list] : 'sweep' in b ? [b.sweep] : args;
      if (target.length === 1) {
        const arg = target[0];
        if (isRawSweep(arg) && (arg.sweep === 'choice' || arg.sweep === 'range')) return { ...arg, shuffle: true };
        if (Array.isArray(arg)) return shuffled(arg);
        return [arg];
      }
      const choice = simpleChoice(target);
      return { ...choice, shuffle: true };
    }
    case 'sort': {
      const b = bind(name, [], kwargs, ['sweep', 'list', 'reverse'], true);
      const reverse = b.reverse === undefined ? false : b.reverse;
      if (typeof reverse !== 'boolean') throw new Error(`TypeError: mismatch type argument reverse: ${typeName(reverse)} is incompatible with bool`);
      if ('list' in b) {
        if (!Array.isArray(b.list)) throw new Error(`TypeError: mismatch type argument list: ${typeName(b.list)} is incompatible with List[Any]`);
        return sortList(b.list, reverse);
      }
      if ('sweep' in b) {
        if (!isRawSweep(b.sweep)) throw new Error(`TypeError: mismatch type argument sweep: ${typeName(b.sweep)} is incompatible with Union[ChoiceSweep, RangeSweep]`);
        return sortSweep(b.sweep, reverse);
      }
      if (args.length === 0) throw new Error('ValueError: empty sort input');
      if (args.length === 1) {
        const arg = args[0];
        if (isRawSweep(arg)) return sortSweep(arg, reverse);
        if (Array.isArray(arg)) return sortList(arg, reverse);
        return arg;
      }
      for (const a of args) if (a !== null && typeof a === 'object' && !(a instanceof PyFloat)) throw new Error('TypeError: Invalid arguments');
      return sortSweep(simpleChoice(args), reverse);
    }
    case 'glob': {
      const b = bind(name, args, kwargs, ['include', 'exclude'], false);
      const names = (v: Raw | undefined, what: string): string[] => {
        if (v === undefined) return [];
        if (typeof v === 'string') return [v];
        if (Array.isArray(v) && v.every((x) => typeof x === 'string' || x instanceof Quoted)) return v.map((x) => (x instanceof Quoted ? x.text : (x as string)));
        throw new Error(`TypeError: mismatch type argument ${what}: ${typeName(v)} is incompatible with Union[List[str], str]`);
      };
      if (!('include' in b)) throw new Error("TypeError: glob() missing 1 required positional argument: 'include'");
      return { sweep: 'glob', include: names(b.include, 'include'), exclude: names(b.exclude, 'exclude') };
    }
  }
  throw new Error(`unknown function '${name}'`);
}

/** Hydra shuffles at random; xp shuffles with a fixed seed so a sweep names the same variants each time. */
function shuffled<T>(values: T[]): T[] {
  const out = [...values];
  let state = 0x9e3779b9;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A range's values: Python's `range` for ints, Hydra's float range (start + i·step, before stop) otherwise. */
export function rangeValues(range: { start: number; stop: number; step: number; float?: boolean }): number[] {
  const { start, stop, step } = range;
  const decimals = Math.max(decimalsOf(start), decimalsOf(step));
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const value = Number((start + i * step).toFixed(Math.min(decimals, 15)));
    if (step > 0 ? value >= stop : value <= stop) break;
    out.push(value);
    if (out.length > 1_000_000) throw new OverrideSyntaxError('a range of more than 1,000,000 values', 1);
  }
  return out;
}

function decimalsOf(n: number): number {
  const text = String(n);
  if (text.includes('e-')) return Number(text.split('e-')[1]) + (text.split('e')[0].split('.')[1]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

function toElement(value: Raw): Element {
  if (value instanceof Quoted) return value.text;
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(toElement);
  if (isRawDict(value)) return Object.fromEntries(value.dict.map(([k, v]) => [k, toElement(v)]));
  if (isRawSweep(value)) throw new OverrideSyntaxError('a sweep cannot be nested inside a list or dict', 1);
  return value;
}

function toSweep(sweep: RawSweep): Sweep {
  if (sweep.sweep === 'choice') return { ...sweep, values: sweep.values.map(toElement) };
  return sweep;
}

// ---------------------------------------------------------------------------------------------
// The key: `key`, `group/sub`, `key@package`, with `+`, `++` or `~` before it.

const KEY_SPECIAL = '[A-Za-z_$][A-Za-z0-9_$-]*';
const PACKAGE = `(?:(?:${KEY_SPECIAL}|${INT_UNSIGNED})(?:\\.(?:${KEY_SPECIAL}|${INT_UNSIGNED}))+|${KEY_SPECIAL})`;
const GROUP = '[A-Za-z_][A-Za-z0-9_-]*(?:/[A-Za-z_][A-Za-z0-9_-]*)+';
const KEY = new RegExp(`^(${GROUP}|${PACKAGE}|)(?:@(${PACKAGE}|))?$`);

/** Parses one override as Hydra's `override` rule does. */
export function parseHydraOverride(text: string): ParsedOverride {
  let at = 0;
  let kind: OverrideKind = 'change';
  if (text.startsWith('++')) {
    kind = 'force-add';
    at = 2;
  } else if (text.startsWith('+')) {
    kind = 'add';
    at = 1;
  } else if (text.startsWith('~')) {
    kind = 'delete';
    at = 1;
  }
  const eq = text.indexOf('=', at);
  const keyText = eq < 0 ? text.slice(at) : text.slice(at, eq);
  if (eq < 0 && kind !== 'delete') {
    throw new OverrideSyntaxError(`an override is key=value (or ~key to delete a key): no '=' in ${JSON.stringify(text)}`, text.length + 1);
  }
  const key = KEY.exec(keyText);
  if (!key) {
    const bad = keyText.search(/[^A-Za-z0-9_$.@/-]/);
    const column = at + (bad >= 0 ? bad : 0) + 1;
    throw new OverrideSyntaxError(bad >= 0 ? `${JSON.stringify(keyText[bad])} cannot be part of a key` : `${JSON.stringify(keyText)} is not a key (dotted names: letters, digits, _, - and $; a group's path with /; @package after it)`, column);
  }
  const [, name, pkg] = key;
  if (name === '' && pkg === undefined) throw new OverrideSyntaxError(`an override needs a key before '=': ${JSON.stringify(text)}`, at + 1);
  const base: Pick<ParsedOverride, 'kind' | 'key'> & { package?: string } = { kind, key: name, ...(pkg === undefined ? {} : { package: pkg }) };
  if (eq < 0) return { ...base, valueOffset: text.length, valueText: '' };
  let valueStart = eq + 1;
  while (text[valueStart] === ' ' || text[valueStart] === '\t') valueStart++;
  const valueText = text.slice(valueStart);
  if (valueText === '') return { ...base, value: { element: '' }, valueOffset: valueStart, valueText };
  const parser = new Parser(tokenize(valueText, valueStart));
  const raw = parser.value();
  if (isRawSweep(raw)) {
    const pieces = raw.sweep === 'choice' && raw.simple ? parser.spans.map(([from, to]) => ({ offset: from, text: text.slice(from, to) })) : undefined;
    return { ...base, value: { sweep: toSweep(raw) }, valueOffset: valueStart, valueText, ...(pieces ? { pieces } : {}) };
  }
  return { ...base, value: { element: toElement(raw) }, valueOffset: valueStart, valueText };
}

/** The values a sweep stands for, in order (an interval has none: it is sampled). */
export function sweepValues(sweep: Sweep): Element[] {
  if (sweep.sweep === 'choice') return sweep.shuffle ? shuffled(sweep.values) : sweep.values;
  if (sweep.sweep === 'range') {
    const values = rangeValues(sweep);
    return sweep.shuffle ? shuffled(values) : values;
  }
  return [];
}

/** Parses a value alone (Hydra's `value` rule): for tests and for a value's own checks. */
export function parseHydraValue(text: string): { element: Element } | { sweep: Sweep } {
  const parsed = parseHydraOverride(`x=${text}`);
  if (parsed.value === undefined) return { element: '' };
  return parsed.value;
}
