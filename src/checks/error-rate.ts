/**
 * Check `error-rate`: the canary's share of failed requests held to `max-error-rate`. Before the
 * last look it fails only on evidence (a binomial test at the step's budget), so a few early errors
 * do not revert a canary whose rate is fine.
 */
import { binomialCdf } from '../stats/distributions.ts';
import { isFinalLook, reasonFormat as f, type CheckResult, type StepEvidence } from './check.ts';

/** An error-rate verdict needs at least this many failed canary requests (1 in 10 is not 10 %). */
export const MIN_ERRORS_FOR_RATE = 5;

export interface ErrorRateFigures {
  errors: number;
  requests: number;
  errorRate: number;
  maxErrorRate: number;
  minErrorsForRate: number;
  /** P(this many errors or more | rate = max-error-rate), when the rate is above the limit. */
  pValue?: number;
}

export type ErrorRateResult = CheckResult<'error-rate', ErrorRateFigures>;

/** Holds the canary's error rate to max-error-rate. */
export function errorRateCheck({ canary, gate, look, budget }: StepEvidence): ErrorRateResult {
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
  const measured = `canary error rate ${f.percent(errorRate)} (${errors}/${requests})`;
  if (errors < MIN_ERRORS_FOR_RATE || errorRate <= gate.maxErrorRate) {
    return result('pass', `${measured} is within max-error-rate ${f.percent(gate.maxErrorRate)}`);
  }
  figures.pValue = 1 - binomialCdf(errors - 1, requests, gate.maxErrorRate);
  if (isFinalLook(look) || figures.pValue < budget) {
    return result(
      'fail',
      `${measured} is above max-error-rate ${f.percent(gate.maxErrorRate)} (${f.look(look)})`,
    );
  }
  return result(
    'inconclusive',
    `${measured} is above max-error-rate ${f.percent(gate.maxErrorRate)}, not yet significant (${f.look(look)})`,
  );
}
