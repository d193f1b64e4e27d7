/**
 * Check `latency`: is the canary slower than stable, beyond `max-regression`? Both arms come from
 * the same window. docs/judge.md explains the rule and its measured error rates.
 *
 * Two signals on log latencies, each a one-sided group-sequential test with its share of the
 * false-revert budget:
 *  - shift: Mann-Whitney (does the canary's whole distribution sit higher?) with the
 *    Hodges-Lehmann ratio as its size;
 *  - tail: the mean over p80…p99 of the log ratio of Harrell-Davis quantiles as its size; its test
 *    statistic subtracts half the median's log ratio, with a jackknife standard error.
 * A signal fails the check when it is significant at the look's boundary AND its estimated ratio
 * exceeds 1 + max-regression (a real but tolerated 3 % slow-down passes). On a first deployment
 * there is nothing to compare: the check only asks for enough samples.
 */
import { normalCdf, normalQuantile } from '../stats/distributions.ts';
import type { Memo } from '../stats/memo.ts';
import {
  harrellDavisWeights,
  jackknifeVarianceOfLStatistic,
  lStatisticOfSorted,
} from '../stats/quantiles.ts';
import {
  hodgesLehmannOfSorted,
  mannWhitneyOfSorted,
  shiftConfidenceBoundsOfSorted,
} from '../stats/rank-tests.ts';
import { groupSequentialBoundaries } from '../stats/sequential.ts';
import type { ArmSample } from './arm.ts';
import {
  isFinalLook,
  MIN_SAMPLES_PER_ARM,
  reasonFormat as f,
  type CheckResult,
  type StepEvidence,
} from './check.ts';

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

export interface LatencyFigures {
  maxRegression: number;
  confidence: number;
  /** The false-revert probability of the whole step (falseRevertBudget); this check spends all of it. */
  falseRevertBudget: number;
  minSamplesPerArm: number;
  /** Whole-distribution shift: Hodges-Lehmann ratio, Mann-Whitney z and p (one-sided, R's). */
  shift?: SignalNumbers;
  /** Tail: geometric mean of the p80…p99 ratios (TAIL_QUANTILES), and the p95 ratio alone. */
  tail?: SignalNumbers & { p95Ratio: number };
}

export type LatencyResult = CheckResult<'latency', LatencyFigures>;

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

/** Compares the canary's latencies with stable's (or, on a first deployment, asks for enough of them). */
export function latencyCheck(evidence: StepEvidence): LatencyResult {
  const { canary, stable, gate, look } = evidence;
  const figures: LatencyFigures = {
    maxRegression: gate.maxRegression,
    confidence: gate.confidence,
    falseRevertBudget: evidence.budget,
    minSamplesPerArm: MIN_SAMPLES_PER_ARM,
  };
  const result = (outcome: LatencyResult['outcome'], reason: string): LatencyResult => ({
    name: 'latency',
    outcome,
    reason,
    figures,
  });
  const final = isFinalLook(look);
  const at = f.look(look);
  if (stable === undefined) {
    const n = canary.logs.length;
    if (n < MIN_SAMPLES_PER_ARM) {
      return result(
        'inconclusive',
        final
          ? `only ${n} successful canary requests, fewer than ${MIN_SAMPLES_PER_ARM} (${at})`
          : `${n} canary samples so far, need ${MIN_SAMPLES_PER_ARM} (${at})`,
      );
    }
    // Without stable there is nothing to stop early on: the first version is measured to the end.
    return final
      ? result(
          'pass',
          `no stable version to compare with; canary p95 ${f.ms(canary.numbers.p95Ms)} within absolute limits (${at})`,
        )
      : result('inconclusive', `no stable version; absolute limits hold so far (${at})`);
  }

  const fewest = Math.min(canary.logs.length, stable.logs.length);
  if (fewest < MIN_SAMPLES_PER_ARM) {
    return result(
      'inconclusive',
      final
        ? `only ${canary.logs.length} canary and ${stable.logs.length} stable successful requests; need ${MIN_SAMPLES_PER_ARM} per arm (${at})`
        : `${fewest} samples in the smaller arm so far, need ${MIN_SAMPLES_PER_ARM} (${at})`,
    );
  }
  return compareArms(evidence, canary, stable, figures, result);
}

function compareArms(
  { gate, look, budget, memo }: StepEvidence,
  canary: ArmSample,
  stable: ArmSample,
  figures: LatencyFigures,
  result: (outcome: LatencyResult['outcome'], reason: string) => LatencyResult,
): LatencyResult {
  const at = f.look(look);
  const tolerated = Math.log1p(gate.maxRegression);
  const boundZ = normalQuantile(gate.confidence);
  const fewest = Math.min(canary.logs.length, stable.logs.length);

  const shiftBoundary = groupSequentialBoundaries(budget * SHIFT_SIGNAL_SHARE, look.of, memo)[
    look.index - 1
  ]!;
  const mannWhitney = mannWhitneyOfSorted(canary.logs, stable.logs, 'greater');
  const shiftEstimate = hodgesLehmannOfSorted(canary.logs, stable.logs);
  const shiftBounds = shiftConfidenceBoundsOfSorted(canary.logs, stable.logs, gate.confidence);
  const shift: SignalNumbers = {
    ratio: Math.exp(shiftEstimate),
    lowerBound: Math.exp(shiftBounds.lower),
    upperBound: Math.exp(shiftBounds.upper),
    z: mannWhitney.z,
    criticalZ: shiftBoundary,
    pValue: mannWhitney.pValue,
    significant: mannWhitney.z >= shiftBoundary,
  };
  figures.shift = shift;

  const tailBoundary = studentized(
    groupSequentialBoundaries(budget * (1 - SHIFT_SIGNAL_SHARE), look.of, memo)[look.index - 1]!,
    fewest * (1 - TAIL_QUANTILES[0]),
  );
  const canaryTail = tailOfArm(canary.logs, memo);
  const stableTail = tailOfArm(stable.logs, memo);
  const tailEstimate = canaryTail.mean - stableTail.mean;
  const tailContrast = canaryTail.contrast - stableTail.contrast;
  const tailError = Math.sqrt(canaryTail.contrastVariance + stableTail.contrastVariance);
  const tailEstimateError = Math.sqrt(canaryTail.meanVariance + stableTail.meanVariance);
  const tailZ = tailError > 0 ? tailContrast / tailError : tailContrast > 0 ? Number.POSITIVE_INFINITY : 0;
  const tail = {
    ratio: Math.exp(tailEstimate),
    p95Ratio: canary.numbers.p95Ms / stable.numbers.p95Ms,
    lowerBound: Math.exp(tailEstimate - boundZ * tailEstimateError),
    upperBound: Math.exp(tailEstimate + boundZ * tailEstimateError),
    z: tailZ,
    criticalZ: tailBoundary,
    pValue: normalCdf(-tailZ),
    significant: tailZ >= tailBoundary,
  };
  figures.tail = tail;

  const allowed = `max-regression ${f.percent(gate.maxRegression)}`;
  if (tail.significant && tailEstimate > tolerated) {
    return result(
      'fail',
      `canary tail (p80–p99) is ${f.times(tail.ratio)} stable's (p95 ${f.ms(canary.numbers.p95Ms)} vs ${f.ms(stable.numbers.p95Ms)}), above ${allowed}; z ${tailZ.toFixed(2)} ≥ ${tailBoundary.toFixed(2)} at ${at}`,
    );
  }
  if (shift.significant && shiftEstimate > tolerated) {
    return result(
      'fail',
      `canary is ${f.times(shift.ratio)} slower than stable across the distribution (p50 ${f.ms(canary.numbers.p50Ms)} vs ${f.ms(stable.numbers.p50Ms)}), above ${allowed}; Mann-Whitney z ${mannWhitney.z.toFixed(2)} ≥ ${shiftBoundary.toFixed(2)} at ${at}`,
    );
  }

  // Early pass (futility, non-binding so it cannot add false reverts): both signals' upper bounds
  // at `confidence` are already inside the tolerance.
  const clearlyWithin =
    shift.upperBound <= 1 + gate.maxRegression && tail.upperBound <= 1 + gate.maxRegression;
  if (isFinalLook(look) || clearlyWithin) {
    const tolerance = shift.significant || tail.significant ? 'slower but within' : 'within';
    return result(
      'pass',
      `canary ${tolerance} ${allowed} of stable: tail ${f.times(tail.ratio)}, shift ${f.times(shift.ratio)} (upper ${f.percent(gate.confidence)} bounds ${f.times(tail.upperBound)}, ${f.times(shift.upperBound)}), ${at}`,
    );
  }
  return result(
    'inconclusive',
    `no decision yet: tail ${f.times(tail.ratio)} (z ${tailZ.toFixed(2)} < ${tailBoundary.toFixed(2)}), shift ${f.times(shift.ratio)} (z ${mannWhitney.z.toFixed(2)} < ${shiftBoundary.toFixed(2)}), ${at}`,
  );
}
