import { describe, expect, it } from '@jest/globals';
import {
  EXACT_SAMPLE_LIMIT,
  LOG_BUCKET_RELATIVE_ERROR,
  LOG_FLOOR_MS,
  latencyPercentiles,
  latencyPercentilesOfSample,
  logAtRank,
  sortedLogSample,
  latencyPercentilesOfSortedLogs,
  sortedLogLatencies,
} from '../../../src/stats/latency-percentiles.ts';
import { Memo } from '../../../src/stats/memo.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { lognormalSampler } from '../../support/samplers.ts';

describe('latency percentiles', () => {
  it('are Harrell-Davis quantiles of the log latencies, back in ms', () => {
    // n = 3, p = ½: the Harrell-Davis weights are 7/27, 13/27, 7/27 (Beta(2, 2)).
    const expected = Math.exp((7 * Math.log(1) + 13 * Math.log(2) + 7 * Math.log(10)) / 27);
    expect(latencyPercentiles([10, 1, 2]).p50Ms).toBeCloseTo(expected, 12);
  });

  it('sorts the logs and clamps 0 ms at the floor', () => {
    const logs = sortedLogLatencies([20, 0, 5]);
    expect(Array.from(logs)).toEqual([Math.log(LOG_FLOOR_MS), Math.log(5), Math.log(20)]);
    expect(latencyPercentiles([0]).p99Ms).toBeCloseTo(LOG_FLOOR_MS, 15);
  });

  it('are NaN without latencies', () => {
    expect(latencyPercentiles([])).toEqual({
      p50Ms: Number.NaN,
      p90Ms: Number.NaN,
      p95Ms: Number.NaN,
      p99Ms: Number.NaN,
    });
  });

  it('are ordered, and the same with a memo as without', () => {
    const latencies = Array.from({ length: 500 }, lognormalSampler(xoshiro128(3), 20, 0.5));
    const plain = latencyPercentiles(latencies);
    expect(plain.p50Ms).toBeLessThan(plain.p90Ms);
    expect(plain.p90Ms).toBeLessThan(plain.p95Ms);
    expect(plain.p95Ms).toBeLessThan(plain.p99Ms);
    const memo = new Memo();
    expect(latencyPercentilesOfSortedLogs(sortedLogLatencies(latencies), memo)).toEqual(plain);
    expect(latencyPercentiles(latencies, memo)).toEqual(plain);
  });
});

describe('summarized samples (above EXACT_SAMPLE_LIMIT)', () => {
  const latencies = Array.from({ length: 50_000 }, lognormalSampler(xoshiro128(4), 20, 0.7));
  const summary = sortedLogSample(latencies);
  const exact = sortedLogSample(latencies, Number.POSITIVE_INFINITY);

  it('keeps a sample up to the limit exact, and summarizes above it', () => {
    expect(sortedLogSample(latencies.slice(0, EXACT_SAMPLE_LIMIT)).counts).toBeUndefined();
    expect(summary.counts).toBeDefined();
    expect(summary.n).toBe(50_000);
    expect(summary.counts!.reduce((sum, count) => sum + count, 0)).toBe(50_000);
    expect(summary.values.length).toBeLessThan(10_000);
  });

  it('puts every order statistic within the stated relative error', () => {
    for (const rank of [1, 2, 500, 25_000, 47_500, 49_500, 50_000]) {
      const ratio = Math.exp(logAtRank(summary, rank) - logAtRank(exact, rank));
      expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(LOG_BUCKET_RELATIVE_ERROR * (1 + 1e-9));
    }
  });

  it('gives percentiles within the sampling error of the exact ones', () => {
    const fromSummary = latencyPercentilesOfSample(summary);
    const fromExact = latencyPercentilesOfSample(exact);
    for (const key of ['p50Ms', 'p90Ms', 'p95Ms', 'p99Ms'] as const) {
      expect(Math.abs(fromSummary[key] / fromExact[key] - 1)).toBeLessThan(0.01);
    }
  });
});
