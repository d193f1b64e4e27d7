import { describe, expect, it } from '@jest/globals';
import { xoshiro128 } from '../../../src/stats/random.ts';
import {
  forEachTieGroup,
  hodgesLehmannOfSorted,
  kthPairwiseDifference,
  linearRankTestOfSorted,
  mannWhitneyOfSorted,
  shiftConfidenceBoundsOfSorted,
  skewedCriticalZ,
  type Alternative,
} from '../../../src/stats/rank-tests.ts';
import { normalSampler } from '../../support/samplers.ts';

const sortedAscending = (values: ArrayLike<number>) => Float64Array.from(values).sort();
const mannWhitney = (x: number[], y: number[], alternative: Alternative = 'two-sided') =>
  mannWhitneyOfSorted(sortedAscending(x), sortedAscending(y), alternative);
const hodgesLehmann = (x: number[], y: number[]) =>
  hodgesLehmannOfSorted(sortedAscending(x), sortedAscending(y));

describe('Mann-Whitney U (R wilcox.test, exact = FALSE, correct = TRUE)', () => {
  // Hollander & Wolfe (1973), p. 69: the two-sample example in R's ?wilcox.test.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];

  it('reproduces the textbook example without ties', () => {
    // W = 35 (as R prints). No ties: σ² = n₁n₂(n+1)/12 = 10·5·16/12; z = (35 − 25 − ½)/σ = 1.16350763;
    // p = 1 − Φ(z) = 0.12231180 (R's exact p, 0.1272, is for exact = TRUE).
    const greater = mannWhitney(x, y, 'greater');
    expect(greater.u).toBe(35);
    expect(greater.z).toBeCloseTo(1.1635076278220096, 12);
    expect(greater.pValue).toBeCloseTo(0.12231180256349172, 12);
    expect(mannWhitney(x, y, 'two-sided').pValue).toBeCloseTo(0.24462360512698345, 12);
    expect(mannWhitney(y, x, 'less').pValue).toBeCloseTo(0.12231180256349172, 12);
  });

  it('corrects the variance for ties', () => {
    // x = 1 2 2 3 4, y = 2 3 3 5 6 6: W = 6; tie groups {2,2,2}, {3,3,3}, {6,6} give Σ(t³ − t) = 54;
    // σ² = (30/12)(12 − 54/110) = 28.7727; two-sided z = (6 − 15 + ½)/σ = −1.58463; p = 0.113050.
    const result = mannWhitney([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 6], 'two-sided');
    expect(result.u).toBe(6);
    expect(result.z).toBeCloseTo(-1.5846319609981194, 12);
    expect(result.pValue).toBeCloseTo(0.11304997885632297, 12);
    expect(mannWhitney([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 6], 'less').pValue).toBeCloseTo(
      0.05652498942816148,
      12,
    );
  });

  it('says p = 1 when every value is tied', () => {
    expect(mannWhitney([3, 3, 3], [3, 3]).pValue).toBe(1);
  });
});

describe('Hodges-Lehmann shift', () => {
  const bruteForce = (x: number[], y: number[]) => {
    const differences = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
    return differences;
  };

  it('selects exactly the k-th pairwise difference, ties included (brute force)', () => {
    const random = xoshiro128(99);
    const normal = normalSampler(random);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 30);
      const m = 1 + Math.floor(random() * 30);
      const tied = trial % 2 === 0;
      const draw = () => (tied ? Math.round(normal() * 2) : normal());
      const x = Array.from({ length: n }, draw);
      const y = Array.from({ length: m }, draw);
      const all = bruteForce(x, y);
      for (const k of [1, Math.ceil((n * m) / 2), n * m, 1 + Math.floor(random() * n * m)]) {
        // + 0 folds −0 into 0: the selection may compute 0 as a − a where the sort kept −0.
        expect(kthPairwiseDifference(sortedAscending(x), sortedAscending(y), k) + 0).toBe(all[k - 1]! + 0);
      }
      const middle =
        all.length % 2 === 1
          ? all[(all.length - 1) / 2]!
          : (all[all.length / 2 - 1]! + all[all.length / 2]!) / 2;
      expect(hodgesLehmann(x, y)).toBeCloseTo(middle, 12);
    }
  });

  it('finds a known shift and brackets it with the Moses bounds', () => {
    const random = xoshiro128(5);
    const normal = normalSampler(random);
    const y = Array.from({ length: 500 }, normal);
    const x = Array.from({ length: 500 }, () => normal() + 1);
    const estimate = hodgesLehmann(x, y);
    expect(estimate).toBeGreaterThan(0.85);
    expect(estimate).toBeLessThan(1.15);
    const bounds = shiftConfidenceBoundsOfSorted(sortedAscending(x), sortedAscending(y), 0.95);
    expect(bounds.lower).toBeLessThan(estimate);
    expect(bounds.upper).toBeGreaterThan(estimate);
    expect(bounds.lower).toBeLessThan(1);
    expect(bounds.upper).toBeGreaterThan(1);
  });
});

/** Values with repeats → distinct values and their counts (a summarized sample). */
function grouped(sorted: number[]): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  for (const value of sorted) {
    if (values.at(-1) === value) counts[counts.length - 1]! += 1;
    else {
      values.push(value);
      counts.push(1);
    }
  }
  return { values, counts };
}

describe('rank tests on summarized samples (values with counts)', () => {
  const normal = normalSampler(xoshiro128(91));
  const round = (value: number) => Math.round(value * 4) / 4;
  const x = Array.from({ length: 300 }, () => round(normal() + 0.3)).sort((a, b) => a - b);
  const y = Array.from({ length: 200 }, () => round(normal())).sort((a, b) => a - b);
  const gx = grouped(x);
  const gy = grouped(y);

  it('give the same Mann-Whitney test as the expanded samples', () => {
    const expanded = mannWhitneyOfSorted(x, y, 'greater');
    const counted = mannWhitneyOfSorted(gx.values, gy.values, 'greater', gx.counts, gy.counts);
    expect(counted.u).toBeCloseTo(expanded.u, 9);
    expect(counted.z).toBeCloseTo(expanded.z, 12);
  });

  it('give the same Hodges-Lehmann shift and bounds as the expanded samples', () => {
    expect(hodgesLehmannOfSorted(gx.values, gy.values, gx.counts, gy.counts)).toBeCloseTo(
      hodgesLehmannOfSorted(x, y),
      12,
    );
    const expanded = shiftConfidenceBoundsOfSorted(x, y, 0.95);
    const counted = shiftConfidenceBoundsOfSorted(gx.values, gy.values, 0.95, gx.counts, gy.counts);
    expect(counted.lower).toBeCloseTo(expanded.lower, 12);
    expect(counted.upper).toBeCloseTo(expanded.upper, 12);
  });

  it('give the same linear rank statistic as the expanded samples', () => {
    const score = (u: number) => (u > 0.5 ? u * u : 0);
    const expanded = linearRankTestOfSorted(x, y, score);
    const counted = linearRankTestOfSorted(gx.values, gy.values, score, gx.counts, gy.counts);
    expect(counted.statistic).toBeCloseTo(expanded.statistic, 9);
    expect(counted.variance).toBeCloseTo(expanded.variance, 9);
    expect(counted.skewness).toBeCloseTo(expanded.skewness, 9);
  });
});

describe('linear rank test', () => {
  it('has the exact permutation mean, variance and skewness (all 35 splits of 3 + 4)', () => {
    const pooled = [1, 2, 3, 4, 5, 6, 7];
    const score = (u: number) => (u > 0.5 ? (u - 0.5) ** 2 * 10 : 0);
    const statistics: number[] = [];
    for (let a = 0; a < 7; a++)
      for (let b = a + 1; b < 7; b++)
        for (let c = b + 1; c < 7; c++) {
          const x = [pooled[a]!, pooled[b]!, pooled[c]!];
          const y = pooled.filter((value) => !x.includes(value));
          statistics.push(linearRankTestOfSorted(x, y, score).statistic);
        }
    const mean = statistics.reduce((sum, value) => sum + value, 0) / statistics.length;
    const moment = (k: number) =>
      statistics.reduce((sum, value) => sum + (value - mean) ** k, 0) / statistics.length;
    const test = linearRankTestOfSorted([1, 2, 3], [4, 5, 6, 7], score);
    expect(test.expected).toBeCloseTo(mean, 12);
    expect(test.variance).toBeCloseTo(moment(2), 12);
    expect(test.skewness).toBeCloseTo(moment(3) / moment(2) ** 1.5, 12);
  });

  it('gives tied values the score of their mid-rank', () => {
    const score = (u: number) => u;
    // Pooled [1, 1, 2]: the two 1s share mid-rank 1.5, so u = 1.5/4 each.
    expect(linearRankTestOfSorted([1], [1, 2], score).statistic).toBeCloseTo(1.5 / 4, 15);
  });

  it('corrects the boundary, not the statistic, for skewness', () => {
    expect(skewedCriticalZ(2, 0)).toBe(2);
    expect(skewedCriticalZ(2, 0.6)).toBeCloseTo(2 + 0.3, 15);
  });
});

describe('rank tests refuse NaN instead of looping', () => {
  it('Mann-Whitney, the linear rank test and the tie walk throw a RangeError on NaN', () => {
    expect(() => mannWhitneyOfSorted([1, Number.NaN], [0, 2])).toThrow(RangeError);
    expect(() => mannWhitneyOfSorted([1, 2], [Number.NaN])).toThrow(RangeError);
    expect(() => linearRankTestOfSorted([Number.NaN], [1], (u) => u)).toThrow(/NaN/);
    expect(() => forEachTieGroup([Number.NaN], [], () => undefined)).toThrow(RangeError);
  });
});
