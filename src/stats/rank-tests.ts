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

/** How many samples stand for each value of a sorted sample; absent: one each. */
export type Counts = ArrayLike<number> | undefined;

/** Samples in a sorted sample with these counts. */
export function totalOf(sorted: ArrayLike<number>, counts: Counts): number {
  if (counts === undefined) return sorted.length;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return total;
}

/**
 * Walks the pooled sample of ascending x and y tie group by tie group, lowest first, telling
 * `group` how many of x and of y share the value and how many pooled samples lie below it. Throws
 * RangeError on a NaN, which equals nothing and would otherwise stop the walk from advancing.
 */
export function forEachTieGroup(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  group: (inX: number, inY: number, below: number) => void,
  countsX?: Counts,
  countsY?: Counts,
): void {
  const nx = sortedX.length;
  const ny = sortedY.length;
  let i = 0;
  let j = 0;
  let below = 0;
  while (i < nx || j < ny) {
    const value = j >= ny || (i < nx && sortedX[i]! <= sortedY[j]!) ? sortedX[i]! : sortedY[j]!;
    let inX = 0;
    let inY = 0;
    while (i < nx && sortedX[i] === value) {
      inX += countsX === undefined ? 1 : countsX[i]!;
      i++;
    }
    while (j < ny && sortedY[j] === value) {
      inY += countsY === undefined ? 1 : countsY[j]!;
      j++;
    }
    if (inX === 0 && inY === 0) throw new RangeError('a rank test was given NaN');
    group(inX, inY, below);
    below += inX + inY;
  }
}

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test of x against y by the normal approximation with the tie
 * correction of the variance and a continuity correction, exactly as R's
 * `wilcox.test(x, y, alternative, exact = FALSE, correct = TRUE)`. Inputs must be sorted ascending;
 * `countsX`/`countsY` say how many samples each value stands for (a summarized sample).
 */
export function mannWhitneyOfSorted(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  alternative: Alternative = 'two-sided',
  countsX?: Counts,
  countsY?: Counts,
): MannWhitneyResult {
  const nx = totalOf(sortedX, countsX);
  const ny = totalOf(sortedY, countsY);
  if (nx === 0 || ny === 0)
    return { u: Number.NaN, z: Number.NaN, pValue: Number.NaN, zUncorrected: Number.NaN };
  // Each tie group gets its mid-rank; accumulate x's rank sum and Σ(t³ − t).
  let rankSumX = 0;
  let tieTerm = 0;
  forEachTieGroup(
    sortedX,
    sortedY,
    (inX, inY, below) => {
      const t = inX + inY;
      rankSumX += inX * (below + (t + 1) / 2);
      if (t > 1) tieTerm += t * t * t - t;
    },
    countsX,
    countsY,
  );
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

/** Ascending values and how many samples each stands for. */
interface CountedSample {
  values: ArrayLike<number>;
  counts: ArrayLike<number>;
}

/**
 * The k-th smallest (1-based) of the pairwise differences of two summarized samples (values with
 * counts), by bisection on the value with a weighted count of #{x_i − y_j ≤ v} per probe (O(n + m)
 * each). Stops when the bracket holds no representable value or after 200 probes, which on bucket
 * centres is far below a bucket's width.
 */
function kthPairwiseDifferenceOfCounted(
  { values: x, counts: countsX }: CountedSample,
  { values: y, counts: countsY }: CountedSample,
  k: number,
): number {
  const [n, m] = [x.length, y.length];
  const totalY = totalOf(y, countsY);
  const countAtMost = (v: number) => {
    let count = 0;
    let j = 0;
    let yAbove = totalY; // samples of y at or after index j
    for (let i = 0; i < n; i++) {
      while (j < m && x[i]! - y[j]! > v) yAbove -= countsY[j++]!;
      count += countsX[i]! * yAbove;
    }
    return count;
  };
  let low = x[0]! - y[m - 1]!;
  if (k <= countAtMost(low)) return low;
  let high = x[n - 1]! - y[0]!;
  for (let probe = 0; probe < 200; probe++) {
    const middle = low + (high - low) / 2;
    if (!(middle > low && middle < high)) break;
    if (countAtMost(middle) < k) low = middle;
    else high = middle;
  }
  return high;
}

/** The k-th smallest pairwise difference x_i − y_j of sorted samples, each value standing for its count. */
function kthDifference(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  k: number,
  countsX: Counts,
  countsY: Counts,
): number {
  if (countsX === undefined && countsY === undefined) return kthPairwiseDifference(sortedX, sortedY, k);
  const ones = (length: number) => new Float64Array(length).fill(1);
  const total = totalOf(sortedX, countsX) * totalOf(sortedY, countsY);
  if (sortedX.length === 0 || sortedY.length === 0 || k < 1 || k > total) return Number.NaN;
  return kthPairwiseDifferenceOfCounted(
    { values: sortedX, counts: countsX ?? ones(sortedX.length) },
    { values: sortedY, counts: countsY ?? ones(sortedY.length) },
    k,
  );
}

/**
 * The Hodges-Lehmann two-sample shift estimate (Hodges & Lehmann 1963): the median of all
 * differences x_i − y_j (mean of the two middle ones when n·m is even). Inputs sorted ascending;
 * counts as for `mannWhitneyOfSorted`.
 */
export function hodgesLehmannOfSorted(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  countsX?: Counts,
  countsY?: Counts,
): number {
  const total = totalOf(sortedX, countsX) * totalOf(sortedY, countsY);
  if (total === 0) return Number.NaN;
  const kth = (k: number) => kthDifference(sortedX, sortedY, k, countsX, countsY);
  if (total % 2 === 1) return kth((total + 1) / 2);
  return (kth(total / 2) + kth(total / 2 + 1)) / 2;
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
  countsX?: Counts,
  countsY?: Counts,
): { lower: number; upper: number } {
  const nx = totalOf(sortedX, countsX);
  const ny = totalOf(sortedY, countsY);
  const total = nx * ny;
  const sigma = Math.sqrt((total * (nx + ny + 1)) / 12);
  // k-th smallest difference is a lower bound with confidence ≈ Φ((nm/2 − k + ½)/σ).
  const k = Math.max(1, Math.floor(total / 2 - normalQuantile(confidence) * sigma + 0.5));
  return {
    lower: kthDifference(sortedX, sortedY, k, countsX, countsY),
    upper: kthDifference(sortedX, sortedY, total + 1 - k, countsX, countsY),
  };
}

/** A linear rank statistic of x in the pooled sample, with its permutation moments. */
export interface LinearRankResult {
  /** Σ over x of the scores of its pooled ranks. */
  statistic: number;
  /** Its mean and variance over all ways to split the pooled sample into arms of these sizes. */
  expected: number;
  variance: number;
  /** Its skewness over those splits (third cumulant ÷ variance^1.5). */
  skewness: number;
  /** (statistic − expected) / √variance; compare it with `skewedCriticalZ`, not a plain normal quantile. */
  z: number;
}

/**
 * The two-sample linear rank statistic Σ_x a(R_i/(N+1)) for a score function a on (0, 1), a tie
 * group sharing the score of its mid-rank, with its exact mean, variance and third cumulant under
 * random splitting of the pooled sample (sampling without replacement; e.g. Hájek, Šidák & Sen,
 * "Theory of Rank Tests", §4.1). A test on it is valid for any shape of distribution — many modes,
 * point masses, ties — because it only uses which arm each pooled rank came from.
 */
export function linearRankTestOfSorted(
  sortedX: ArrayLike<number>,
  sortedY: ArrayLike<number>,
  score: (u: number) => number,
  countsX?: Counts,
  countsY?: Counts,
): LinearRankResult {
  const nx = totalOf(sortedX, countsX);
  const ny = totalOf(sortedY, countsY);
  const n = nx + ny;
  let statistic = 0;
  let sum = 0;
  const groups: { score: number; size: number }[] = [];
  forEachTieGroup(
    sortedX,
    sortedY,
    (inX, inY, below) => {
      const t = inX + inY;
      const a = score((below + (t + 1) / 2) / (n + 1));
      statistic += inX * a;
      sum += t * a;
      groups.push({ score: a, size: t });
    },
    countsX,
    countsY,
  );
  const mean = sum / n;
  let second = 0;
  let third = 0;
  for (const { score: a, size } of groups) {
    second += size * (a - mean) ** 2;
    third += size * (a - mean) ** 3;
  }
  const expected = nx * mean;
  const variance = n > 1 ? ((nx * ny) / (n * (n - 1))) * second : 0;
  const thirdCumulant = n > 2 ? ((nx * ny * (ny - nx)) / (n * (n - 1) * (n - 2))) * third : 0;
  if (!(variance > 0)) return { statistic, expected, variance, skewness: 0, z: 0 };
  const skewness = thirdCumulant / variance ** 1.5;
  return { statistic, expected, variance, skewness, z: (statistic - expected) / Math.sqrt(variance) };
}

/**
 * The critical value of a standardized statistic with this skewness at the level where a normal
 * one's is `normalZ` (Cornish-Fisher, first order: z + γ(z² − 1)/6). Correcting the boundary, not
 * the statistic, keeps the test monotone in the statistic however large it is.
 */
export function skewedCriticalZ(normalZ: number, skewness: number): number {
  return normalZ + (skewness * (normalZ * normalZ - 1)) / 6;
}
