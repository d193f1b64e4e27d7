/**
 * One arm of a step as the checks see it: its raw observations, its successful latencies sorted on
 * the log scale once per look, and the figures the report shows (Harrell-Davis percentiles).
 */
import { harrellDavisQuantileOfSorted } from '../stats/statistics.ts';

/** Latencies below this (ms) are clamped before taking logs, so a 0 ms sample is not −∞. */
const LOG_FLOOR_MS = 1e-3;

/** What one arm saw: latencies of successful requests, and how many requests failed. */
export interface ArmObservations {
  /** Latency in milliseconds of every successful request, in any order. */
  latenciesMs: ArrayLike<number>;
  /** Requests that failed (timeouts, non-2xx, connection errors). */
  errors: number;
  /** Every request sent in the window, successful or not. */
  requests: number;
}

/** Latency and error figures of one arm over the measured window (warm-up excluded). */
export interface ArmNumbers {
  /** Successful requests whose latencies the percentiles are taken from. */
  n: number;
  /** Requests sent in the measured window. */
  requests: number;
  /** Requests that failed (HTTP error, timeout, network error, dropped). */
  errors: number;
  /** errors / requests, 0 to 1. */
  errorRate: number;
  /** Harrell-Davis quantile estimates, ms. */
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** An arm prepared once per look for every check. */
export interface ArmSample {
  observations: ArmObservations;
  /** Log latencies of the successful requests, ascending. */
  logs: Float64Array;
  numbers: ArmNumbers;
}

/** Sorts an arm's log latencies and computes its figures. */
export function armSample(observations: ArmObservations): ArmSample {
  const { latenciesMs, errors, requests } = observations;
  const logs = new Float64Array(latenciesMs.length);
  for (let i = 0; i < logs.length; i++) logs[i] = Math.log(Math.max(LOG_FLOOR_MS, latenciesMs[i]!));
  logs.sort();
  const at = (p: number) => (logs.length > 0 ? Math.exp(harrellDavisQuantileOfSorted(logs, p)) : Number.NaN);
  return {
    observations,
    logs,
    numbers: {
      n: logs.length,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      p50Ms: at(0.5),
      p90Ms: at(0.9),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
    },
  };
}
