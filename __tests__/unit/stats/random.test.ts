import { describe, expect, it } from '@jest/globals';
import { quantileOfSorted } from '../../../src/stats/quantiles.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { lognormalSampler } from '../../support/samplers.ts';

const quantile = (values: number[], p: number) => quantileOfSorted(Float64Array.from(values).sort(), p);

describe('seeded randomness', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = xoshiro128(42);
    const b = xoshiro128(42);
    const c = xoshiro128(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(c()).not.toBe(first[0]);
    for (const value of first) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  it('draws lognormal latencies with the asked median and σ', () => {
    const draw = lognormalSampler(xoshiro128(1), 20, 0.5);
    const values = Array.from({ length: 40000 }, draw);
    expect(quantile(values, 0.5)).toBeGreaterThan(19.7);
    expect(quantile(values, 0.5)).toBeLessThan(20.3);
    const logs = values.map(Math.log);
    const mean = logs.reduce((sum, value) => sum + value, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (logs.length - 1));
    expect(sd).toBeGreaterThan(0.49);
    expect(sd).toBeLessThan(0.51);
  });
});
