import { describe, expect, it } from '@jest/globals';
import { normalQuantile } from '../../../src/stats/distributions.ts';
import {
  harrellDavisQuantileOfSorted,
  maritzJarrettStandardErrorOfSorted,
  quantileConfidenceBoundsOfSorted,
  quantileOfSorted,
} from '../../../src/stats/quantiles.ts';
import { Memo } from '../../../src/stats/memo.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { lognormalSampler, normalSampler } from '../../support/samplers.ts';

const sortedAscending = (values: ArrayLike<number>) => Float64Array.from(values).sort();
const quantile = (values: ArrayLike<number>, p: number) => quantileOfSorted(sortedAscending(values), p);
/** Shared: the simulation below asks for the same weights thousands of times. */
const memo = new Memo();
const harrellDavisQuantile = (values: ArrayLike<number>, p: number) =>
  harrellDavisQuantileOfSorted(sortedAscending(values), p, memo);

describe('quantiles', () => {
  it('uses Hyndman & Fan definition 7 (R and NumPy default)', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 12);
    // R: quantile(c(3, 1, 4, 1, 5, 9, 2, 6), 0.9) = 6.9
    expect(quantile([3, 1, 4, 1, 5, 9, 2, 6], 0.9)).toBeCloseTo(6.9, 12);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('interpolates between order statistics of a sorted list like R quantile type 7', () => {
    expect(quantileOfSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileOfSorted([10, 20, 30, 40, 50], 0.99)).toBeCloseTo(49.6, 10);
    expect(quantileOfSorted([7], 0.95)).toBe(7);
  });

  it('Harrell-Davis weights follow Beta(p(n+1), (1−p)(n+1))', () => {
    // n = 3, p = ½: Beta(2, 2) has CDF 3x² − 2x³, so the weights are 7/27, 13/27, 7/27.
    expect(harrellDavisQuantile([10, 1, 2], 0.5)).toBeCloseTo((7 * 1 + 13 * 2 + 7 * 10) / 27, 12);
    expect(harrellDavisQuantile([1, 2, 3, 4, 5], 0.5)).toBeCloseTo(3, 12);
  });

  it('Harrell-Davis gives the same estimate with a memo as without', () => {
    const sorted = sortedAscending(Array.from({ length: 300 }, normalSampler(xoshiro128(12))));
    for (const p of [0.5, 0.95, 0.99]) {
      const plain = harrellDavisQuantileOfSorted(sorted, p);
      expect(harrellDavisQuantileOfSorted(sorted, p, memo)).toBe(plain);
      expect(harrellDavisQuantileOfSorted(sorted, p, memo)).toBe(plain);
    }
  });

  it('Maritz-Jarrett error is the exact bootstrap error of the order statistic', () => {
    // n = 3, p = ½: m = 2, the bootstrap distribution of X*_(2) has the Beta(2, 2) weights above.
    const mean = 103 / 27;
    const expected = Math.sqrt((7 * (1 - mean) ** 2 + 13 * (2 - mean) ** 2 + 7 * (10 - mean) ** 2) / 27);
    expect(maritzJarrettStandardErrorOfSorted(sortedAscending([2, 10, 1]), 0.5)).toBeCloseTo(expected, 12);
  });

  it('Harrell-Davis has a smaller tail error than the sample p95 (seeded simulation)', () => {
    const random = xoshiro128(2024);
    const normal = normalSampler(random);
    const sample: number[] = [];
    const harrellDavis: number[] = [];
    for (let run = 0; run < 2000; run++) {
      const values = Array.from({ length: 200 }, normal);
      sample.push(quantile(values, 0.95));
      harrellDavis.push(harrellDavisQuantile(values, 0.95));
    }
    const meanSquaredError = (estimates: number[]) =>
      estimates.reduce((sum, value) => sum + (value - normalQuantile(0.95)) ** 2, 0) / estimates.length;
    expect(meanSquaredError(harrellDavis)).toBeLessThan(meanSquaredError(sample));
  });
});

describe('order-statistic confidence bounds for a quantile', () => {
  it('picks the binomial ranks', () => {
    const sorted = sortedAscending(Array.from({ length: 100 }, (_, i) => i + 1));
    // P(Binomial(100, ½) ≥ 42) = 0.9557 ≥ 0.95 > P(B ≥ 43); symmetric upper rank 59.
    const bounds = quantileConfidenceBoundsOfSorted(sorted, 0.5, 0.95);
    expect(bounds.lowerRank).toBe(42);
    expect(bounds.upperRank).toBe(59);
    expect(bounds.lower).toBe(42);
    const tail = quantileConfidenceBoundsOfSorted(
      sortedAscending(Array.from({ length: 200 }, (_, i) => i)),
      0.95,
      0.99,
    );
    expect(tail.lowerRank).toBe(182);
    expect(tail.upperRank).toBe(197);
  });

  it('has no upper bound when n is too small for the confidence', () => {
    const bounds = quantileConfidenceBoundsOfSorted(sortedAscending([1, 2, 3, 4, 5]), 0.99, 0.95);
    expect(bounds.upper).toBeUndefined();
    expect(bounds.lower).toBeDefined();
  });

  it('covers the true quantile at least as often as promised (seeded simulation)', () => {
    const random = xoshiro128(7);
    const draw = lognormalSampler(random, 20, 0.5);
    const trueP95 = 20 * Math.exp(0.5 * normalQuantile(0.95));
    let lowerCovers = 0;
    let upperCovers = 0;
    const runs = 3000;
    for (let run = 0; run < runs; run++) {
      const bounds = quantileConfidenceBoundsOfSorted(
        sortedAscending(Array.from({ length: 200 }, draw)),
        0.95,
        0.9,
      );
      if (bounds.lower! <= trueP95) lowerCovers++;
      if (bounds.upper! >= trueP95) upperCovers++;
    }
    // Exact coverage of the chosen ranks is ≥ 0.90 (discreteness makes it a little higher); 3 s.e. below.
    expect(lowerCovers / runs).toBeGreaterThan(0.883);
    expect(upperCovers / runs).toBeGreaterThan(0.883);
    expect(lowerCovers / runs).toBeLessThan(0.95);
  });
});
