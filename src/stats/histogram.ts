/**
 * Pure: quantiles of Prometheus histograms (cumulative bucket counts by upper edge `le`), with what
 * the buckets can and cannot tell. A quantile is only known to lie in its bucket: PromQL's
 * histogram_quantile interpolates linearly inside it, which is a guess. Comparing two arms
 * bucket-aware means saying a regression is certain only when even the most favourable reading of
 * both buckets (and of the sampling, by order-statistic ranks) shows it, and saying so when the
 * buckets are too coarse to resolve the regression asked about. docs/metrics.md.
 */
import { quantileConfidenceRanks } from './quantiles.ts';

/** One cumulative bucket: observations at or below `le`. */
export interface Bucket {
  le: number;
  count: number;
}

/** Where a quantile lies according to a histogram's buckets. */
export interface BucketQuantile {
  quantile: number;
  /** Observations in the histogram (the +Inf bucket's count). */
  observations: number;
  /** The bucket the quantile's rank falls in: (lower, upper]. */
  lower: number;
  upper: number;
  /** histogram_quantile's estimate: linear inside the bucket (the lower edge for the +Inf bucket). */
  estimate: number;
  /** Lower edge of the bucket of the lower confidence rank: the quantile is surely above it. */
  lowerBound: number;
  /** Upper edge of the bucket of the upper confidence rank: the quantile is surely at or below it. */
  upperBound: number;
}

/**
 * Buckets from series of one histogram: counts of the same `le` summed (one series per pod when
 * the query kept them apart), sorted by edge, and made non-decreasing as histogram_quantile does
 * (increase() of separately scraped buckets can dip by rounding).
 */
export function cumulativeBuckets(series: readonly { le: string; count: number }[]): Bucket[] {
  const byEdge = new Map<number, number>();
  for (const { le, count } of series) {
    const edge = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    if (Number.isNaN(edge) || !Number.isFinite(count)) continue;
    byEdge.set(edge, (byEdge.get(edge) ?? 0) + count);
  }
  const buckets = [...byEdge.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  let running = 0;
  for (const bucket of buckets) {
    running = Math.max(running, bucket.count);
    bucket.count = running;
  }
  return buckets;
}

/** The index of the first bucket holding `rank` observations. */
function bucketOfRank(buckets: readonly Bucket[], rank: number): number {
  const index = buckets.findIndex((bucket) => bucket.count >= rank);
  return index === -1 ? buckets.length - 1 : index;
}

/** The lower edge of bucket `index`: the previous edge, or 0 below the first positive edge (as PromQL). */
function lowerEdge(buckets: readonly Bucket[], index: number): number {
  if (index > 0) return buckets[index - 1]!.le;
  return buckets[0]!.le > 0 ? 0 : buckets[0]!.le;
}

/**
 * Where the `quantile` of the histogram lies, with one-sided bounds at `confidence` from the
 * order-statistic ranks of its observations; undefined without a +Inf bucket or observations.
 */
export function bucketQuantile(
  buckets: readonly Bucket[],
  quantile: number,
  confidence: number,
): BucketQuantile | undefined {
  const last = buckets.at(-1);
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || !(last.count > 0)) return undefined;
  const total = last.count;
  const rank = quantile * total;
  const index = bucketOfRank(buckets, rank);
  const lower = lowerEdge(buckets, index);
  const upper = buckets[index]!.le;
  const below = index > 0 ? buckets[index - 1]!.count : 0;
  const inside = buckets[index]!.count - below;
  const estimate =
    upper === Number.POSITIVE_INFINITY
      ? lower
      : inside > 0
        ? lower + (upper - lower) * ((rank - below) / inside)
        : upper;
  // increase() counts are not whole; the ranks are taken on the rounded count and scaled back.
  const n = Math.max(1, Math.round(total));
  const scale = total / n;
  const { lowerRank, upperRank } = quantileConfidenceRanks(n, quantile, confidence);
  const lowerBound =
    lowerRank === undefined
      ? lowerEdge(buckets, 0)
      : lowerEdge(buckets, bucketOfRank(buckets, lowerRank * scale));
  const upperBound =
    upperRank === undefined
      ? Number.POSITIVE_INFINITY
      : buckets[bucketOfRank(buckets, upperRank * scale)]!.le;
  return { quantile, observations: total, lower, upper, estimate, lowerBound, upperBound };
}

/** What two arms' bucket quantiles say about a regression beyond `maxRegression`. */
export interface BucketComparison {
  /**
   * `regressed`: even the canary's lowest reading is above stable's highest × (1 + max-regression);
   * `within`: the estimates' ratio is within 1 + max-regression; `unresolved`: neither.
   */
  verdict: 'regressed' | 'within' | 'unresolved';
  /** canary estimate ÷ stable estimate. */
  ratio: number;
  /**
   * True when a bucket involved is wider than 1 + max-regression (upper ÷ lower edge), so the
   * buckets themselves cannot resolve a regression of that size, whatever the sample.
   */
  coarse: boolean;
}

/** Compares the canary's bucket quantile with stable's, held to `maxRegression`. */
export function compareBucketQuantiles(
  canary: BucketQuantile,
  stable: BucketQuantile,
  maxRegression: number,
): BucketComparison {
  const limit = 1 + maxRegression;
  const ratio = stable.estimate > 0 ? canary.estimate / stable.estimate : canary.estimate > 0 ? Infinity : 1;
  const width = (q: BucketQuantile) => (q.lower > 0 ? q.upper / q.lower : Number.POSITIVE_INFINITY);
  const coarse = width(canary) > limit || width(stable) > limit;
  const verdict =
    canary.lowerBound > stable.upperBound * limit ? 'regressed' : ratio <= limit ? 'within' : 'unresolved';
  return { verdict, ratio, coarse };
}
