/**
 * Checks `metric:<name>`: one per metric check (input metrics-checks and the runtime's built-in
 * checks, docs/metrics.md), each judging what its PromQL query returned for the canary, and for
 * stable, over the step's window so far, against its bounds.
 *
 * - A query that failed, or returned nothing for an arm it needs, is inconclusive with a reason
 *   that names the query or the server: never a pass. A check marked `if-present` whose query
 *   returns nothing for either arm is left out (the exporter is not there).
 * - A plain value past its bound fails at the last look; before it the check says look again,
 *   since the window is still filling.
 * - A histogram quantile (`quantile`) is compared bucket-aware (src/stats/histogram.ts): a
 *   regression that even the buckets' most favourable reading shows fails at once; one the buckets
 *   are too coarse to resolve is inconclusive, saying so.
 * - On a first deployment (no stable) only the absolute bounds apply.
 */
import type { MetricCheckSpec } from '../metrics/spec.ts';
import { describeBounds, formatValue } from '../metrics/spec.ts';
import type { Series } from '../metrics/prometheus.ts';
import {
  bucketQuantile,
  compareBucketQuantiles,
  cumulativeBuckets,
  type BucketQuantile,
} from '../stats/histogram.ts';
import {
  isFinalLook,
  reasonFormat as f,
  type CheckOutcome,
  type CheckResult,
  type StepEvidence,
} from './check.ts';

/** What one query returned for one arm: its series, or why it returned none. */
export type ArmReading = { query: string; series: Series[] } | { query: string; error: string };

/** One check's value at one evaluation of the step, for the report's time series. */
export interface MetricPoint {
  /** Unix seconds. */
  at: number;
  windowSeconds: number;
  canary?: number;
  stable?: number;
}

/** One metric check at the latest evaluation, and its values at the earlier ones of the step. */
export interface MetricReading {
  check: MetricCheckSpec;
  canary: ArmReading;
  /** Absent on a first deployment: there is no stable to compare with. */
  stable?: ArmReading;
  history: MetricPoint[];
}

/** The metric checks of a step as the metrics watch (src/metrics/watch.ts) last evaluated them. */
export interface MetricEvidence {
  /** The metrics server, for reasons. */
  server: string;
  checks: readonly MetricCheckSpec[];
  /** Unix seconds of the latest evaluation; absent before the first. */
  at?: number;
  /** The step's measurement window at that evaluation, in seconds. */
  windowSeconds?: number;
  /** One per check once evaluated. */
  readings: readonly MetricReading[];
}

/** What one arm's series mean for a check: a value, or why there is none. */
export interface ArmValue {
  value?: number;
  /** For a quantile check: where the quantile lies in the buckets. */
  histogram?: BucketQuantile;
  /** Why there is no value (the query returned nothing, only NaN, no buckets). */
  missing?: string;
}

/** The figures a metric check reports: the queries, both values, the bound, every series. */
export interface MetricFigures {
  check: string;
  source: string;
  /** The query template, and as sent for each arm. */
  template: string;
  queries: { canary: string; stable?: string };
  bound: string;
  unit?: string;
  windowSeconds?: number;
  canary?: number;
  stable?: number;
  /** canary ÷ stable, when both are known. */
  ratio?: number;
  histogram?: { canary?: BucketQuantile; stable?: BucketQuantile; coarse?: boolean };
  series: { canary: Series[]; stable?: Series[] };
  history: MetricPoint[];
  outcome: CheckOutcome;
}

export type MetricResult = CheckResult<`metric:${string}`, MetricFigures>;

/**
 * The value a check judges in one arm's series: for a quantile check the quantile of the buckets
 * (at `confidence` for its bounds); otherwise the largest value (the smallest when only `min`
 * bounds it), so a query left per pod is judged by its worst pod.
 */
export function armValue(check: MetricCheckSpec, series: readonly Series[], confidence: number): ArmValue {
  if (check.quantile !== undefined) {
    const buckets = series.filter((s) => s.labels['le'] !== undefined);
    if (series.length > 0 && buckets.length === 0) {
      return {
        missing:
          'it returned series without an le label; a quantile check needs histogram buckets, e.g. sum by (le) (increase(x_bucket{ {{ selector }} }[{{ window }}]))',
      };
    }
    const histogram = bucketQuantile(
      cumulativeBuckets(buckets.map((s) => ({ le: s.labels['le']!, count: s.value }))),
      check.quantile,
      confidence,
    );
    if (histogram === undefined) return { missing: 'it returned no observations (no +Inf bucket above 0)' };
    return { value: histogram.estimate, histogram };
  }
  const numbers = series.map((s) => s.value).filter((value) => !Number.isNaN(value));
  if (numbers.length === 0) {
    return {
      missing:
        series.length === 0 ? 'it returned nothing' : 'it returned only NaN (nothing observed in the window)',
    };
  }
  const onlyMin =
    check.min !== undefined &&
    check.max === undefined &&
    check.maxRatio === undefined &&
    check.maxIncrease === undefined;
  return { value: onlyMin ? Math.min(...numbers) : Math.max(...numbers) };
}

const withUnit = (value: number, check: MetricCheckSpec) =>
  `${formatValue(value)}${check.unit !== undefined ? ` ${check.unit}` : ''}`;

/** What the comparison with stable found: breaches, certain ones, and what is unresolved. */
interface Findings {
  breaches: string[];
  certain: string[];
  unresolved: string[];
  notes: string[];
}

function compareWithStable(
  check: MetricCheckSpec,
  canary: ArmValue & { value: number },
  stable: ArmValue & { value: number },
  final: boolean,
  found: Findings,
): { ratio: number; coarse?: boolean } {
  const c = canary.value;
  const s = stable.value;
  const ratio = s > 0 ? c / s : c > 0 ? Number.POSITIVE_INFINITY : 1;
  const shown = `canary ${withUnit(c, check)} against stable ${withUnit(s, check)}`;
  if (check.ignoreBelow !== undefined && c <= check.ignoreBelow) {
    found.notes.push(
      `${shown}: at or below ignore-below ${withUnit(check.ignoreBelow, check)}, not compared`,
    );
    return { ratio };
  }
  if (check.maxRatio !== undefined && ratio > check.maxRatio) {
    found.breaches.push(
      `${shown} is ${s > 0 ? f.times(ratio) : 'above a stable of 0'}, above max-ratio ${formatValue(check.maxRatio)}`,
    );
  }
  if (check.maxIncrease !== undefined && c - s > check.maxIncrease) {
    found.breaches.push(
      `${shown} is ${withUnit(c - s, check)} more, above max-increase ${withUnit(check.maxIncrease, check)}`,
    );
  }
  if (check.maxRegression !== undefined && canary.histogram !== undefined && stable.histogram !== undefined) {
    const comparison = compareBucketQuantiles(canary.histogram, stable.histogram, check.maxRegression);
    const q = `p${+(check.quantile! * 100).toFixed(1)}`;
    const limit = `max-regression ${+(check.maxRegression * 100).toFixed(2)}%`;
    const buckets = (h: BucketQuantile) => `(${formatValue(h.lower)}, ${formatValue(h.upper)}]`;
    const where = `canary ${q} in bucket ${buckets(canary.histogram)}, stable's in ${buckets(stable.histogram)}`;
    if (comparison.verdict === 'regressed') {
      found.certain.push(
        `canary ${q} ${withUnit(c, check)} is above stable's ${withUnit(s, check)} beyond ${limit} even at the buckets' edges (${where})`,
      );
    } else if (comparison.verdict === 'unresolved') {
      if (comparison.coarse) {
        found.unresolved.push(
          `the buckets cannot resolve ${limit}: ${where}; estimates ${withUnit(c, check)} against ${withUnit(s, check)} (${f.times(ratio)}); finer buckets would tell`,
        );
      } else if (final) {
        found.breaches.push(
          `canary ${q} ${withUnit(c, check)} is ${f.times(ratio)} stable's ${withUnit(s, check)}, above ${limit} (${where})`,
        );
      } else {
        found.unresolved.push(
          `canary ${q} is ${f.times(ratio)} stable's, above ${limit} on the estimates, not yet certain`,
        );
      }
    } else if (comparison.coarse) {
      found.notes.push(
        `the buckets are wider than ${limit} (${where}), so only a larger regression would show`,
      );
    }
    return { ratio, coarse: comparison.coarse };
  }
  return { ratio };
}

/** One metric check at one look; undefined when it does not apply (if-present and absent, or comparisons on a first deployment). */
export function metricCheck(
  reading: MetricReading,
  evidence: Pick<StepEvidence, 'look' | 'budget'> & { windowSeconds?: number },
): MetricResult | undefined {
  const { check } = reading;
  const final = isFinalLook(evidence.look);
  const confidence = 1 - evidence.budget;
  const name = `metric:${check.name}` as const;
  const readValue = (arm: ArmReading | undefined): ArmValue | undefined =>
    arm === undefined ? undefined : 'error' in arm ? undefined : armValue(check, arm.series, confidence);
  const canary = readValue(reading.canary);
  const stable = readValue(reading.stable);
  const comparing =
    reading.stable !== undefined &&
    (check.maxRatio !== undefined || check.maxIncrease !== undefined || check.maxRegression !== undefined);
  const absolute = check.max !== undefined || check.min !== undefined;
  if (!absolute && !comparing) return undefined;
  const absent = (value: ArmValue | undefined, arm: ArmReading | undefined) =>
    arm === undefined || ('series' in arm && value?.value === undefined);
  if (check.ifPresent && absent(canary, reading.canary) && absent(stable, reading.stable)) return undefined;

  const figures: MetricFigures = {
    check: check.name,
    source: check.source,
    template: check.query,
    queries: {
      canary: reading.canary.query,
      ...(reading.stable !== undefined ? { stable: reading.stable.query } : {}),
    },
    bound: describeBounds(check),
    ...(check.unit !== undefined ? { unit: check.unit } : {}),
    ...(evidence.windowSeconds !== undefined ? { windowSeconds: evidence.windowSeconds } : {}),
    ...(canary?.value !== undefined ? { canary: canary.value } : {}),
    ...(stable?.value !== undefined ? { stable: stable.value } : {}),
    series: {
      canary: 'series' in reading.canary ? reading.canary.series : [],
      ...(reading.stable !== undefined
        ? { stable: 'series' in reading.stable ? reading.stable.series : [] }
        : {}),
    },
    history: reading.history,
    outcome: 'inconclusive',
  };
  if (canary?.histogram !== undefined || stable?.histogram !== undefined) {
    figures.histogram = {
      ...(canary?.histogram !== undefined ? { canary: canary.histogram } : {}),
      ...(stable?.histogram !== undefined ? { stable: stable.histogram } : {}),
    };
  }
  const result = (outcome: CheckOutcome, reason: string): MetricResult => ({
    name,
    outcome,
    reason: `${check.name}: ${reason}`,
    figures: { ...figures, outcome },
  });

  const missing = (arm: 'canary' | 'stable', read: ArmReading, value: ArmValue | undefined) =>
    'error' in read
      ? result('inconclusive', read.error)
      : result('inconclusive', `the query for ${arm} ${value?.missing ?? 'returned nothing'}: ${read.query}`);
  if (canary?.value === undefined) return missing('canary', reading.canary, canary);
  const found: Findings = { breaches: [], certain: [], unresolved: [], notes: [] };
  if (check.max !== undefined && canary.value > check.max) {
    found.breaches.push(`canary ${withUnit(canary.value, check)} is above max ${withUnit(check.max, check)}`);
  }
  if (check.min !== undefined && canary.value < check.min) {
    found.breaches.push(`canary ${withUnit(canary.value, check)} is below min ${withUnit(check.min, check)}`);
  }
  if (comparing) {
    if (stable?.value === undefined) return missing('stable', reading.stable!, stable);
    const compared = compareWithStable(
      check,
      canary as ArmValue & { value: number },
      stable as ArmValue & { value: number },
      final,
      found,
    );
    if (Number.isFinite(compared.ratio)) figures.ratio = compared.ratio;
    if (compared.coarse !== undefined && figures.histogram !== undefined)
      figures.histogram.coarse = compared.coarse;
  }
  const window = evidence.windowSeconds !== undefined ? ` over ${evidence.windowSeconds}s` : '';
  if (found.certain.length > 0) return result('fail', [...found.certain, ...found.breaches].join('; '));
  if (found.breaches.length > 0) {
    return final
      ? result('fail', `${found.breaches.join('; ')}${window}`)
      : result(
          'inconclusive',
          `${found.breaches.join('; ')}${window} so far (${f.look(evidence.look)}), looking again`,
        );
  }
  if (found.unresolved.length > 0) return result('inconclusive', found.unresolved.join('; '));
  const values =
    stable?.value !== undefined && comparing
      ? `canary ${withUnit(canary.value, check)}, stable ${withUnit(stable.value, check)}`
      : `canary ${withUnit(canary.value, check)}`;
  const notes = found.notes.length > 0 ? ` (${found.notes.join('; ')})` : '';
  return result('pass', `${values}${window}, within ${figures.bound}${notes}`);
}

/**
 * Every metric check of a step (undefined when the step has no metrics): before the first
 * evaluation each is inconclusive, so no step promotes on checks that have not run.
 */
export function metricChecks(evidence: StepEvidence): MetricResult[] | undefined {
  const metrics = evidence.metrics;
  if (metrics === undefined) return undefined;
  if (metrics.at === undefined) {
    return metrics.checks.map((check) => ({
      name: `metric:${check.name}` as const,
      outcome: 'inconclusive' as const,
      reason: `${check.name}: not evaluated yet (the first query to ${metrics.server} has not answered)`,
      figures: {
        check: check.name,
        source: check.source,
        template: check.query,
        queries: { canary: '' },
        bound: describeBounds(check),
        series: { canary: [] },
        history: [],
        outcome: 'inconclusive' as const,
      },
    }));
  }
  const context = {
    look: evidence.look,
    budget: evidence.budget,
    ...(metrics.windowSeconds !== undefined ? { windowSeconds: metrics.windowSeconds } : {}),
  };
  // A server that stops answering fails every query alike: its error is told once, then referred to.
  const firstWith = new Map<string, string>();
  return metrics.readings.flatMap((reading) => {
    const result = metricCheck(reading, context);
    if (result === undefined) return [];
    const error = 'error' in reading.canary ? reading.canary.error : undefined;
    if (error === undefined || result.outcome !== 'inconclusive') return [result];
    const first = firstWith.get(error);
    if (first === undefined) firstWith.set(error, reading.check.name);
    return [
      first === undefined
        ? result
        : { ...result, reason: `${reading.check.name}: its query failed as ${first}'s did` },
    ];
  });
}
