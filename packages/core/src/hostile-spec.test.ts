/**
 * Specs written to break things (#26.1, #26.6, #26.8, #26.10, #26.11, #22.3): names MLflow's reader or
 * a terminal would choke on, keys that cannot be MLflow params, nesting that overflows a parser,
 * files too large to parse, sweeps too large to check. Each is refused with the place it was written.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, SpecError, type SpecIssue } from './errors.ts';
import { loadExperiment } from './load.ts';
import { findTooDeep, MAX_NESTING_DEPTH } from './nesting.ts';
import { printable, terminalSafe } from './printable.ts';
import { MAX_SPEC_BYTES } from './source.ts';
import { MAX_VARIANTS_LIMIT } from './sweep.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-hostile-'));
let counter = 0;
function specFile(text: string): string {
  const file = join(dir, `spec-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function issuesOf(text: string, options: { sets?: string[]; maxVariants?: number } = {}): SpecIssue[] {
  try {
    loadExperiment(specFile(text), options);
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected the spec to be refused');
}

const TOY = `name: toy
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 2, lr: 0.1}
`;

// Every character class MLflow's YAML reader refuses raw, or a terminal acts on.
const REFUSED: Array<[string, string]> = [
  ['\u0000', 'U+0000'],
  ['\u0007', 'U+0007'],
  ['\t', 'U+0009'],
  ['\n', 'U+000A'],
  ['\u001b', 'U+001B'],
  ['\u007f', 'U+007F'],
  ['\u0080', 'U+0080'],
  ['\u0085', 'U+0085'],
  ['\u009b', 'U+009B'],
  ['\u009f', 'U+009F'],
  ['\u2028', 'U+2028'],
  ['\u2029', 'U+2029'],
  ['\u202e', 'U+202E'],
  ['\u2066', 'U+2066'],
  ['\ufffe', 'U+FFFE'],
  ['\uffff', 'U+FFFF'],
  ['\ud800', 'U+D800'],
];

describe('tracking.experiment names', () => {
  it.each(REFUSED)('refuses %j (%s) in the file, at its line, naming the character', (char, codePoint) => {
    const escaped = JSON.stringify(`a${char}b`);
    const [issue, ...rest] = issuesOf(`${TOY}tracking:\n  experiment: ${escaped}\n`);
    expect(rest).toEqual([]);
    expect(issue.path).toBe('tracking.experiment');
    expect(issue.message).toBe(`contains the control character ${codePoint} at character 2`);
    expect([issue.location?.line, issue.location?.column]).toEqual([8, 15]);
    // The message printed is escaped: nothing raw reaches the terminal.
    expect(formatIssue(issue, 'spec.yaml')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e\u2066\ufffe\uffff]/u);
  });

  it('refuses them on the command line too, quoted escaped with the caret under the value', () => {
    const [issue] = issuesOf(TOY, { sets: ['tracking.experiment=x\u001b[2J'] });
    expect(issue.location?.commandLine).toBe('--set tracking.experiment=x\u001b[2J');
    const text = formatIssue(issue, 'spec.yaml');
    expect(text).toContain('--set tracking.experiment=x\\u001b[2J');
    expect(text).not.toContain('\u001b');
  });

  it("refuses a ' (MLflow's file store cannot look such a name up), over 256 characters, and empty", () => {
    expect(issuesOf(`${TOY}tracking: {experiment: "it's"}\n`)[0].message).toMatch(/^holds a ', which MLflow's file store cannot look up by name/);
    expect(issuesOf(`${TOY}tracking: {experiment: ${'x'.repeat(257)}}\n`)[0].expected).toBe('at most 256 characters');
    expect(issuesOf(`${TOY}tracking: {experiment: ""}\n`)[0].expected).toBe('at least 1 characters');
  });

  it('accepts printable names of every other kind', () => {
    for (const name of ['with spaces: and colons', 'double " quote', '../x', 'a/../../b', 'ünïcödé 名前 🚀', 'nbsp\u00a0ok', 'x'.repeat(256)]) {
      expect(loadExperiment(specFile(`${TOY}tracking: {experiment: ${JSON.stringify(name)}}\n`)).spec.tracking?.experiment).toBe(name);
    }
  });
});

describe('keys that become MLflow params', () => {
  it('refuses a vars key with .. or / at its line, before anything runs', () => {
    const [issue] = issuesOf(`${TOY}vars:\n  "../../escape-var": 1\n`);
    expect(issue.path).toBe('vars.../../escape-var');
    expect(issue.message).toBe('this key cannot be an MLflow param name');
    expect([issue.location?.line, issue.location?.column]).toEqual([8, 3]);
    expect(issuesOf(`${TOY}vars: {"a/../../b": 1}\n`)[0].message).toBe('this key cannot be an MLflow param name');
    expect(issuesOf(`${TOY}vars: {"semi;colon": 1}\n`)[0].found).toBe('"semi;colon"');
  });

  it('refuses a key path longer than MLflow keeps, and a value longer than a param holds', () => {
    expect(issuesOf(`${TOY}vars: {${'k'.repeat(250)}: 1}\n`)[0].message).toMatch(/too long to be an MLflow param name \(255 characters\)/);
    const [long] = issuesOf(`${TOY}description: ${'d'.repeat(6001)}\n`);
    expect(long.path).toBe('description');
    expect(long.message).toBe('too long to be an MLflow param value (6,001 characters)');
  });

  it('accepts the keys MLflow does (letters, digits, _ - . space : /)', () => {
    expect(loadExperiment(specFile(`${TOY}vars: {ok_key-1: 1, "with space": 2, "a:b": 3}\n`)).variants).toHaveLength(1);
  });
});

describe('hostile files', () => {
  it(`refuses a spec over ${MAX_SPEC_BYTES} bytes before reading it`, () => {
    const started = Date.now();
    const [issue] = issuesOf(`${TOY}description: ${'x'.repeat(20 * 1024 * 1024)}\n`);
    expect(issue.message).toMatch(/^the spec is too large to read \(20,971,\d{3} bytes\)$/);
    expect(issue.expected).toBe('at most 1,048,576 bytes (1 MiB)');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses 10,000-deep flow nesting at the place it passes the limit, the quote cut', () => {
    const [issue] = issuesOf(`${TOY}description: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    expect(issue.message).toBe(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
    // One level is the top-level mapping that holds `description`.
    expect([issue.location?.line, issue.location?.column]).toEqual([7, 14 + MAX_NESTING_DEPTH - 1]);
    const text = formatIssue(issue, 'spec.yaml');
    expect(text.length).toBeLessThan(600);
    expect(text).toContain('… (20,013 characters)');
    // The caret sits under the bracket that crossed the limit.
    const [quote, caret] = text.split('\n').slice(-2);
    expect(quote[caret.indexOf('^')]).toBe('[');
  });

  it('refuses 10,000-deep block nesting, compact (- - - …) and indented', () => {
    expect(issuesOf(`${TOY}description:\n${'- '.repeat(10_000)}x\n`)[0].message).toBe(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
    const indented = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n');
    const [issue] = issuesOf(`${TOY}vars:\n${indented} 1\n`);
    expect(issue.message).toBe(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(issue.location?.line).toBe(7 + MAX_NESTING_DEPTH);
  });

  it('leaves quoted brackets, comments and ordinary depth alone', () => {
    expect(findTooDeep(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\n# ${'['.repeat(500)}\n`)).toBeNull();
    expect(findTooDeep(`a: ${'['.repeat(MAX_NESTING_DEPTH - 1)}${']'.repeat(MAX_NESTING_DEPTH - 1)}\n`)).toBeNull();
  });

  it('refuses an alias bomb', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const [issue] = issuesOf(`${TOY}${bomb.replace(/^a:/, 'x-a:')}\n`);
    expect(issue.message).toMatch(/^refused: /);
  });

  it(`refuses a 1,000 × 1,000 grid at once, even with --max-variants 1000000, saying how many it would be`, () => {
    const started = Date.now();
    const axis = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    const [issue] = issuesOf(`${TOY}sweep:\n  grid:\n    train.lr: ${axis(1000)}\n    train.steps: ${axis(1000)}\n`, { maxVariants: 1_000_000 });
    expect(issue.message).toBe(`the sweep expands to 1,000,000 variants, more than the ${MAX_VARIANTS_LIMIT.toLocaleString('en-US')} xp checks and runs from one spec; split the grid into several specs, or sample it with sweep.random or sweep.optuna`);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('printing user text', () => {
  it('escapes every control character as \\uXXXX, which stays valid inside JSON', () => {
    const text = 'a\u001b[2Jb\u009bc\u2028d\u0085e';
    expect(printable(text)).toBe('a\\u001b[2Jb\\u009bc\\u2028d\\u0085e');
    expect(JSON.parse(terminalSafe(JSON.stringify({ text })))).toEqual({ text });
  });

  it("keeps layout and xp's own cursor sequences, escapes the rest", () => {
    expect(terminalSafe('line\n\tx\r')).toBe('line\n\tx\r');
    expect(terminalSafe('\u001b[3A\u001b[0Jredraw')).toBe('\u001b[3A\u001b[0Jredraw');
    expect(terminalSafe('\u001b[2J\u001b]0;title\u0007')).toBe('\\u001b[2J\\u001b]0;title\\u0007');
  });
});
