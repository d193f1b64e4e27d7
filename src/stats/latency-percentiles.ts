/**
 * An arm's latency percentiles as the judge and the report give them: Harrell-Davis quantiles of
 * the log latencies, back-transformed to ms. One estimator for every place that shows an arm's
 * p50/p90/p95/p99 (docs/judge.md).
 */
import type { Memo } from './memo.ts';
import { harrellDavisQuantileOfSorted } from './quantiles.ts';

/** Latencies below this (ms) are clamped before taking logs, so a 0 ms sample is not −∞. */
export const LOG_FLOOR_MS = 1e-3;

/** The latencies' logs (ms clamped at LOG_FLOOR_MS), ascending: the scale the judge works on. */
export function sortedLogLatencies(latenciesMs: ArrayLike<number>): Float64Array {
  const logs = new Float64Array(latenciesMs.length);
  for (let i = 0; i < logs.length; i++) logs[i] = Math.log(Math.max(LOG_FLOOR_MS, latenciesMs[i]!));
  return logs.sort();
}

/** Percentiles of one arm's successful-request latencies. */
export interface LatencyPercentiles {
  /** Harrell-Davis quantile estimates, ms. */
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** p50/p90/p95/p99 (ms) from `sortedLogLatencies`; NaN for no latencies. */
export function latencyPercentilesOfSortedLogs(sortedLogs: Float64Array, memo?: Memo): LatencyPercentiles {
  const at = (p: number) =>
    sortedLogs.length > 0 ? Math.exp(harrellDavisQuantileOfSorted(sortedLogs, p, memo)) : Number.NaN;
  return { p50Ms: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), p99Ms: at(0.99) };
}

/** p50/p90/p95/p99 (ms) of latencies in any order. */
export function latencyPercentiles(latenciesMs: ArrayLike<number>, memo?: Memo): LatencyPercentiles {
  return latencyPercentilesOfSortedLogs(sortedLogLatencies(latenciesMs), memo);
}
