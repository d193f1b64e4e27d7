/** The gate section: the limits the canary must meet, and what an inconclusive analysis does. */
import { withoutUndefined, type InputReader } from './input-reader.ts';

export const INCONCLUSIVE_ACTIONS = ['revert', 'promote', 'extend'] as const;

export type InconclusiveAction = (typeof INCONCLUSIVE_ACTIONS)[number];

export interface GateSettings {
  maxP95Ms?: number;
  maxP99Ms?: number;
  maxErrorRate: number;
  maxRegression: number;
  /** Largest slow-down of the time to first token of streamed answers (max-regression-ttft; default max-regression). */
  maxRegressionTtft: number;
  /** Largest slow-down of the time per output token of streamed answers (max-regression-tpot; default max-regression). */
  maxRegressionTpot: number;
  /** The quantile (0.5–0.999) whose canary ÷ stable ratio max-regression holds (input regression-quantile). */
  regressionQuantile: number;
  confidence: number;
  onInconclusive: InconclusiveAction;
}

/** Lowest and highest quantile regression-quantile accepts, in percent. */
const REGRESSION_QUANTILE_RANGE = [50, 99.9] as const;

/** `p95` → 0.95; a problem on the input when it is not a percentile from p50 to p99.9. */
function readRegressionQuantile(read: InputReader): number {
  const value = read.text('regression-quantile');
  const [lowest, highest] = REGRESSION_QUANTILE_RANGE;
  const match = /^p(\d{2}(?:\.\d)?)$/i.exec(value);
  const percent = match === null ? Number.NaN : Number(match[1]);
  if (percent >= lowest && percent <= highest) return percent / 100;
  read.problem(
    'regression-quantile',
    `expected a percentile from p${lowest} to p${highest}, such as p95 or p99; got '${value}'`,
  );
  return 0.95;
}

/**
 * Reads max-p95-ms, max-p99-ms, max-error-rate, max-regression (and its TTFT and TPOT variants,
 * which default to it), regression-quantile, confidence and on-inconclusive.
 */
export function parseGate(read: InputReader): GateSettings {
  const maxP95Ms = read.decimal('max-p95-ms', 0.001, 3_600_000, 'milliseconds');
  const maxP99Ms = read.decimal('max-p99-ms', 0.001, 3_600_000, 'milliseconds');
  if (maxP95Ms !== undefined && maxP99Ms !== undefined && maxP99Ms < maxP95Ms) {
    read.problem(
      'max-p99-ms',
      `(${maxP99Ms}) is below max-p95-ms (${maxP95Ms}); a p99 is never below the p95, so every canary would fail`,
    );
  }
  const maxRegression = read.fraction('max-regression');
  return withoutUndefined<GateSettings>({
    maxP95Ms,
    maxP99Ms,
    maxErrorRate: read.fraction('max-error-rate'),
    maxRegression,
    maxRegressionTtft:
      read.optional('max-regression-ttft') === undefined
        ? maxRegression
        : read.fraction('max-regression-ttft'),
    maxRegressionTpot:
      read.optional('max-regression-tpot') === undefined
        ? maxRegression
        : read.fraction('max-regression-tpot'),
    regressionQuantile: readRegressionQuantile(read),
    confidence: read.decimal('confidence', 0.5, 0.999, 'a confidence level') ?? 0.95,
    onInconclusive: read.oneOf('on-inconclusive', INCONCLUSIVE_ACTIONS),
  });
}
