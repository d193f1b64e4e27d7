import { describe, expect, it } from '@jest/globals';
import {
  bucketQuantile,
  compareBucketQuantiles,
  cumulativeBuckets,
  type Bucket,
} from '../../../src/stats/histogram.ts';

/** Cumulative buckets of `values` at `edges` (and +Inf), as a Prometheus histogram counts them. */
function histogramOf(values: readonly number[], edges: readonly number[]): Bucket[] {
  return [...edges, Number.POSITIVE_INFINITY].map((le) => ({
    le,
    count: values.filter((v) => v <= le).length,
  }));
}

const FINE = Array.from({ length: 100 }, (_, k) => +(0.001 * 1.05 ** k).toPrecision(4));
const COARSE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** 2,000 latencies spread evenly from 10 to 20 ms. */
const EVEN = Array.from({ length: 2000 }, (_, i) => 0.01 + (0.01 * i) / 1999);

describe('cumulativeBuckets', () => {
  it('sums series of the same edge, sorts, reads +Inf and makes counts non-decreasing', () => {
    expect(
      cumulativeBuckets([
        { le: '+Inf', count: 10 },
        { le: '0.1', count: 4 },
        { le: '0.1', count: 3 },
        { le: '0.5', count: 6.9 },
        { le: 'x', count: 1 },
      ]),
    ).toEqual([
      { le: 0.1, count: 7 },
      { le: 0.5, count: 7 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ]);
  });
});

describe('bucketQuantile', () => {
  it('interpolates inside the bucket as histogram_quantile does, and bounds the quantile by its buckets', () => {
    const q = bucketQuantile(histogramOf(EVEN, FINE), 0.95, 0.99)!;
    expect(q.estimate).toBeCloseTo(0.0195, 3);
    expect(q.lower).toBeLessThan(q.estimate);
    expect(q.upper).toBeGreaterThanOrEqual(q.estimate);
    expect(q.lowerBound).toBeLessThanOrEqual(q.lower);
    expect(q.upperBound).toBeGreaterThanOrEqual(q.upper);
    expect(q.observations).toBe(2000);
  });

  it('gives the lower edge for a quantile in the +Inf bucket, 0 below the first edge, and nothing without observations', () => {
    expect(bucketQuantile(histogramOf([2, 3, 4], [1]), 0.5, 0.95)).toMatchObject({
      lower: 1,
      estimate: 1,
      upper: Infinity,
    });
    expect(bucketQuantile(histogramOf([0.5, 0.5], [1, 2]), 0.5, 0.95)).toMatchObject({ lower: 0, upper: 1 });
    expect(bucketQuantile(histogramOf([], [1]), 0.5, 0.95)).toBeUndefined();
    expect(bucketQuantile([{ le: 1, count: 3 }], 0.5, 0.95)).toBeUndefined();
  });

  it('has no upper bound on too few observations (40 cannot show a p95 at 99 %)', () => {
    const few = bucketQuantile(
      histogramOf(
        EVEN.filter((_, i) => i % 50 === 0),
        FINE,
      ),
      0.95,
      0.99,
    )!;
    const many = bucketQuantile(histogramOf(EVEN, FINE), 0.95, 0.99)!;
    expect(few.upperBound).toBe(Number.POSITIVE_INFINITY);
    expect(many.upperBound).toBeLessThan(0.025);
  });
});

describe('compareBucketQuantiles', () => {
  const quantile = (values: readonly number[], edges: readonly number[]) =>
    bucketQuantile(histogramOf(values, edges), 0.95, 0.99)!;
  const scaled = (factor: number) => EVEN.map((v) => v * factor);

  it.each([
    ['alike arms, fine buckets', 1, FINE, 'within', false],
    ['5 % slower, fine buckets', 1.05, FINE, 'within', false],
    ['doubled, fine buckets', 2, FINE, 'regressed', false],
    ['alike arms, coarse buckets', 1, COARSE, 'within', true],
    ['doubled, coarse buckets', 2, COARSE, 'unresolved', true],
    ['five times slower, coarse buckets', 5, COARSE, 'regressed', true],
  ] as const)('%s: %s', (_, factor, edges, verdict, coarse) => {
    const comparison = compareBucketQuantiles(quantile(scaled(factor), edges), quantile(EVEN, edges), 0.1);
    expect(comparison.verdict).toBe(verdict);
    expect(comparison.coarse).toBe(coarse);
  });

  it('cannot resolve a 30 % regression that stays within one coarse bucket', () => {
    const comparison = compareBucketQuantiles(quantile(scaled(1.3), COARSE), quantile(EVEN, COARSE), 0.1);
    expect(comparison).toMatchObject({ verdict: 'unresolved', coarse: true });
    expect(comparison.ratio).toBeGreaterThan(1.1);
  });
});
