import { describe, expect, it } from 'vitest';
import { parseSpecText } from './source.ts';

function issuesOf(text: string) {
  const parsed = parseSpecText('spec.yaml', text);
  if (parsed.ok) throw new Error('expected the spec to be refused');
  return parsed.issues;
}

describe('an unclosed bracket (#25 item 3)', () => {
  const lines = ['name: x', 'kind: cnn-classifier', 'train:', '  epochs: 2', '  batchSize: [128', '  optimizer: sgd', '  lr: 0.1', 'constraints:', '  maxEpochs: 19'];

  it('is one error, at the bracket, not three at the line after it', () => {
    const issues = issuesOf(lines.join('\n'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      message: "YAML syntax error: this '[' is never closed",
      expected: "a ']' closing the list opened at line 5, column 14",
      found: 'line 6 ("optimizer: sgd") without one',
      location: { line: 5, column: 14, lineText: '  batchSize: [128' },
    });
  });

  it('a mapping left open at the end of the file', () => {
    const issues = issuesOf('name: x\nkind: toy-mlp\nmodel: {a: 1\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ message: "YAML syntax error: this '{' is never closed", found: 'the end of the file without one', location: { line: 3, column: 8 } });
  });

  it('an error before the bracket is still reported; brackets in quotes are text', () => {
    const issues = issuesOf('name: "[x"\nkind: toy\nkind: again\nlist: [1, 2\nother: 3\n');
    expect(issues.map((i) => i.location?.line)).toEqual([3, 4]);
    expect(issues[1].message).toMatch(/never closed/);
  });

  it('closed brackets and other syntax errors are unaffected', () => {
    expect(parseSpecText('spec.yaml', 'name: x\nlist: [1, [2, 3]]\nmap: {a: {b: 1}}\n').ok).toBe(true);
    const [issue] = issuesOf('name: x\n  bad: indent\n');
    expect(issue.message).toMatch(/^YAML syntax error: (?!this)/);
  });
});
