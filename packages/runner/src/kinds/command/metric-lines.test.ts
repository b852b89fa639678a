import { describe, expect, it } from 'vitest';
import { readStdoutLine } from './metric-lines.ts';

describe('the command kind metric lines', () => {
  it('reads a step and its metrics', () => {
    expect(readStdoutLine('{"step": 3, "metrics": {"test_accuracy": 0.991, "loss": 0.03}}')).toEqual({ type: 'metrics', step: 3, metrics: { test_accuracy: 0.991, loss: 0.03 } });
  });
  it('leaves the step to the caller when the line has none', () => {
    expect(readStdoutLine('{"metrics": {"a": 1}}')).toEqual({ type: 'metrics', step: undefined, metrics: { a: 1 } });
  });
  it('takes other lines as output', () => {
    expect(readStdoutLine('epoch 3 done')).toEqual({ type: 'output', text: 'epoch 3 done' });
  });
  it("reads Python's bare NaN and Infinity as numbers", () => {
    const line = readStdoutLine('{"step": 2, "metrics": {"loss": NaN, "x": -Infinity}}');
    expect(line.type).toBe('metrics');
    if (line.type === 'metrics') {
      expect(Number.isNaN(line.metrics.loss)).toBe(true);
      expect(line.metrics.x).toBe(-Infinity);
    }
  });
  it.each([
    ['{"step": 1, "metrics": {"a": 1}', 'not JSON'],
    ['{"step": -1, "metrics": {"a": 1}}', 'not an integer'],
    ['{"step": 1, "metrics": {"a": "high"}}', 'not a number'],
    ['{"step": 1}', 'no "metrics"'],
    ['{"step": 1, "metrics": {}, "loss": 2}', 'unknown key'],
    ['{"metrics": {"a;b": 1}}', 'not one MLflow takes'],
  ])('calls %s malformed (%s)', (text, why) => {
    const line = readStdoutLine(text);
    expect(line.type).toBe('malformed');
    if (line.type === 'malformed') expect(line.why).toContain(why);
  });
});
