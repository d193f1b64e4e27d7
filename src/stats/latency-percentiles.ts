/**
 * An arm's latencies on the log scale, exact or summarized, and its percentiles as the judge and
 * the report give them: Harrell-Davis quantiles of the log latencies, back-transformed to ms. One
 * estimator for every place that shows an arm's p50/p90/p95/p99 (docs/judge.md).
 *
 * Up to EXACT_SAMPLE_LIMIT latencies the sample is kept whole and sorted. Above it, it is a
 * log-bucketed histogram (bucket width LOG_BUCKET_WIDTH): one pass, memory bounded by the number
 * of buckets whatever the sample size, and every value it stands for within LOG_BUCKET_RELATIVE_ERROR
 * of its bucket's centre. docs/judge.md ("Bounded cost") gives the measured cost and error rates.
 */
import type { Memo } from './memo.ts';
import { harrellDavisQuantileOfSorted } from './quantiles.ts';

/** Latencies below this (ms) are clamped before taking logs, so a 0 ms sample is not −∞. */
export const LOG_FLOOR_MS = 1e-3;
/** Above this many latencies an arm is summarized in log buckets instead of sorted whole. */
export const EXACT_SAMPLE_LIMIT = 20_000;
/** Width of a summary's buckets on the log scale. */
export const LOG_BUCKET_WIDTH = 0.001;
/** Largest relative error of a summarized value: half a bucket, e^(w/2) − 1 ≈ 0.05 %. */
export const LOG_BUCKET_RELATIVE_ERROR = Math.expm1(LOG_BUCKET_WIDTH / 2);

/** The latencies' logs (ms clamped at LOG_FLOOR_MS), ascending: the scale the judge works on. */
export function sortedLogLatencies(latenciesMs: ArrayLike<number>): Float64Array {
  const logs = new Float64Array(latenciesMs.length);
  for (let i = 0; i < logs.length; i++) logs[i] = Math.log(Math.max(LOG_FLOOR_MS, latenciesMs[i]!));
  return logs.sort();
}

/** One arm's log latencies, ascending: every value (exact), or bucket centres with their counts. */
export interface SortedLogSample {
  /** Samples in all. */
  n: number;
  /** Ascending log latencies: each sample once (exact), or the centre of each non-empty bucket. */
  values: Float64Array;
  /** How many samples each value stands for; absent when each value is one sample. */
  counts?: Float64Array;
  /** The summary's bucket width on the log scale; 0 for an exact sample. */
  bucketWidth: number;
}

/** The log latencies of `latenciesMs` (finite, ≥ 0) kept exact up to `exactLimit`, summarized above. */
export function sortedLogSample(
  latenciesMs: ArrayLike<number>,
  exactLimit = EXACT_SAMPLE_LIMIT,
): SortedLogSample {
  const n = latenciesMs.length;
  if (n <= exactLimit) return { n, values: sortedLogLatencies(latenciesMs), bucketWidth: 0 };
  let lowest = Number.POSITIVE_INFINITY;
  let highest = LOG_FLOOR_MS;
  for (let i = 0; i < n; i++) {
    const value = Math.max(LOG_FLOOR_MS, latenciesMs[i]!);
    if (value < lowest) lowest = value;
    if (value > highest) highest = value;
  }
  // Buckets are aligned to multiples of the width, so both arms share one grid.
  const first = Math.floor(Math.log(lowest) / LOG_BUCKET_WIDTH);
  const tally = new Float64Array(Math.floor(Math.log(highest) / LOG_BUCKET_WIDTH) - first + 1);
  for (let i = 0; i < n; i++) {
    const bucket = Math.floor(Math.log(Math.max(LOG_FLOOR_MS, latenciesMs[i]!)) / LOG_BUCKET_WIDTH);
    tally[Math.min(tally.length - 1, Math.max(0, bucket - first))]! += 1;
  }
  let filled = 0;
  for (const count of tally) if (count > 0) filled++;
  const values = new Float64Array(filled);
  const counts = new Float64Array(filled);
  for (let bucket = 0, at = 0; bucket < tally.length; bucket++) {
    if (tally[bucket]! === 0) continue;
    values[at] = (first + bucket + 0.5) * LOG_BUCKET_WIDTH;
    counts[at++] = tally[bucket]!;
  }
  return { n, values, counts, bucketWidth: LOG_BUCKET_WIDTH };
}

/** The value of the sample's order statistic at 1-based `rank` (clamped to 1…n). */
export function logAtRank(sample: SortedLogSample, rank: number): number {
  const wanted = Math.min(sample.n, Math.max(1, rank));
  if (sample.counts === undefined) return sample.values[wanted - 1]!;
  let seen = 0;
  for (let i = 0; i < sample.values.length; i++) {
    seen += sample.counts[i]!;
    if (seen >= wanted) return sample.values[i]!;
  }
  return sample.values[sample.values.length - 1]!;
}

/** The sample's p-quantile on the log scale: Harrell-Davis when exact, the bucket's centre when summarized. */
export function logQuantileOfSample(sample: SortedLogSample, p: number, memo?: Memo): number {
  if (sample.n === 0) return Number.NaN;
  if (sample.counts === undefined) return harrellDavisQuantileOfSorted(sample.values, p, memo);
  return logAtRank(sample, Math.round((sample.n - 1) * p) + 1);
}

/** Percentiles of one arm's successful-request latencies. */
export interface LatencyPercentiles {
  /** Harrell-Davis quantile estimates (bucket centres above EXACT_SAMPLE_LIMIT), ms. */
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** p50/p90/p95/p99 (ms) of a sample; NaN for no latencies. */
export function latencyPercentilesOfSample(sample: SortedLogSample, memo?: Memo): LatencyPercentiles {
  const at = (p: number) => Math.exp(logQuantileOfSample(sample, p, memo));
  return { p50Ms: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), p99Ms: at(0.99) };
}

/** p50/p90/p95/p99 (ms) from `sortedLogLatencies`; NaN for no latencies. */
export function latencyPercentilesOfSortedLogs(sortedLogs: Float64Array, memo?: Memo): LatencyPercentiles {
  return latencyPercentilesOfSample({ n: sortedLogs.length, values: sortedLogs, bucketWidth: 0 }, memo);
}

/** p50/p90/p95/p99 (ms) of latencies in any order. */
export function latencyPercentiles(latenciesMs: ArrayLike<number>, memo?: Memo): LatencyPercentiles {
  return latencyPercentilesOfSample(sortedLogSample(latenciesMs), memo);
}
