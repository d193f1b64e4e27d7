/**
 * Check `error-rate`: the canary's share of failed requests held to `max-error-rate`, and compared
 * with stable's. Before the last look the limit fails only on evidence (a binomial test at the
 * step's budget), so a few early errors do not revert a canary whose rate is fine. With a stable
 * arm the canary must also be worse than stable (a one-sided two-sample test of the proportions,
 * group-sequential at ERROR_TEST_SHARE of the budget): when both arms fail as often, the errors come
 * from what they share (the model server, the load, the network) and reverting the canary fixes nothing.
 */
import { binomialCdf, normalCdf } from '../stats/distributions.ts';
import { groupSequentialBoundaries } from '../stats/sequential.ts';
import { isFinalLook, reasonFormat as f, type CheckResult, type StepEvidence } from './check.ts';

/** An error-rate verdict needs at least this many failed canary requests (1 in 10 is not 10 %). */
export const MIN_ERRORS_FOR_RATE = 5;
/** Share of the false-revert budget the canary-vs-stable error test spends over the looks. */
export const ERROR_TEST_SHARE = 0.2;

/** The one-sided test "canary fails more often than stable" at one look. */
export interface ErrorComparison {
  stableErrors: number;
  stableRequests: number;
  stableErrorRate: number;
  /** Pooled two-proportion z (positive: the canary fails more often). */
  z: number;
  /** The look's group-sequential boundary z must reach. */
  criticalZ: number;
  /** One-sided p-value of "canary fails more often", unadjusted for looks. */
  pValue: number;
  significant: boolean;
}

export interface ErrorRateFigures {
  errors: number;
  requests: number;
  errorRate: number;
  maxErrorRate: number;
  minErrorsForRate: number;
  /** P(this many errors or more | rate = max-error-rate), when the rate is above the limit. */
  pValue?: number;
  /** The canary against stable, when there is a stable arm with requests. */
  versusStable?: ErrorComparison;
}

export type ErrorRateResult = CheckResult<'error-rate', ErrorRateFigures>;

/** The pooled two-proportion z test of canary errors against stable's, one-sided, at this look. */
function compareWithStable(
  { canary, look, budget, memo }: StepEvidence,
  stableArm: NonNullable<StepEvidence['stable']>,
): ErrorComparison {
  const { errors, requests } = canary.observations;
  const { errors: stableErrors, requests: stableRequests } = stableArm.observations;
  const pooled = (errors + stableErrors) / (requests + stableRequests);
  const difference = errors / requests - stableErrors / stableRequests;
  const error = Math.sqrt(pooled * (1 - pooled) * (1 / requests + 1 / stableRequests));
  const z = error > 0 ? difference / error : 0;
  const criticalZ = groupSequentialBoundaries(budget * ERROR_TEST_SHARE, look.of, memo)[look.index - 1]!;
  return {
    stableErrors,
    stableRequests,
    stableErrorRate: stableErrors / stableRequests,
    z,
    criticalZ,
    pValue: normalCdf(-z),
    significant: z >= criticalZ,
  };
}

/** Holds the canary's error rate to max-error-rate and, with a stable arm, to stable's. */
export function errorRateCheck(evidence: StepEvidence): ErrorRateResult {
  const { canary, stable, gate, look, budget } = evidence;
  const { errors, requests } = canary.observations;
  const errorRate = canary.numbers.errorRate;
  const figures: ErrorRateFigures = {
    errors,
    requests,
    errorRate,
    maxErrorRate: gate.maxErrorRate,
    minErrorsForRate: MIN_ERRORS_FOR_RATE,
  };
  const result = (outcome: ErrorRateResult['outcome'], reason: string): ErrorRateResult => ({
    name: 'error-rate',
    outcome,
    reason,
    figures,
  });
  const versusStable =
    stable !== undefined && stable.observations.requests > 0 && requests > 0
      ? compareWithStable(evidence, stable)
      : undefined;
  if (versusStable !== undefined) figures.versusStable = versusStable;
  const against =
    versusStable === undefined
      ? ''
      : `, stable ${f.percent(versusStable.stableErrorRate)} (${versusStable.stableErrors}/${versusStable.stableRequests}; z ${versusStable.z.toFixed(2)}, boundary ${versusStable.criticalZ.toFixed(2)})`;
  const measured = `canary error rate ${f.percent(errorRate)} (${errors}/${requests})`;
  const limit = `max-error-rate ${f.percent(gate.maxErrorRate)}`;
  if (errors < MIN_ERRORS_FOR_RATE || errorRate <= gate.maxErrorRate) {
    return result('pass', `${measured} is within ${limit}${against}`);
  }
  figures.pValue = 1 - binomialCdf(errors - 1, requests, gate.maxErrorRate);
  const aboveLimit = isFinalLook(look) || figures.pValue < budget;
  if (aboveLimit && versusStable !== undefined && !versusStable.significant) {
    return isFinalLook(look)
      ? result('pass', `${measured} is above ${limit} but not worse than stable's${against}`)
      : result(
          'inconclusive',
          `${measured} is above ${limit}, not yet worse than stable's${against} (${f.look(look)})`,
        );
  }
  if (aboveLimit) {
    return result('fail', `${measured} is above ${limit} (${f.look(look)})${against}`);
  }
  return result(
    'inconclusive',
    `${measured} is above ${limit}, not yet significant (${f.look(look)})${against}`,
  );
}
