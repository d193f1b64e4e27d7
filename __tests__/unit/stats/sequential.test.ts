import { describe, expect, it } from '@jest/globals';
import { normalQuantile } from '../../../src/stats/distributions.ts';
import { Memo } from '../../../src/stats/memo.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { groupSequentialBoundaries } from '../../../src/stats/sequential.ts';
import { normalSampler } from '../../support/samplers.ts';

describe('group-sequential boundaries', () => {
  it('match the published O’Brien-Fleming-type Lan-DeMets boundaries', () => {
    // Jennison & Turnbull (2000), Table 7.6 / gsDesign sfLDOF: K = 4, one-sided α = 0.025.
    const boundaries = groupSequentialBoundaries(0.025, 4);
    const published = [4.333, 2.963, 2.359, 2.014];
    boundaries.forEach((boundary, look) => expect(Math.abs(boundary - published[look]!)).toBeLessThan(0.004));
    expect(groupSequentialBoundaries(0.01, 1)[0]).toBeCloseTo(normalQuantile(0.99), 6);
  });

  it('come from the memo when one is passed, unchanged', () => {
    const memo = new Memo();
    const kept = groupSequentialBoundaries(0.05, 2, memo);
    expect(kept).toEqual(groupSequentialBoundaries(0.05, 2));
    expect(groupSequentialBoundaries(0.05, 2, memo)).toBe(kept);
    expect(groupSequentialBoundaries(0.05, 1, memo)).not.toBe(kept);
  });

  it('keep the overall false-positive rate at α (seeded Brownian simulation)', () => {
    const alpha = 0.05;
    const boundaries = groupSequentialBoundaries(alpha, 4);
    const normal = normalSampler(xoshiro128(11));
    let crossings = 0;
    const runs = 20000;
    for (let run = 0; run < runs; run++) {
      let sum = 0;
      for (let look = 1; look <= 4; look++) {
        sum += normal();
        if (sum / Math.sqrt(look) >= boundaries[look - 1]!) {
          crossings++;
          break;
        }
      }
    }
    // ±3 standard errors of a 5 % rate over 20,000 runs.
    expect(Math.abs(crossings / runs - alpha)).toBeLessThan(0.0047);
  });
});
