import { describe, expect, it } from '@jest/globals';
import {
  binomialCdf,
  normalCdf,
  normalQuantile,
  regularizedIncompleteBeta,
} from '../../../src/stats/distributions.ts';

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
