/**
 * Check `latency-limits`: the canary's own p95 and p99 held to `max-p95-ms` and `max-p99-ms`. It
 * fails on the estimate at the last look, and before it only when the distribution-free lower
 * bound of the quantile is already above the limit.
 */
import { logAtRank } from '../stats/latency-percentiles.ts';
import { quantileConfidenceRanks } from '../stats/quantiles.ts';
import {
  isFinalLook,
  MIN_SAMPLES_PER_ARM,
  reasonFormat as f,
  type CheckOutcome,
  type CheckResult,
  type StepEvidence,
} from './check.ts';

/** One limit as the check held the canary to it. */
export interface LimitFigures {
  input: 'max-p95-ms' | 'max-p99-ms';
  quantile: number;
  limitMs: number;
  estimateMs: number;
  /** Lower one-sided bound of the quantile at 1 − budget, when the sample allows one. */
  lowerBoundMs?: number;
  outcome: CheckOutcome;
}

export type LatencyLimitsResult = CheckResult<'latency-limits', { limits: LimitFigures[] }>;

/** Holds the canary's p95/p99 to the absolute limits the user set (passes when none is set). */
export function latencyLimitsCheck({ canary, gate, look, budget }: StepEvidence): LatencyLimitsResult {
  const final = isFinalLook(look);
  const enough = canary.logs.n >= MIN_SAMPLES_PER_ARM;
  const wanted = [
    { input: 'max-p95-ms', quantile: 0.95, limitMs: gate.maxP95Ms, estimateMs: canary.numbers.p95Ms },
    { input: 'max-p99-ms', quantile: 0.99, limitMs: gate.maxP99Ms, estimateMs: canary.numbers.p99Ms },
  ] as const;
  const limits: LimitFigures[] = [];
  const reasons: Record<CheckOutcome, string[]> = { fail: [], inconclusive: [], pass: [] };
  for (const { input, quantile, limitMs, estimateMs } of wanted) {
    if (limitMs === undefined) continue;
    const name = `p${quantile * 100}`;
    if (canary.logs.n === 0) {
      limits.push({ input, quantile, limitMs, estimateMs, outcome: 'inconclusive' });
      reasons.inconclusive.push(`no successful canary request to hold to ${input} ${limitMs}`);
      continue;
    }
    const { lowerRank } = quantileConfidenceRanks(canary.logs.n, quantile, 1 - budget);
    const lowerBoundMs = lowerRank === undefined ? undefined : Math.exp(logAtRank(canary.logs, lowerRank));
    const clearlyAbove = lowerBoundMs !== undefined && lowerBoundMs > limitMs;
    const outcome: CheckOutcome =
      clearlyAbove || (final && enough && estimateMs > limitMs)
        ? 'fail'
        : estimateMs > limitMs
          ? 'inconclusive'
          : 'pass';
    limits.push({
      input,
      quantile,
      limitMs,
      estimateMs,
      ...(lowerBoundMs !== undefined ? { lowerBoundMs } : {}),
      outcome,
    });
    const basis =
      clearlyAbove && lowerBoundMs !== undefined
        ? `lower ${f.percent(1 - budget)} bound ${f.ms(lowerBoundMs)}`
        : 'estimate';
    reasons[outcome].push(
      outcome === 'pass'
        ? `canary ${name} ${f.ms(estimateMs)} is within ${input} ${limitMs}`
        : outcome === 'fail'
          ? `canary ${name} ${f.ms(estimateMs)} is above ${input} ${limitMs} (${basis}, ${f.look(look)})`
          : `canary ${name} ${f.ms(estimateMs)} is above ${input} ${limitMs} on ${canary.logs.n} successful requests, not yet certain (${f.look(look)})`,
    );
  }
  const outcome: CheckOutcome =
    reasons.fail.length > 0 ? 'fail' : reasons.inconclusive.length > 0 ? 'inconclusive' : 'pass';
  const reason =
    limits.length === 0
      ? 'no absolute latency limit set (max-p95-ms, max-p99-ms)'
      : reasons[outcome].join('; ');
  return { name: 'latency-limits', outcome, reason, figures: { limits } };
}
