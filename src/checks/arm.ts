/**
 * One arm of a step as the checks see it: its raw observations, its successful latencies on the
 * log scale (sorted, or summarized above EXACT_SAMPLE_LIMIT) once per look, and the figures the
 * report shows. An arm whose numbers cannot be measurements is refused with `InvalidSample`.
 */
import {
  latencyPercentilesOfSample,
  sortedLogSample,
  type LatencyPercentiles,
  type SortedLogSample,
} from '../stats/latency-percentiles.ts';
import type { Memo } from '../stats/memo.ts';

/** Which arm of a step: the new version or the one it would replace. */
export type ArmName = 'canary' | 'stable';

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
  /** Log latencies of the successful requests, ascending (exact or summarized). */
  logs: SortedLogSample;
  numbers: ArmNumbers;
}

/** An arm's observations are not measurements: a latency or a count the judge cannot use. */
export class InvalidSample extends Error {
  readonly arm: ArmName;

  constructor(arm: ArmName, message: string) {
    super(`${arm} arm: ${message}`);
    this.name = 'InvalidSample';
    this.arm = arm;
  }
}

/** Throws InvalidSample unless every latency is a finite number ≥ 0 and the counts are whole and consistent. */
export function validateObservations(arm: ArmName, { latenciesMs, errors, requests }: ArmObservations): void {
  for (const [name, count] of [
    ['errors', errors],
    ['requests', requests],
  ] as const) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvalidSample(arm, `${name} is ${count}; it must be a whole number ≥ 0`);
    }
  }
  if (errors > requests) {
    throw new InvalidSample(arm, `errors (${errors}) exceed requests (${requests})`);
  }
  for (let i = 0; i < latenciesMs.length; i++) {
    const value = latenciesMs[i]!;
    // Written so NaN fails too: a NaN compares false with everything.
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      throw new InvalidSample(
        arm,
        `latency #${i} is ${value} ms; latencies must be finite numbers of milliseconds ≥ 0`,
      );
    }
  }
}

/** Checks an arm's observations, puts its latencies on the log scale and computes its figures. */
export function armSample(arm: ArmName, observations: ArmObservations, memo: Memo): ArmSample {
  validateObservations(arm, observations);
  const { latenciesMs, errors, requests } = observations;
  const logs = sortedLogSample(latenciesMs);
  return {
    observations,
    logs,
    numbers: {
      n: logs.n,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      ...latencyPercentilesOfSample(logs, memo),
    },
  };
}
