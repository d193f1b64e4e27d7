import { describe, expect, it } from '@jest/globals';
import {
  binomialCdf,
  groupSequentialBoundaries,
  harrellDavisQuantile,
  hodgesLehmann,
  kthPairwiseDifference,
  lognormalSampler,
  mannWhitney,
  maritzJarrettStandardErrorOfSorted,
  normalCdf,
  normalQuantile,
  normalSampler,
  quantile,
  quantileConfidenceBoundsOfSorted,
  regularizedIncompleteBeta,
  shiftConfidenceBoundsOfSorted,
  sortedAscending,
  xoshiro128,
} from '../../../src/stats/statistics.ts';

describe('normal distribution', () => {
  it('matches tabulated values of Φ and Φ⁻¹ (Abramowitz & Stegun 26.2)', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
    expect(normalCdf(-5) / 2.866515718791946e-7).toBeCloseTo(1, 9);
    expect(normalCdf(-8) / 6.220960574271819e-16).toBeCloseTo(1, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 12);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263478740408408, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 8);
  });

  it('inverts: Φ(Φ⁻¹(p)) = p across the range', () => {
    for (const p of [1e-12, 1e-6, 0.001, 0.2, 0.5, 0.77, 0.999, 1 - 1e-9]) {
      expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 9);
    }
  });
});

describe('beta and binomial', () => {
  it('I_x(a, b) agrees with its binomial identity and symmetry', () => {
    // I_0.3(2, 5) = P(Binomial(6, 0.3) ≥ 2) = 0.579825 exactly.
    expect(regularizedIncompleteBeta(0.3, 2, 5)).toBeCloseTo(0.579825, 12);
    expect(regularizedIncompleteBeta(0.5, 0.5, 0.5)).toBeCloseTo(0.5, 12);
    expect(regularizedIncompleteBeta(0.2, 3.5, 7) + regularizedIncompleteBeta(0.8, 7, 3.5)).toBeCloseTo(
      1,
      12,
    );
  });

  it('binomial CDF equals the summed probabilities', () => {
    expect(binomialCdf(3, 10, 0.5)).toBeCloseTo(176 / 1024, 12);
    // Σ_{i≤40} C(800,i) 0.05^i 0.95^(800−i), summed exactly in Python.
    expect(binomialCdf(40, 800, 0.05)).toBeCloseTo(0.5419319802734491, 10);
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
  });
});

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

  it('Harrell-Davis weights follow Beta(p(n+1), (1−p)(n+1))', () => {
    // n = 3, p = ½: Beta(2, 2) has CDF 3x² − 2x³, so the weights are 7/27, 13/27, 7/27.
    expect(harrellDavisQuantile([10, 1, 2], 0.5)).toBeCloseTo((7 * 1 + 13 * 2 + 7 * 10) / 27, 12);
    expect(harrellDavisQuantile([1, 2, 3, 4, 5], 0.5)).toBeCloseTo(3, 12);
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

describe('group-sequential boundaries', () => {
  it('match the published O’Brien-Fleming-type Lan-DeMets boundaries', () => {
    // Jennison & Turnbull (2000), Table 7.6 / gsDesign sfLDOF: K = 4, one-sided α = 0.025.
    const boundaries = groupSequentialBoundaries(0.025, 4);
    const published = [4.333, 2.963, 2.359, 2.014];
    boundaries.forEach((boundary, look) => expect(Math.abs(boundary - published[look]!)).toBeLessThan(0.004));
    expect(groupSequentialBoundaries(0.01, 1)[0]).toBeCloseTo(normalQuantile(0.99), 6);
  });

  it('keep the overall false-positive rate at α (seeded Brownian simulation)', () => {
    const alpha = 0.05;
    const boundaries = groupSequentialBoundaries(alpha, 4);
    const normal = normalSampler(xoshiro128(11));
    let crossings = 0;
    const runs = 20000;
    for (let run = 0; run < runs; run++) {
      let sum = 0;
      for (let look = 1; look <= 4; look++) {
        sum += normal();
        if (sum / Math.sqrt(look) >= boundaries[look - 1]!) {
          crossings++;
          break;
        }
      }
    }
    // ±3 standard errors of a 5 % rate over 20,000 runs.
    expect(Math.abs(crossings / runs - alpha)).toBeLessThan(0.0047);
  });
});

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
