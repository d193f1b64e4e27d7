/**
 * Check `latency`: is the canary slower than stable, beyond `max-regression`? Both arms come from
 * the same window. docs/judge.md explains the rule and its measured error rates.
 *
 * Three signals, each a one-sided group-sequential test with its share of the false-revert budget,
 * all rank tests on the pooled sample, so their error rates hold for any shape of latency
 * distribution (several modes, a point mass at a timeout, ties from rounding) and any arm sizes:
 *  - shift: Mann-Whitney (does the canary's whole distribution sit higher?), size = the
 *    Hodges-Lehmann ratio;
 *  - tail: a linear rank test whose scores grow with the square of the normal score above the
 *    pooled median (the locally most powerful rank test for "the slower half stretched"), size =
 *    the ratio of the canary's `regression-quantile` to stable's;
 *  - exceedance: how many canary requests lie above the pooled `regression-quantile` (a two-sample
 *    quantile test), size = that same ratio.
 * A signal fails the check when it is significant at the look's boundary AND its size exceeds
 * 1 + max-regression (a real but tolerated 3 % slow-down passes). On a first deployment there is
 * nothing to compare: the check only asks for enough samples.
 *
 * `compareTimes` is the comparison itself, for any sample of times of both arms: the checks `ttft`
 * and `tpot` (stream-latency.ts) hold times to first token and per output token to it too. Those
 * comparisons and this one share the step's false-revert budget (`comparisonBudget`).
 */
import { normalCdf, normalQuantile } from '../stats/distributions.ts';
import { logAtRank, logQuantileOfSample, type SortedLogSample } from '../stats/latency-percentiles.ts';
import { quantileConfidenceRanks } from '../stats/quantiles.ts';
import {
  hodgesLehmannOfSorted,
  linearRankTestOfSorted,
  mannWhitneyOfSorted,
  shiftConfidenceBoundsOfSorted,
  skewedCriticalZ,
  type LinearRankResult,
} from '../stats/rank-tests.ts';
import { groupSequentialBoundaries } from '../stats/sequential.ts';
import type { TimeSample } from './arm.ts';
import {
  isFinalLook,
  MIN_SAMPLES_PER_ARM,
  reasonFormat as f,
  type CheckResult,
  type StepEvidence,
} from './check.ts';

/** Share of the false-revert budget given to the shift signal. */
export const SHIFT_SIGNAL_SHARE = 0.05;
/** Share of the false-revert budget given to the exceedance signal. */
export const EXCEEDANCE_SIGNAL_SHARE = 0.25;
/** Share of the false-revert budget given to the tail signal: the rest. */
export const TAIL_SIGNAL_SHARE = 1 - SHIFT_SIGNAL_SHARE - EXCEEDANCE_SIGNAL_SHARE;

/** A canary/stable ratio estimate with its one-sided bounds at `confidence` and its test. */
export interface SignalNumbers {
  ratio: number;
  lowerBound: number;
  upperBound: number;
  z: number;
  /** The look's group-sequential boundary z must reach (skewness-corrected for the rank tests). */
  criticalZ: number;
  /** One-sided p-value of "canary slower", unadjusted for looks (normal approximation). */
  pValue: number;
  significant: boolean;
}

/** The tail signal: the regression-quantile's ratio as its size, the stretch rank test as its test. */
export interface TailNumbers extends SignalNumbers {
  /** The quantile whose canary ÷ stable ratio `ratio` is (input regression-quantile). */
  quantile: number;
  /** The p95 ratio alone (Harrell-Davis estimates, or bucket centres above EXACT_SAMPLE_LIMIT). */
  p95Ratio: number;
}

/** The exceedance signal: the share of canary requests above the pooled regression-quantile. */
export interface ExceedanceNumbers extends SignalNumbers {
  quantile: number;
  /** Canary requests above the pooled quantile, as a share of the canary's. */
  canaryShare: number;
  /** The share a canary like stable would have there (1 − quantile, up to ties). */
  expectedShare: number;
}

/** Which signal's failure decided a `fail`. */
export type DecidingSignal = 'shift' | 'tail' | 'exceedance';

export interface LatencyFigures {
  maxRegression: number;
  /** The quantile max-regression applies to (input regression-quantile). */
  regressionQuantile: number;
  confidence: number;
  /** The false-revert probability this comparison spends (comparisonBudget). */
  falseRevertBudget: number;
  minSamplesPerArm: number;
  /** Whole-distribution shift: Hodges-Lehmann ratio, Mann-Whitney z and p (one-sided, R's). */
  shift?: SignalNumbers;
  /** Tail: the regression-quantile's ratio, tested by the stretch rank test. */
  tail?: TailNumbers;
  /** The share of canary requests above the pooled regression-quantile. */
  exceedance?: ExceedanceNumbers;
  /** The signal whose failure reverted, when one did. */
  decidedBy?: DecidingSignal;
  /** Relative error of the latencies the check worked on: 0, or the summary's half bucket. */
  summaryRelativeError: number;
}

export type LatencyResult = CheckResult<'latency', LatencyFigures>;

/**
 * The tail signal's score at pooled rank share u: (z² − 1) above the median, 0 below, z = Φ⁻¹(u).
 * It is the locally most powerful rank score for the slower half stretched on the log scale
 * (normal-like logs); docs/judge.md compares it with exceedance grids.
 */
function stretchScore(u: number): number {
  if (u <= 0.5) return 0;
  const z = normalQuantile(u);
  return z * z - 1;
}

/**
 * Comparisons of canary and stable times that share the step's false-revert budget: the latency,
 * and with streams the time to first token and the time per output token (stream-latency.ts).
 * Bonferroni: whatever their correlation, the step reverts a canary no worse than stable with
 * probability at most the budget.
 */
export function comparisonBudget(evidence: Pick<StepEvidence, 'canary' | 'stable' | 'budget'>): number {
  const streamed = evidence.canary.stream !== undefined && evidence.stable?.stream !== undefined;
  return streamed ? evidence.budget / 3 : evidence.budget;
}

/** One canary-vs-stable comparison of times: what they are, and the input that bounds them. */
export interface TimeComparison<Name extends string> {
  name: Name;
  /** How reasons name the times (`TTFT`, `TPOT`); absent for the request latency. */
  what?: string;
  /** The input whose bound it holds, as reasons name it, and its value. */
  input: string;
  maxRegression: number;
  canary: TimeSample;
  stable: TimeSample;
  /** What each time is the time of, plural, as an inconclusive reason counts them. */
  samplesAre: string;
}

/** Compares the canary's latencies with stable's (or, on a first deployment, asks for enough of them). */
export function latencyCheck(evidence: StepEvidence): LatencyResult {
  const { canary, stable, gate, look } = evidence;
  if (stable !== undefined) {
    return compareTimes(evidence, {
      name: 'latency',
      input: 'max-regression',
      maxRegression: gate.maxRegression,
      canary,
      stable,
      samplesAre: 'successful requests',
    });
  }
  const figures = latencyFigures(evidence, gate.maxRegression);
  const result = (outcome: LatencyResult['outcome'], reason: string): LatencyResult => ({
    name: 'latency',
    outcome,
    reason,
    figures,
  });
  const final = isFinalLook(look);
  const at = f.look(look);
  const n = canary.logs.n;
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

function latencyFigures(evidence: StepEvidence, maxRegression: number): LatencyFigures {
  return {
    maxRegression,
    regressionQuantile: evidence.gate.regressionQuantile,
    confidence: evidence.gate.confidence,
    falseRevertBudget: comparisonBudget(evidence),
    minSamplesPerArm: MIN_SAMPLES_PER_ARM,
    summaryRelativeError: 0,
  };
}

/**
 * Judges one comparison of canary and stable times at this look: inconclusive on fewer than
 * MIN_SAMPLES_PER_ARM per arm, else the three signals against `maxRegression`.
 */
export function compareTimes<Name extends string>(
  evidence: StepEvidence,
  comparison: TimeComparison<Name>,
): CheckResult<Name, LatencyFigures> {
  const figures = latencyFigures(evidence, comparison.maxRegression);
  const result = (outcome: CheckResult['outcome'], reason: string): CheckResult<Name, LatencyFigures> => ({
    name: comparison.name,
    outcome,
    reason,
    figures,
  });
  const { canary, stable, samplesAre } = comparison;
  const at = f.look(evidence.look);
  const fewest = Math.min(canary.logs.n, stable.logs.n);
  if (fewest < MIN_SAMPLES_PER_ARM) {
    return result(
      'inconclusive',
      isFinalLook(evidence.look)
        ? `only ${canary.logs.n} canary and ${stable.logs.n} stable ${samplesAre}; need ${MIN_SAMPLES_PER_ARM} per arm (${at})`
        : `${fewest} ${samplesAre} in the smaller arm so far, need ${MIN_SAMPLES_PER_ARM} (${at})`,
    );
  }
  return compareArms(evidence, comparison, figures, result);
}

/** A rank test's numbers at this look: its boundary corrected for the statistic's skewness. */
function rankSignal(test: LinearRankResult, boundary: number) {
  const criticalZ = skewedCriticalZ(boundary, test.skewness);
  return { z: test.z, criticalZ, pValue: normalCdf(-test.z), significant: test.z >= criticalZ };
}

/**
 * The canary ÷ stable ratio of the p-quantile with distribution-free bounds at `confidence`: each
 * arm's order-statistic bounds at 1 − (1 − confidence)/2, so the pair holds jointly.
 */
function quantileRatio(canary: SortedLogSample, stable: SortedLogSample, p: number, confidence: number) {
  const each = 1 - (1 - confidence) / 2;
  const boundsOf = (sample: SortedLogSample) => {
    const { lowerRank, upperRank } = quantileConfidenceRanks(sample.n, p, each);
    return { lower: logAtRank(sample, lowerRank ?? 1), upper: logAtRank(sample, upperRank ?? sample.n) };
  };
  const canaryBounds = boundsOf(canary);
  const stableBounds = boundsOf(stable);
  return {
    logRatio: logQuantileOfSample(canary, p) - logQuantileOfSample(stable, p),
    lowerBound: Math.exp(canaryBounds.lower - stableBounds.upper),
    upperBound: Math.exp(canaryBounds.upper - stableBounds.lower),
  };
}

function compareArms<Result>(
  { gate, look, memo }: StepEvidence,
  { canary, stable, what, input, maxRegression }: TimeComparison<string>,
  figures: LatencyFigures,
  result: (outcome: CheckResult['outcome'], reason: string) => Result,
): Result {
  const at = f.look(look);
  const subject = what === undefined ? 'canary' : `canary ${what}`;
  const budget = figures.falseRevertBudget;
  const tolerated = Math.log1p(maxRegression);
  const c = canary.logs;
  const s = stable.logs;
  figures.summaryRelativeError = Math.expm1(Math.max(c.bucketWidth, s.bucketWidth) / 2);
  const boundary = (share: number) =>
    groupSequentialBoundaries(budget * share, look.of, memo)[look.index - 1]!;

  const shiftBoundary = boundary(SHIFT_SIGNAL_SHARE);
  const mannWhitney = mannWhitneyOfSorted(c.values, s.values, 'greater', c.counts, s.counts);
  const shiftEstimate = hodgesLehmannOfSorted(c.values, s.values, c.counts, s.counts);
  const shiftBounds = shiftConfidenceBoundsOfSorted(c.values, s.values, gate.confidence, c.counts, s.counts);
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

  const q = gate.regressionQuantile;
  const size = quantileRatio(c, s, q, gate.confidence);
  const bounds = { ratio: Math.exp(size.logRatio), lowerBound: size.lowerBound, upperBound: size.upperBound };
  const stretch = linearRankTestOfSorted(c.values, s.values, stretchScore, c.counts, s.counts);
  const tail: TailNumbers = {
    ...bounds,
    ...rankSignal(stretch, boundary(TAIL_SIGNAL_SHARE)),
    quantile: q,
    p95Ratio: canary.numbers.p95Ms / stable.numbers.p95Ms,
  };
  figures.tail = tail;
  const above = linearRankTestOfSorted(c.values, s.values, (u) => (u > q ? 1 : 0), c.counts, s.counts);
  const exceedance: ExceedanceNumbers = {
    ...bounds,
    ...rankSignal(above, boundary(EXCEEDANCE_SIGNAL_SHARE)),
    quantile: q,
    canaryShare: above.statistic / c.n,
    expectedShare: above.expected / c.n,
  };
  figures.exceedance = exceedance;

  const allowed = `${input} ${f.percent(maxRegression)}`;
  const name = `p${+(q * 100).toFixed(1)}`;
  const quantiles = `${name} ${f.ms(Math.exp(logQuantileOfSample(c, q, memo)))} vs ${f.ms(Math.exp(logQuantileOfSample(s, q, memo)))}`;
  const slowerAt = `${subject} tail (${name}) is ${f.times(tail.ratio)} stable's (${quantiles}), above ${allowed}`;
  // A whole-distribution slow-down is named as one; the tail signals name what the shift misses.
  if (shift.significant && shiftEstimate > tolerated) {
    figures.decidedBy = 'shift';
    return result(
      'fail',
      `${subject} is ${f.times(shift.ratio)} slower than stable across the distribution (p50 ${f.ms(canary.numbers.p50Ms)} vs ${f.ms(stable.numbers.p50Ms)}), above ${allowed}; Mann-Whitney z ${mannWhitney.z.toFixed(2)} ≥ ${shiftBoundary.toFixed(2)} at ${at}`,
    );
  }
  if (tail.significant && size.logRatio > tolerated) {
    figures.decidedBy = 'tail';
    return result(
      'fail',
      `${slowerAt}; tail rank test z ${tail.z.toFixed(2)} ≥ ${tail.criticalZ.toFixed(2)} at ${at}`,
    );
  }
  if (exceedance.significant && size.logRatio > tolerated) {
    figures.decidedBy = 'exceedance';
    return result(
      'fail',
      `${slowerAt}; ${f.percent(exceedance.canaryShare)} of canary requests above the pooled ${name} (${f.percent(exceedance.expectedShare)} expected), z ${exceedance.z.toFixed(2)} ≥ ${exceedance.criticalZ.toFixed(2)} at ${at}`,
    );
  }

  // Early pass (futility, non-binding so it cannot add false reverts): the shift's and the
  // quantile ratio's upper bounds at `confidence` are already inside the tolerance.
  const clearlyWithin = shift.upperBound <= 1 + maxRegression && tail.upperBound <= 1 + maxRegression;
  if (isFinalLook(look) || clearlyWithin) {
    const tolerance =
      shift.significant || tail.significant || exceedance.significant ? 'slower but within' : 'within';
    return result(
      'pass',
      `${subject} ${tolerance} ${allowed} of stable: ${name} ${f.times(tail.ratio)}, shift ${f.times(shift.ratio)} (upper ${f.percent(gate.confidence)} bounds ${f.times(tail.upperBound)}, ${f.times(shift.upperBound)}), ${at}`,
    );
  }
  return result(
    'inconclusive',
    `${what === undefined ? '' : `${what}: `}no decision yet: ${name} ${f.times(tail.ratio)} (tail z ${tail.z.toFixed(2)} < ${tail.criticalZ.toFixed(2)}, exceedance z ${exceedance.z.toFixed(2)} < ${exceedance.criticalZ.toFixed(2)}), shift ${f.times(shift.ratio)} (z ${mannWhitney.z.toFixed(2)} < ${shiftBoundary.toFixed(2)}), ${at}`,
  );
}
