import { describe, expect, it } from 'vitest';
import type { SourceLocation } from './errors.ts';
import { checkDistribution, drawValue, readDistribution, type ParameterDistribution } from './sample-space.ts';
import { seededRandom } from './seeded-random.ts';
import type { Distribution } from './spec-types.ts';

function draws(written: Distribution, n: number, seed = 1): unknown[] {
  const distribution = readDistribution(written);
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => drawValue(distribution, random).value);
}

/** Kolmogorov–Smirnov statistic of `samples` against the continuous CDF `cdf`. */
function ksStatistic(samples: number[], cdf: (x: number) => number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  return sorted.reduce((d, x, i) => Math.max(d, (i + 1) / n - cdf(x), cdf(x) - i / n), 0);
}

/** The 1% critical value of the one-sample KS statistic for large n. */
const ksCritical1Percent = (n: number): number => 1.628 / Math.sqrt(n);

describe('each distribution draws within its bounds', () => {
  it('uniform: reals in [low, high], spread over the range', () => {
    const values = draws({ uniform: [0.8, 0.99] }, 2000) as number[];
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...values)).toBeLessThanOrEqual(0.99);
    expect(Math.min(...values)).toBeLessThan(0.81);
    expect(Math.max(...values)).toBeGreaterThan(0.98);
  });

  it('loguniform: reals in [low, high]', () => {
    const values = draws({ loguniform: [0.001, 0.5] }, 2000) as number[];
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0.001);
    expect(Math.max(...values)).toBeLessThanOrEqual(0.5);
    // Log-uniform puts as many draws below 0.0224 (the geometric midpoint) as above it.
    expect(values.filter((v) => v < Math.sqrt(0.001 * 0.5)).length).toBeGreaterThan(900);
  });

  it('intUniform: every integer of low..high, both ends included, and nothing else', () => {
    const values = draws({ intUniform: [-2, 3] }, 2000) as number[];
    expect(new Set(values)).toEqual(new Set([-2, -1, 0, 1, 2, 3]));
  });

  it('quniform: multiples of q inside [low, high], printed as written', () => {
    const values = draws({ quniform: [0.1, 0.7, 0.1] }, 2000) as number[];
    expect(new Set(values)).toEqual(new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]));
    expect(new Set(draws({ quniform: [32, 256, 32] }, 2000))).toEqual(new Set([32, 64, 96, 128, 160, 192, 224, 256]));
  });

  it('quniform: where rounding would leave the bounds, the nearest multiple inside is taken', () => {
    // hyperopt would round 0.5..0.75 down to 0 and 2.25..2.5 up to 3.
    const values = draws({ quniform: [0.5, 2.5, 1] }, 2000);
    expect(new Set(values)).toEqual(new Set([1, 2]));
  });

  it('choice: each option, roughly equally often, and whole values (blocks) as written', () => {
    const options = [8, 'x', ['flatten', { dense: { units: 10 } }]];
    const values = draws({ choice: options as [unknown, ...unknown[]] }, 3000);
    for (const option of options) {
      const count = values.filter((v) => v === option).length;
      expect(count).toBeGreaterThan(900);
      expect(count).toBeLessThan(1100);
    }
  });

  it('choice of one is that one', () => {
    expect(new Set(draws({ choice: [{ a: 1 }] }, 10)).size).toBe(1);
  });
});

describe('loguniform is uniform in log space (KS test, 2000 draws, seed 1, 1% critical value)', () => {
  const n = 2000;
  const [low, high] = [0.001, 0.5];
  const logCdf = (x: number) => (Math.log(x) - Math.log(low)) / (Math.log(high) - Math.log(low));
  const linearCdf = (x: number) => (x - low) / (high - low);

  it('loguniform passes against the log-uniform CDF', () => {
    const values = draws({ loguniform: [low, high] }, n) as number[];
    expect(ksStatistic(values, logCdf)).toBeLessThan(ksCritical1Percent(n));
  });

  it('and fails against the linear one, so the test can tell them apart', () => {
    const values = draws({ loguniform: [low, high] }, n) as number[];
    expect(ksStatistic(values, linearCdf)).toBeGreaterThan(ksCritical1Percent(n));
  });

  it('uniform passes against the linear CDF and fails against the log-uniform one', () => {
    const values = draws({ uniform: [low, high] }, n) as number[];
    expect(ksStatistic(values, linearCdf)).toBeLessThan(ksCritical1Percent(n));
    expect(ksStatistic(values, logCdf)).toBeGreaterThan(ksCritical1Percent(n));
  });

  it('holds for other seeds too (not a lucky one)', () => {
    for (const seed of [2, 3, 4]) {
      const values = draws({ loguniform: [1e-6, 10] }, n, seed) as number[];
      expect(ksStatistic(values, (x) => (Math.log(x) - Math.log(1e-6)) / (Math.log(10) - Math.log(1e-6)))).toBeLessThan(ksCritical1Percent(n));
    }
  });
});

describe('draws are deterministic per seed', () => {
  it('the same seed draws the same values; another seed others', () => {
    const written: Distribution = { loguniform: [0.001, 0.5] };
    expect(draws(written, 50, 7)).toEqual(draws(written, 50, 7));
    expect(draws(written, 50, 8)).not.toEqual(draws(written, 50, 7));
  });

  it('every draw takes exactly one number from its source', () => {
    const kinds: ParameterDistribution[] = [
      readDistribution({ uniform: [0, 1] }),
      readDistribution({ loguniform: [1, 2] }),
      readDistribution({ intUniform: [1, 9] }),
      readDistribution({ quniform: [0, 1, 0.25] }),
      readDistribution({ choice: [1, 2] }),
    ];
    for (const distribution of kinds) {
      let calls = 0;
      drawValue(distribution, () => (calls++, 0.5));
      expect(calls, distribution.kind).toBe(1);
    }
  });

  it('the extremes of the source stay within the bounds', () => {
    const almostOne = 1 - 2 ** -32;
    for (const u of [0, almostOne]) {
      expect(drawValue(readDistribution({ uniform: [-1, 1] }), () => u).value).toSatisfy((v: number) => v >= -1 && v <= 1);
      expect(drawValue(readDistribution({ loguniform: [0.001, 0.5] }), () => u).value).toSatisfy((v: number) => v >= 0.001 && v <= 0.5);
      expect(drawValue(readDistribution({ intUniform: [1, 4] }), () => u).value).toBe(u === 0 ? 1 : 4);
      expect(drawValue(readDistribution({ choice: ['a', 'b'] }), () => u).value).toBe(u === 0 ? 'a' : 'b');
    }
  });
});

describe('checks the schema cannot express', () => {
  const at = ['sweep', 'random', 'space', 'train.lr', 'uniform'];
  const locate = (): SourceLocation => ({ file: 'spec.yaml', line: 3, column: 5 });

  it('low must be below high, for every ranged distribution', () => {
    for (const written of [{ uniform: [1, 1] }, { loguniform: [0.5, 0.001] }, { intUniform: [4, 2] }, { quniform: [2, 1, 0.5] }] as Distribution[]) {
      const [issue] = checkDistribution(written, at, locate);
      expect(issue, JSON.stringify(written)).toMatchObject({ message: 'the low bound must be below the high one', path: 'sweep.random.space.train.lr.uniform', location: { line: 3 } });
    }
    expect(checkDistribution({ loguniform: [0.5, 0.001] }, at, locate)[0]).toMatchObject({ expected: '[low, high] with low < high', found: '[0.5, 0.001]' });
  });

  it('quniform needs a multiple of q inside the bounds', () => {
    expect(checkDistribution({ quniform: [0.11, 0.19, 0.1] }, at, locate)[0]?.message).toBe('no multiple of q (0.1) lies between low and high');
    expect(checkDistribution({ quniform: [0.3, 0.35, 0.1] }, at, locate)).toEqual([]);
  });

  it('a range too wide to sample is refused', () => {
    expect(checkDistribution({ uniform: [-1e308, 1e308] }, at, locate)[0]?.message).toBe('the range is too wide to sample');
  });

  it('sound distributions and any choice pass', () => {
    for (const written of [{ uniform: [0.8, 0.99] }, { loguniform: [0.001, 0.5] }, { intUniform: [1, 2] }, { quniform: [32, 256, 32] }, { choice: [1] }] as Distribution[]) {
      expect(checkDistribution(written, at, locate)).toEqual([]);
    }
  });
});
