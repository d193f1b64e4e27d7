/**
 * The latency gate's decision, pure: canary and stable samples from the same window in, a verdict
 * with every number it used out. docs/judge.md explains the rule and its measured error rates.
 *
 * Two signals on log latencies, each a one-sided group-sequential test with its share of the
 * false-revert budget:
 *  - shift: Mann-Whitney (does the canary's whole distribution sit higher?) with the
 *    Hodges-Lehmann ratio as its size;
 *  - tail: the mean over p80…p99 of the log ratio of Harrell-Davis quantiles as its size; its test
 *    statistic subtracts half the median's log ratio, with a jackknife standard error.
 * A signal reverts when it is significant at the look's boundary AND its estimated ratio exceeds
 * 1 + max-regression (a real but tolerated 3 % slow-down is promoted). Absolute limits and the
 * error rate are checked on the canary alone.
 */
import type { Settings } from '../inputs/inputs.ts';
import { binomialCdf, normalCdf, normalQuantile } from '../stats/distributions.ts';
import {
  latencyPercentilesOfSortedLogs,
  sortedLogLatencies,
  type LatencyPercentiles,
} from '../stats/latency-percentiles.ts';
import { Memo } from '../stats/memo.ts';
import {
  harrellDavisWeights,
  jackknifeVarianceOfLStatistic,
  lStatisticOfSorted,
  quantileConfidenceBoundsOfSorted,
} from '../stats/quantiles.ts';
import {
  hodgesLehmannOfSorted,
  mannWhitneyOfSorted,
  shiftConfidenceBoundsOfSorted,
} from '../stats/rank-tests.ts';
import { groupSequentialBoundaries } from '../stats/sequential.ts';

/** Fewer successful requests than this per arm and the judge will not call the latencies. */
export const MIN_SAMPLES_PER_ARM = 100;
/** An error-rate verdict needs at least this many failed canary requests (1 in 10 is not 10 %). */
export const MIN_ERRORS_FOR_RATE = 5;
/** Looks the gate plans when the caller does not say (group-sequential, equally spaced). */
export const DEFAULT_PLANNED_LOOKS = 4;
/**
 * The false-revert budget is this share of 1 − confidence: 1 % at the default confidence 0.95,
 * the rate the gate is held to (a false revert blocks a good release and costs a human's time).
 */
export const FALSE_REVERT_SHARE = 0.2;
/** Share of the false-revert budget given to the shift signal; the tail signal gets the rest. */
export const SHIFT_SIGNAL_SHARE = 0.1;
/** The quantiles whose log ratios the tail signal averages. */
export const TAIL_QUANTILES = [0.8, 0.85, 0.9, 0.95, 0.975, 0.99] as const;
/**
 * The tail test subtracts this multiple of the median's log ratio: within an arm the tail quantiles
 * move with the median, so removing half of it removes shared noise (½ is close to the
 * least-squares weight for lognormal-like latencies). A whole-distribution shift is the shift
 * signal's job; the tail test looks for the tail growing beyond the body.
 */
export const TAIL_MEDIAN_WEIGHT = 0.5;

/** What one arm saw: latencies of successful requests, and how many requests failed. */
export interface ArmObservations {
  /** Latency in milliseconds of every successful request, in any order. */
  latenciesMs: ArrayLike<number>;
  /** Requests that failed (timeouts, non-2xx, connection errors). */
  errors: number;
  /** Every request sent in the window, successful or not. */
  requests: number;
}

export interface JudgeInput {
  canary: ArmObservations;
  /** Omitted for the first deployment (nothing to compare to): absolute limits only. */
  stable?: ArmObservations;
  gate: Settings['gate'];
  /** Which planned look this is (1-based) out of how many; default the only look, 1 of 1. */
  look?: { index: number; of: number };
  /**
   * Keeps the costly boundaries and weights for the next call: one per analysis, passed to every
   * look. Without one each call computes its own.
   */
  memo?: Memo;
}

export type Decision = 'promote' | 'revert' | 'inconclusive' | 'continue';

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

/** A canary/stable ratio estimate with its one-sided bounds at `confidence` and its test. */
export interface SignalNumbers {
  ratio: number;
  lowerBound: number;
  upperBound: number;
  z: number;
  /** The look's group-sequential boundary z must reach. */
  criticalZ: number;
  /** One-sided p-value of "canary slower", unadjusted for looks. */
  pValue: number;
  significant: boolean;
}

export interface VerdictNumbers {
  look: number;
  plannedLooks: number;
  canary: ArmNumbers;
  stable?: ArmNumbers;
  /** Whole-distribution shift: Hodges-Lehmann ratio, Mann-Whitney z and p (one-sided, R's). */
  shift?: SignalNumbers;
  /** Tail: geometric mean of the p80…p99 ratios (TAIL_QUANTILES), and the p95 ratio alone. */
  tail?: SignalNumbers & { p95Ratio: number };
  thresholds: {
    maxP95Ms?: number;
    maxP99Ms?: number;
    maxErrorRate: number;
    maxRegression: number;
    confidence: number;
    falseRevertBudget: number;
    minSamplesPerArm: number;
    minErrorsForRate: number;
  };
}

export interface Verdict {
  decision: Decision;
  /** One line a person reads in the log and the job summary. */
  reason: string;
  numbers: VerdictNumbers;
}

/** The probability budget for reverting a canary that is not slower, from `confidence`. */
export function falseRevertBudget(confidence: number): number {
  return (1 - confidence) * FALSE_REVERT_SHARE;
}

function armNumbers(arm: ArmObservations, sortedLogs: Float64Array, memo: Memo): ArmNumbers {
  return {
    n: sortedLogs.length,
    requests: arm.requests,
    errors: arm.errors,
    errorRate: arm.requests > 0 ? arm.errors / arm.requests : 0,
    ...latencyPercentilesOfSortedLogs(sortedLogs, memo),
  };
}

/** Order-statistic weights of one arm's tail mean and of its tail-minus-½-median contrast, for n values. */
function tailWeights(n: number, memo: Memo): { mean: Float64Array; contrast: Float64Array } {
  return memo.get(`latency-judge-tail-weights:${n}`, () => {
    const mean = new Float64Array(n);
    for (const p of TAIL_QUANTILES) {
      const quantileWeights = harrellDavisWeights(n, p, memo);
      for (let i = 0; i < n; i++) mean[i] = mean[i]! + quantileWeights[i]! / TAIL_QUANTILES.length;
    }
    const median = harrellDavisWeights(n, 0.5, memo);
    const contrast = mean.map((weight, i) => weight - TAIL_MEDIAN_WEIGHT * median[i]!);
    return { mean, contrast };
  });
}

/** One arm's tail: mean log tail quantile and the tail-minus-½-median contrast, with jackknife variances. */
function tailOfArm(sortedLogs: Float64Array, memo: Memo) {
  const n = sortedLogs.length;
  const weights = tailWeights(n, memo);
  const withoutOne = tailWeights(n - 1, memo);
  return {
    mean: lStatisticOfSorted(sortedLogs, weights.mean),
    meanVariance: jackknifeVarianceOfLStatistic(sortedLogs, withoutOne.mean),
    contrast: lStatisticOfSorted(sortedLogs, weights.contrast),
    contrastVariance: jackknifeVarianceOfLStatistic(sortedLogs, withoutOne.contrast),
  };
}

/**
 * A normal critical value widened to Student's t with `degreesOfFreedom` (Cornish-Fisher expansion,
 * Abramowitz & Stegun 26.7.5). The tail's jackknife error rests on the few observations in the
 * tail, so its z has heavier tails than a normal; df = the observations above the lowest tail quantile.
 */
function studentized(z: number, degreesOfFreedom: number): number {
  const df = Math.max(1, degreesOfFreedom);
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

const percent = (fraction: number) => `${+(fraction * 100).toFixed(2)}%`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

/**
 * Decide on a canary from its latencies and errors beside stable's, at one planned look:
 * `revert` (with the cause), `promote`, `continue` (look again later) or `inconclusive`.
 */
export function judgeLatency(input: JudgeInput): Verdict {
  const { canary, stable, gate } = input;
  const plannedLooks = Math.max(1, Math.floor(input.look?.of ?? 1));
  const look = Math.min(plannedLooks, Math.max(1, Math.floor(input.look?.index ?? plannedLooks)));
  const finalLook = look === plannedLooks;
  const budget = falseRevertBudget(gate.confidence);
  const memo = input.memo ?? new Memo();
  const canaryLogs = sortedLogLatencies(canary.latenciesMs);
  const stableLogs = stable === undefined ? undefined : sortedLogLatencies(stable.latenciesMs);
  const numbers: VerdictNumbers = {
    look,
    plannedLooks,
    canary: armNumbers(canary, canaryLogs, memo),
    ...(stable !== undefined && stableLogs !== undefined
      ? { stable: armNumbers(stable, stableLogs, memo) }
      : {}),
    thresholds: {
      ...(gate.maxP95Ms !== undefined ? { maxP95Ms: gate.maxP95Ms } : {}),
      ...(gate.maxP99Ms !== undefined ? { maxP99Ms: gate.maxP99Ms } : {}),
      maxErrorRate: gate.maxErrorRate,
      maxRegression: gate.maxRegression,
      confidence: gate.confidence,
      falseRevertBudget: budget,
      minSamplesPerArm: MIN_SAMPLES_PER_ARM,
      minErrorsForRate: MIN_ERRORS_FOR_RATE,
    },
  };
  const verdict = (decision: Decision, reason: string): Verdict => ({ decision, reason, numbers });
  const at = `look ${look}/${plannedLooks}`;

  // Errors first: a canary that fails requests is reverted whatever its latency.
  const errorRate = numbers.canary.errorRate;
  if (canary.errors >= MIN_ERRORS_FOR_RATE && errorRate > gate.maxErrorRate) {
    // Before the last look only on evidence: P(this many errors | rate = max-error-rate) < budget.
    const pValue = 1 - binomialCdf(canary.errors - 1, canary.requests, gate.maxErrorRate);
    if (finalLook || pValue < budget) {
      return verdict(
        'revert',
        `canary error rate ${percent(errorRate)} (${canary.errors}/${canary.requests}) is above max-error-rate ${percent(gate.maxErrorRate)} (${at})`,
      );
    }
  }

  // Absolute limits on the canary's own quantiles: the estimate at the last look, before it only
  // when the distribution-free lower bound is already above the limit.
  const enough = canaryLogs.length >= MIN_SAMPLES_PER_ARM;
  const limits = [
    { name: 'max-p95-ms', p: 0.95, limit: gate.maxP95Ms, estimate: numbers.canary.p95Ms },
    { name: 'max-p99-ms', p: 0.99, limit: gate.maxP99Ms, estimate: numbers.canary.p99Ms },
  ] as const;
  for (const { name, p, limit, estimate } of limits) {
    if (limit === undefined || canaryLogs.length === 0) continue;
    const lower = quantileConfidenceBoundsOfSorted(canaryLogs, p, 1 - budget).lower;
    const clearlyAbove = lower !== undefined && Math.exp(lower) > limit;
    if (clearlyAbove || (finalLook && enough && estimate > limit)) {
      return verdict(
        'revert',
        `canary p${p * 100} ${ms(estimate)} is above ${name} ${limit} (${clearlyAbove ? `lower ${percent(1 - budget)} bound ${ms(Math.exp(lower))}` : 'estimate'}, ${at})`,
      );
    }
  }

  // An early promotion also needs the error rate and the absolute limits met by the estimates.
  const errorsAndLimitsHold =
    !(canary.errors >= MIN_ERRORS_FOR_RATE && errorRate > gate.maxErrorRate) &&
    limits.every(({ limit, estimate }) => limit === undefined || estimate <= limit);

  if (stable === undefined || stableLogs === undefined) {
    if (!enough) {
      return finalLook
        ? verdict(
            'inconclusive',
            `only ${canaryLogs.length} successful canary requests, fewer than ${MIN_SAMPLES_PER_ARM} (${at})`,
          )
        : verdict(
            'continue',
            `${canaryLogs.length} canary samples so far, need ${MIN_SAMPLES_PER_ARM} (${at})`,
          );
    }
    return finalLook
      ? verdict(
          'promote',
          `no stable version to compare with; canary p95 ${ms(numbers.canary.p95Ms)} within absolute limits (${at})`,
        )
      : verdict('continue', `no stable version; absolute limits hold so far (${at})`);
  }

  const fewest = Math.min(canaryLogs.length, stableLogs.length);
  if (fewest < MIN_SAMPLES_PER_ARM) {
    return finalLook
      ? verdict(
          'inconclusive',
          `only ${canaryLogs.length} canary and ${stableLogs.length} stable successful requests; need ${MIN_SAMPLES_PER_ARM} per arm (${at})`,
        )
      : verdict(
          'continue',
          `${fewest} samples in the smaller arm so far, need ${MIN_SAMPLES_PER_ARM} (${at})`,
        );
  }

  const tolerated = Math.log1p(gate.maxRegression);
  const boundZ = normalQuantile(gate.confidence);

  // Shift signal.
  const shiftBoundary = groupSequentialBoundaries(budget * SHIFT_SIGNAL_SHARE, plannedLooks, memo)[look - 1]!;
  const mannWhitney = mannWhitneyOfSorted(canaryLogs, stableLogs, 'greater');
  const shiftEstimate = hodgesLehmannOfSorted(canaryLogs, stableLogs);
  const shiftBounds = shiftConfidenceBoundsOfSorted(canaryLogs, stableLogs, gate.confidence);
  const shift: SignalNumbers = {
    ratio: Math.exp(shiftEstimate),
    lowerBound: Math.exp(shiftBounds.lower),
    upperBound: Math.exp(shiftBounds.upper),
    z: mannWhitney.z,
    criticalZ: shiftBoundary,
    pValue: mannWhitney.pValue,
    significant: mannWhitney.z >= shiftBoundary,
  };
  numbers.shift = shift;

  // Tail signal.
  const tailBoundary = studentized(
    groupSequentialBoundaries(budget * (1 - SHIFT_SIGNAL_SHARE), plannedLooks, memo)[look - 1]!,
    fewest * (1 - TAIL_QUANTILES[0]),
  );
  const canaryTail = tailOfArm(canaryLogs, memo);
  const stableTail = tailOfArm(stableLogs, memo);
  const tailEstimate = canaryTail.mean - stableTail.mean;
  const tailContrast = canaryTail.contrast - stableTail.contrast;
  const tailError = Math.sqrt(canaryTail.contrastVariance + stableTail.contrastVariance);
  const tailEstimateError = Math.sqrt(canaryTail.meanVariance + stableTail.meanVariance);
  const tailZ = tailError > 0 ? tailContrast / tailError : tailContrast > 0 ? Number.POSITIVE_INFINITY : 0;
  const tail = {
    ratio: Math.exp(tailEstimate),
    p95Ratio: numbers.canary.p95Ms / numbers.stable!.p95Ms,
    lowerBound: Math.exp(tailEstimate - boundZ * tailEstimateError),
    upperBound: Math.exp(tailEstimate + boundZ * tailEstimateError),
    z: tailZ,
    criticalZ: tailBoundary,
    pValue: normalCdf(-tailZ),
    significant: tailZ >= tailBoundary,
  };
  numbers.tail = tail;

  const allowed = `max-regression ${percent(gate.maxRegression)}`;
  if (tail.significant && tailEstimate > tolerated) {
    return verdict(
      'revert',
      `canary tail (p80–p99) is ${times(tail.ratio)} stable's (p95 ${ms(numbers.canary.p95Ms)} vs ${ms(numbers.stable!.p95Ms)}), above ${allowed}; z ${tailZ.toFixed(2)} ≥ ${tailBoundary.toFixed(2)} at ${at}`,
    );
  }
  if (shift.significant && shiftEstimate > tolerated) {
    return verdict(
      'revert',
      `canary is ${times(shift.ratio)} slower than stable across the distribution (p50 ${ms(numbers.canary.p50Ms)} vs ${ms(numbers.stable!.p50Ms)}), above ${allowed}; Mann-Whitney z ${mannWhitney.z.toFixed(2)} ≥ ${shiftBoundary.toFixed(2)} at ${at}`,
    );
  }

  // Early promotion (futility, non-binding so it cannot add false reverts): both signals' upper
  // bounds at `confidence` are already inside the tolerance.
  const clearlyWithin =
    errorsAndLimitsHold &&
    shift.upperBound <= 1 + gate.maxRegression &&
    tail.upperBound <= 1 + gate.maxRegression;
  if (finalLook || clearlyWithin) {
    const tolerance = shift.significant || tail.significant ? 'slower but within' : 'within';
    return verdict(
      'promote',
      `canary ${tolerance} ${allowed} of stable: tail ${times(tail.ratio)}, shift ${times(shift.ratio)} (upper ${percent(gate.confidence)} bounds ${times(tail.upperBound)}, ${times(shift.upperBound)}), ${at}`,
    );
  }
  return verdict(
    'continue',
    `no decision yet: tail ${times(tail.ratio)} (z ${tailZ.toFixed(2)} < ${tailBoundary.toFixed(2)}), shift ${times(shift.ratio)} (z ${mannWhitney.z.toFixed(2)} < ${shiftBoundary.toFixed(2)}), ${at}`,
  );
}
