/** The numbers of `xp run`'s summary lines: integers as integers (a killed run's epochs=0, not 0.000e+0). */
import { describe, expect, it } from 'vitest';
import { formatNumber } from './run.ts';

describe('formatNumber (xp run summary)', () => {
  it('prints integers as integers', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(19)).toBe('19');
    expect(formatNumber(19_816)).toBe('19816');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(12_000_000)).toBe('12000000');
  });

  it('keeps four decimals for ordinary values and four digits for tiny or huge ones', () => {
    expect(formatNumber(0.99431)).toBe('0.9943');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(3.644584651041373e-12)).toBe('3.645e-12');
    expect(formatNumber(1.5e7 + 0.5)).toBe('1.500e+7');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});
