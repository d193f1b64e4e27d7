/**
 * Two-sample rank statistics: the Mann-Whitney test, the k-th pairwise difference, the
 * Hodges-Lehmann shift and its distribution-free bounds. Pure; inputs sorted ascending.
 */
import { normalCdf, normalQuantile } from './distributions.ts';

/** The alternative hypothesis: x tends to be larger ('greater'), smaller ('less'), or either. */
export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** R's W: the rank sum of x minus n_x(n_x+1)/2, i.e. #{x_i > y_j} + ½ #{x_i = y_j}. */
  u: number;
  /** The continuity-corrected normal deviate R uses for its p-value. */
  z: number;
  pValue: number;
  /** z without the continuity correction, signed so that positive means x tends to be larger. */
  zUncorrected: number;
}

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test of x against y by the normal approximation with the tie
 * correction of the variance and a continuity correction, exactly as R's
 * `wilcox.test(x, y, alternative, exact = FALSE, correct = TRUE)`. Inputs must be sorted ascending.
 */
export function mannWhitneyOfSorted(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  alternative: Alternative = 'two-sided',
): MannWhitneyResult {
  const nx = sortedX.length;
  const ny = sortedY.length;
  if (nx === 0 || ny === 0)
    return { u: Number.NaN, z: Number.NaN, pValue: Number.NaN, zUncorrected: Number.NaN };
  // Merge, giving each tie group its mid-rank; accumulate x's rank sum and Σ(t³ − t).
  let i = 0;
  let j = 0;
  let rank = 0;
  let rankSumX = 0;
  let tieTerm = 0;
  while (i < nx || j < ny) {
    const value = j >= ny || (i < nx && sortedX[i]! <= sortedY[j]!) ? sortedX[i]! : sortedY[j]!;
    let inX = 0;
    let inY = 0;
    while (i < nx && sortedX[i] === value) {
      i++;
      inX++;
    }
    while (j < ny && sortedY[j] === value) {
      j++;
      inY++;
    }
    const t = inX + inY;
    const midRank = rank + (t + 1) / 2;
    rankSumX += inX * midRank;
    rank += t;
    if (t > 1) tieTerm += t * t * t - t;
  }
  const n = nx + ny;
  const u = rankSumX - (nx * (nx + 1)) / 2;
  const centred = u - (nx * ny) / 2;
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, z: 0, pValue: 1, zUncorrected: 0 };
  const correction =
    alternative === 'two-sided' ? Math.sign(centred) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
  const z = (centred - correction) / sigma;
  const pValue =
    alternative === 'two-sided'
      ? Math.min(1, 2 * Math.min(normalCdf(z), normalCdf(-z)))
      : alternative === 'greater'
        ? normalCdf(-z)
        : normalCdf(z);
  return { u, z, pValue, zUncorrected: centred / sigma };
}

/**
 * #{(i, j): x_i − y_j ≤ v} for ascending x and y in O(n + m): for fixed i the differences fall as j
 * grows, and the first j with x_i − y_j ≤ v only moves right as x_i grows. Comparing the computed
 * differences themselves (not x_i − v against y_j) keeps it exact under rounding.
 */
function countDifferencesAtMost(x: Float64Array, y: Float64Array, v: number): number {
  const m = y.length;
  let count = 0;
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    while (j < m && xi - y[j]! > v) j++;
    count += m - j;
  }
  return count;
}

/**
 * The k-th smallest (1-based) of the n·m differences x_i − y_j, for sorted x and y, without forming
 * them: a search on the value v, counting #{x_i − y_j ≤ v} in O(n + m), with the next probe
 * interpolated from the counts at the bracket's ends (falling back to bisection when that stalls),
 * until few enough differences lie in the bracket to list and sort them. O((n + m) log(nm)) worst
 * case, a handful of counts in practice.
 */
export function kthPairwiseDifference(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  k: number,
): number {
  const n = sortedX.length;
  const m = sortedY.length;
  if (n === 0 || m === 0 || k < 1 || k > n * m) return Number.NaN;
  const x = sortedX instanceof Float64Array ? sortedX : Float64Array.from(sortedX);
  const y = sortedY instanceof Float64Array ? sortedY : Float64Array.from(sortedY);
  // Invariant: countLow < k ≤ countHigh, so the answer lies in (low, high].
  let low = x[0]! - y[m - 1]!;
  let countLow = countDifferencesAtMost(x, y, low);
  if (k <= countLow) return low;
  let high = x[n - 1]! - y[0]!;
  let countHigh = n * m;
  // Listing and sorting costs more per element than counting: keep the list short.
  const listable = Math.max(32, (n + m) >> 3);
  let interpolate = true;
  while (countHigh - countLow > listable) {
    const before = countHigh - countLow;
    // Aim a little to either side of k so that one probe usually tightens each end.
    for (const aim of [k - listable / 4, k + listable / 4]) {
      const target = Math.min(countHigh - 1, Math.max(countLow + 1, aim));
      let probe = interpolate
        ? low + ((high - low) * (target - countLow)) / (countHigh - countLow)
        : (low + high) / 2;
      if (!(probe > low && probe < high)) probe = low + (high - low) / 2;
      if (!(probe > low && probe < high)) return high; // nothing representable between: the answer is high
      const count = countDifferencesAtMost(x, y, probe);
      if (count < k) {
        low = probe;
        countLow = count;
      } else {
        high = probe;
        countHigh = count;
      }
      if (!interpolate) break;
    }
    interpolate = countHigh - countLow < before / 2 || !interpolate;
  }
  // List the differences in (low, high]: in row i they are a contiguous run of j whose ends, like
  // the counting pointer, only move right as i grows.
  const candidates = new Float64Array(countHigh - countLow);
  let at = 0;
  let start = 0; // first j with x_i − y_j ≤ high
  let end = 0; // first j with x_i − y_j ≤ low
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    while (start < m && xi - y[start]! > high) start++;
    while (end < m && xi - y[end]! > low) end++;
    for (let j = start; j < end; j++) candidates[at++] = xi - y[j]!;
  }
  candidates.sort();
  return candidates[k - countLow - 1]!;
}

/**
 * The Hodges-Lehmann two-sample shift estimate (Hodges & Lehmann 1963): the median of all
 * differences x_i − y_j (mean of the two middle ones when n·m is even). Inputs sorted ascending.
 */
export function hodgesLehmannOfSorted(sortedX: ArrayLike<number>, sortedY: ArrayLike<number>): number {
  const total = sortedX.length * sortedY.length;
  if (total === 0) return Number.NaN;
  if (total % 2 === 1) return kthPairwiseDifference(sortedX, sortedY, (total + 1) / 2);
  return (
    (kthPairwiseDifference(sortedX, sortedY, total / 2) +
      kthPairwiseDifference(sortedX, sortedY, total / 2 + 1)) /
    2
  );
}

/**
 * One-sided distribution-free confidence bounds for the shift Δ in x ≈ y + Δ (Moses 1965; Hollander
 * & Wolfe §4.3): order statistics of the pairwise differences at ranks from the normal
 * approximation of the Mann-Whitney statistic's null distribution.
 */
export function shiftConfidenceBoundsOfSorted(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  confidence: number,
): { lower: number; upper: number } {
  const nx = sortedX.length;
  const ny = sortedY.length;
  const total = nx * ny;
  const sigma = Math.sqrt((total * (nx + ny + 1)) / 12);
  // k-th smallest difference is a lower bound with confidence ≈ Φ((nm/2 − k + ½)/σ).
  const k = Math.max(1, Math.floor(total / 2 - normalQuantile(confidence) * sigma + 0.5));
  return {
    lower: kthPairwiseDifference(sortedX, sortedY, k),
    upper: kthPairwiseDifference(sortedX, sortedY, total + 1 - k),
  };
}
