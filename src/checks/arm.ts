/**
 * One arm of a step as the checks see it: its raw observations, its successful latencies sorted on
 * the log scale once per look, and the figures the report shows (Harrell-Davis percentiles).
 */
import {
  latencyPercentilesOfSortedLogs,
  sortedLogLatencies,
  type LatencyPercentiles,
} from '../stats/latency-percentiles.ts';
import type { Memo } from '../stats/memo.ts';

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
export interface ArmNumbers extends LatencyPercentiles {
  /** Successful requests whose latencies the percentiles are taken from. */
  n: number;
  /** Requests sent in the measured window. */
  requests: number;
  /** Requests that failed (HTTP error, timeout, network error, dropped). */
  errors: number;
  /** errors / requests, 0 to 1. */
  errorRate: number;
}

/** An arm prepared once per look for every check. */
export interface ArmSample {
  observations: ArmObservations;
  /** Log latencies of the successful requests, ascending. */
  logs: Float64Array;
  numbers: ArmNumbers;
}

/** Sorts an arm's log latencies and computes its figures. */
export function armSample(observations: ArmObservations, memo: Memo): ArmSample {
  const { latenciesMs, errors, requests } = observations;
  const logs = sortedLogLatencies(latenciesMs);
  return {
    observations,
    logs,
    numbers: {
      n: logs.length,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      ...latencyPercentilesOfSortedLogs(logs, memo),
    },
  };
}
