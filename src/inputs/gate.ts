/** The gate section: the limits the canary must meet, and what an inconclusive analysis does. */
import { withoutUndefined, type InputReader } from './input-reader.ts';

export const INCONCLUSIVE_ACTIONS = ['revert', 'promote', 'extend'] as const;

export type InconclusiveAction = (typeof INCONCLUSIVE_ACTIONS)[number];

export interface GateSettings {
  maxP95Ms?: number;
  maxP99Ms?: number;
  maxErrorRate: number;
  maxRegression: number;
  confidence: number;
  onInconclusive: InconclusiveAction;
}

/** Reads max-p95-ms, max-p99-ms, max-error-rate, max-regression, confidence and on-inconclusive. */
export function parseGate(read: InputReader): GateSettings {
  const maxP95Ms = read.decimal('max-p95-ms', 0.001, 3_600_000, 'milliseconds');
  const maxP99Ms = read.decimal('max-p99-ms', 0.001, 3_600_000, 'milliseconds');
  if (maxP95Ms !== undefined && maxP99Ms !== undefined && maxP99Ms < maxP95Ms) {
    read.problem(
      'max-p99-ms',
      `(${maxP99Ms}) is below max-p95-ms (${maxP95Ms}); a p99 is never below the p95, so every canary would fail`,
    );
  }
  return withoutUndefined<GateSettings>({
    maxP95Ms,
    maxP99Ms,
    maxErrorRate: read.fraction('max-error-rate'),
    maxRegression: read.fraction('max-regression'),
    confidence: read.decimal('confidence', 0.5, 0.999, 'a confidence level') ?? 0.95,
    onInconclusive: read.oneOf('on-inconclusive', INCONCLUSIVE_ACTIONS),
  });
}
