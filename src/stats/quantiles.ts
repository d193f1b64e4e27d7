/**
 * Quantiles of one sample: the type-7 sample quantile, the Harrell-Davis estimator, the
 * Maritz-Jarrett standard error, and distribution-free confidence bounds from order statistics. Pure: a `memo`, where a function
 * takes one, only saves recomputing weights.
 */
import { binomialCdf, normalQuantile, regularizedIncompleteBeta } from './distributions.ts';
import type { Memo } from './memo.ts';

/**
 * The sample quantile of already sorted values by Hyndman & Fan's definition 7 (R's and NumPy's
 * default): linear interpolation between order statistics at h = (n − 1)p.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const below = Math.floor(h);
  const above = Math.min(below + 1, n - 1);
  return sorted[below]! + (h - below) * (sorted[above]! - sorted[below]!);
}

/** Weights over order statistics: index range with non-negligible weight, and the weights themselves. */
interface OrderStatisticWeights {
  first: number;
  weights: Float64Array;
}

/** Weights w_i = I_{i/n}(a, b) − I_{(i−1)/n}(a, b), trimmed where they are below 1e-14. */
function betaIncrementWeights(n: number, a: number, b: number): OrderStatisticWeights {
  const all = new Float64Array(n);
  let previous = 0;
  for (let i = 1; i <= n; i++) {
    const current = i === n ? 1 : regularizedIncompleteBeta(i / n, a, b);
    all[i - 1] = current - previous;
    previous = current;
  }
  let first = 0;
  let last = n - 1;
  while (first < last && all[first]! < 1e-14) first++;
  while (last > first && all[last]! < 1e-14) last--;
  return { first, weights: all.slice(first, last + 1) };
}

/** `betaIncrementWeights` (n incomplete betas), from `memo` when the caller keeps one. */
function memoWeights(n: number, a: number, b: number, memo: Memo | undefined): OrderStatisticWeights {
  if (memo === undefined) return betaIncrementWeights(n, a, b);
  return memo.get(`beta-increment-weights:${n}:${a}:${b}`, () => betaIncrementWeights(n, a, b));
}

function weightedSum(sorted: ArrayLike<number>, { first, weights }: OrderStatisticWeights): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i]! * sorted[first + i]!;
  return sum;
}

/**
 * The Harrell-Davis quantile estimate (Biometrika 1982) of sorted values: a weighted mean of all
 * order statistics with Beta(p(n+1), (1−p)(n+1)) weights. In the tail it has a clearly smaller
 * variance than a single order statistic, which is what the tail test needs.
 */
export function harrellDavisQuantileOfSorted(sorted: ArrayLike<number>, p: number, memo?: Memo): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  return weightedSum(sorted, memoWeights(n, p * (n + 1), (1 - p) * (n + 1), memo));
}

/**
 * The Maritz-Jarrett standard error of the p-quantile (Maritz & Jarrett 1978; Wilcox, "Introduction
 * to Robust Estimation", §3.5): the exact bootstrap standard error of the order statistic
 * X_(m), m = ⌊np + 0.5⌋, computed in closed form from its Beta weights instead of by resampling.
 * Distribution-free; slightly larger than the Harrell-Davis estimator's own error.
 */
export function maritzJarrettStandardErrorOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n < 2) return Number.NaN;
  const m = Math.min(n, Math.max(1, Math.floor(n * p + 0.5)));
  const weights = betaIncrementWeights(n, m, n - m + 1);
  const mean = weightedSum(sorted, weights);
  let second = 0;
  for (let i = 0; i < weights.weights.length; i++) {
    const deviation = sorted[weights.first + i]! - mean;
    second += weights.weights[i]! * deviation * deviation;
  }
  return Math.sqrt(second);
}

/** One-sided distribution-free confidence bounds for a quantile, as order statistics. */
export interface QuantileBounds {
  /** X_(lowerRank) ≤ Q(p) with probability ≥ confidence; undefined when n is too small for one. */
  lower?: number;
  lowerRank?: number;
  /** X_(upperRank) ≥ Q(p) with probability ≥ confidence; undefined when n is too small. */
  upper?: number;
  upperRank?: number;
}

/**
 * The ranks (1-based) of the order statistics that bound the p-quantile of n values from below and
 * above at `confidence`, distribution-free (order statistics and the binomial distribution; e.g.
 * Conover, "Practical Nonparametric Statistics", §3.2): for continuous data
 * P(X_(r) ≤ Q(p)) = P(Binomial(n, p) ≥ r). The search starts at the normal approximation, so it
 * takes a few binomial CDFs at any n.
 */
export function quantileConfidenceRanks(
  n: number,
  p: number,
  confidence: number,
): Pick<QuantileBounds, 'lowerRank' | 'upperRank'> {
  const ranks: Pick<QuantileBounds, 'lowerRank' | 'upperRank'> = {};
  const spread = normalQuantile(confidence) * Math.sqrt(n * p * (1 - p));
  // Lower: the largest r with P(B ≥ r) = 1 − P(B ≤ r − 1) ≥ confidence.
  let r = Math.min(n, Math.max(1, Math.floor(n * p - spread)));
  while (r > 1 && 1 - binomialCdf(r - 1, n, p) < confidence) r--;
  while (r < n && 1 - binomialCdf(r, n, p) >= confidence) r++;
  if (r >= 1 && r <= n && 1 - binomialCdf(r - 1, n, p) >= confidence) ranks.lowerRank = r;
  // Upper: the smallest s with P(B ≤ s − 1) ≥ confidence.
  let s = Math.min(n, Math.max(1, Math.ceil(n * p + spread)));
  while (s < n && binomialCdf(s - 1, n, p) < confidence) s++;
  while (s > 1 && binomialCdf(s - 2, n, p) >= confidence) s--;
  if (s >= 1 && s <= n && binomialCdf(s - 1, n, p) >= confidence) ranks.upperRank = s;
  return ranks;
}

/** Distribution-free one-sided confidence bounds for the p-quantile of sorted values (`quantileConfidenceRanks`). */
export function quantileConfidenceBoundsOfSorted(
  sorted: ArrayLike<number>,
  p: number,
  confidence: number,
): QuantileBounds {
  const { lowerRank, upperRank } = quantileConfidenceRanks(sorted.length, p, confidence);
  return {
    ...(lowerRank !== undefined ? { lowerRank, lower: sorted[lowerRank - 1]! } : {}),
    ...(upperRank !== undefined ? { upperRank, upper: sorted[upperRank - 1]! } : {}),
  };
}
