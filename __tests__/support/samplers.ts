/**
 * Random draws for simulations in tests and benchmarks (bench/suites may import them), from the
 * one seeded uniform source, src/stats/random.ts.
 */
import type { Random } from '../../src/stats/random.ts';

/** Standard normal draws by the Marsaglia polar method, from a uniform source. */
export function normalSampler(random: Random): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * random() - 1;
      v = 2 * random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * factor;
    return u * factor;
  };
}

/** Lognormal draws with the given median and log-scale standard deviation σ. */
export function lognormalSampler(random: Random, median: number, sigma: number): () => number {
  const normal = normalSampler(random);
  const mu = Math.log(median);
  return () => Math.exp(mu + sigma * normal());
}
