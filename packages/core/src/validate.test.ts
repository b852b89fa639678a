/**
 * One error per mistake, with a hint (issue 11, item 9): a misspelt layer kind gets "did you mean",
 * and a misspelt key is not reported a second time as the required key it was meant to be.
 */
import { describe, expect, it } from 'vitest';
import type { SpecIssue } from './errors.ts';
import { validateSpec } from './validate.ts';
import { parse } from 'yaml';

const locate = () => undefined;

function issuesOf(yaml: string): SpecIssue[] {
  return validateSpec(parse(yaml), locate);
}

function cnn(layers: string): string {
  return `name: cnn
kind: cnn-classifier
model:
  blocks:
    conv1:
${layers.split('\n').map((l) => `      ${l}`).join('\n')}
    head: [global-avg-pool, {dense: {units: 10}}, log-softmax]
train: {epochs: 2, lr: 0.01}
`;
}

describe('a misspelt layer kind', () => {
  it('gets a did-you-mean hint', () => {
    const issues = issuesOf(cnn('- conv2d: {filters: 8, kernel: 3}\n- batchnrom\n- relu'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'model.blocks.conv1.1', message: 'not an allowed value', found: 'the string "batchnrom"', hint: "did you mean 'batchnorm'?" });
  });

  it('close to a kind that takes options: the hint says how to write it', () => {
    const [issue] = issuesOf(cnn('- conv2d: {filters: 8, kernel: 3}\n- maxpol'));
    expect(issue.hint).toBe("did you mean 'maxpool'? It takes options: - maxpool: {size: 2}");
  });

  it('a kind that takes options written bare', () => {
    const [issue] = issuesOf(cnn('- conv2d: {filters: 8, kernel: 3}\n- dropout'));
    expect(issue.hint).toBe("'dropout' takes options: write it as a one-key mapping, e.g. - dropout: 0.1");
  });

  it('nothing close: no guess', () => {
    const [issue] = issuesOf(cnn('- conv2d: {filters: 8, kernel: 3}\n- transformer'));
    expect(issue.hint).toBeUndefined();
  });

  it('misspelt values of other enums get the hint too', () => {
    const [issue] = issuesOf(cnn('- conv2d: {filters: 8, kernel: 3}').replace('train: {epochs: 2, lr: 0.01}', 'train: {epochs: 2, lr: 0.01, optimizer: adma}'));
    expect(issue).toMatchObject({ path: 'train.optimizer', hint: "did you mean 'adam'?" });
  });
});

describe('a misspelt key is one mistake', () => {
  it('no second "missing required key" for the key it was meant to be', () => {
    const issues = issuesOf(cnn('- conv2d: {filtres: 8, kernel: 3}'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'model.blocks.conv1.0.conv2d.filtres', message: "unknown key 'filtres'", hint: "did you mean 'filters'?" });
  });

  it('also for keys a kind requires (toy: train.steps)', () => {
    const toy = 'name: t\nkind: toy-mlp\ndata: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}\nmodel: {weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}}\ntrain: {stpes: 3, lr: 0.5}\n';
    const issues = issuesOf(toy);
    expect(issues.map((i) => i.message)).toEqual(["unknown key 'stpes'"]);
    expect(issues[0].hint).toBe("did you mean 'steps'?");
  });

  it('two unrelated mistakes stay two errors', () => {
    const issues = issuesOf(cnn('- conv2d: {colour: 8, kernel: 3}'));
    expect(issues.map((i) => i.message).sort()).toEqual(["missing required key 'filters'", "unknown key 'colour'"]);
  });
});
