/**
 * Group-sequential boundaries: the critical z values of a one-sided test looked at several times,
 * so that the looks together keep the asked false-positive probability. Pure.
 */
import { normalCdf, normalDensity, normalQuantile } from './distributions.ts';
import type { Memo } from './memo.ts';

/**
 * One-sided critical z values for `looks` equally spaced analyses whose overall false-positive
 * probability is `alpha`, spent by the Lan-DeMets O'Brien-Fleming-type function
 * α(t) = 2 − 2Φ(z_{1−α/2}/√t) (Lan & DeMets, Biometrika 1983). Each boundary solves
 * P(no earlier crossing, crossing at look k) = α(t_k) − α(t_{k−1}) for a Brownian motion,
 * by numerical integration on a grid (Armitage, McPherson & Rowe 1969; Jennison & Turnbull ch. 19).
 * Early boundaries are very high, so early stops need overwhelming evidence and the last look
 * keeps nearly the full α. It takes milliseconds, and the checks ask for the same few (α, looks) at
 * every look: a caller that asks again passes a `memo`.
 */
export function groupSequentialBoundaries(alpha: number, looks: number, memo?: Memo): readonly number[] {
  if (memo === undefined) return boundariesOf(alpha, looks);
  return memo.get(`group-sequential-boundaries:${alpha}:${looks}`, () => boundariesOf(alpha, looks));
}

function boundariesOf(alpha: number, looks: number): readonly number[] {
  const zHalf = normalQuantile(1 - alpha / 2);
  const spent = (t: number) => 2 * (1 - normalCdf(zHalf / Math.sqrt(t)));
  const step = 0.01;
  // Sub-density of the Brownian motion W(t) on the continuation region, on a grid.
  let grid = new Float64Array(0);
  let density = new Float64Array(0);
  const boundaries: number[] = [];
  let spentSoFar = 0;
  let previousTime = 0;
  for (let look = 1; look <= looks; look++) {
    const time = look / looks;
    const incrementSd = Math.sqrt(time - previousTime);
    const crossing = (z: number) => {
      const level = z * Math.sqrt(time);
      if (look === 1) return normalCdf(-level / incrementSd);
      let total = 0;
      for (let i = 0; i < grid.length; i++)
        total += density[i]! * normalCdf((grid[i]! - level) / incrementSd);
      return total * step;
    };
    const target = spent(time) - spentSoFar;
    let low = 0;
    let high = 40;
    for (let iteration = 0; iteration < 80; iteration++) {
      const middle = (low + high) / 2;
      if (crossing(middle) > target) low = middle;
      else high = middle;
    }
    const boundary = (low + high) / 2;
    boundaries.push(boundary);
    spentSoFar += crossing(boundary);
    if (look < looks) {
      const level = boundary * Math.sqrt(time);
      const bottom = -10 * Math.sqrt(time);
      const points = Math.max(1, Math.ceil((level - bottom) / step));
      const nextGrid = new Float64Array(points);
      const nextDensity = new Float64Array(points);
      // Both grids have the same spacing, so w_p − g_i depends on p − i only: the normal kernel is
      // evaluated once per difference instead of once per pair (the convolution was the whole cost).
      const previous = grid.length;
      const offset = previous > 0 ? bottom - grid[0]! + 0.5 * step : 0;
      const kernel = new Float64Array(points + previous);
      for (let d = 1 - previous; d < points; d++) {
        kernel[d + previous - 1] = normalDensity((offset + d * step) / incrementSd);
      }
      for (let p = 0; p < points; p++) {
        const w = bottom + (p + 0.5) * step;
        nextGrid[p] = w;
        if (look === 1) {
          nextDensity[p] = normalDensity(w / incrementSd) / incrementSd;
        } else {
          let sum = 0;
          for (let i = 0; i < previous; i++) sum += density[i]! * kernel[p - i + previous - 1]!;
          nextDensity[p] = (sum * step) / incrementSd;
        }
      }
      grid = nextGrid;
      density = nextDensity;
    }
    previousTime = time;
  }
  return boundaries;
}
