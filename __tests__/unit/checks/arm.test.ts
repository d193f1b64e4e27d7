import { describe, expect, it } from '@jest/globals';
import { InvalidSample, type ArmName, type ArmObservations } from '../../../src/checks/arm.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import { DEFAULT_GATE as GATE } from '../../support/gate.ts';

const fine = (): ArmObservations => ({
  latenciesMs: Array.from({ length: 200 }, (_, i) => 10 + (i % 17)),
  errors: 2,
  requests: 202,
});

/** Every kind of observation the judge refuses, and what its message must name. */
const INVALID: [string, (arm: ArmObservations) => ArmObservations, RegExp][] = [
  [
    'a NaN latency',
    (arm) => ({ ...arm, latenciesMs: [...Array.from(arm.latenciesMs), Number.NaN] }),
    /latency #200 is NaN ms/,
  ],
  [
    'an infinite latency',
    (arm) => ({ ...arm, latenciesMs: [Number.POSITIVE_INFINITY, ...Array.from(arm.latenciesMs)] }),
    /latency #0 is Infinity ms/,
  ],
  [
    'a −∞ latency',
    (arm) => ({ ...arm, latenciesMs: [Number.NEGATIVE_INFINITY] }),
    /latency #0 is -Infinity ms/,
  ],
  ['a negative latency', (arm) => ({ ...arm, latenciesMs: [12, -3] }), /latency #1 is -3 ms/],
  ['negative errors', (arm) => ({ ...arm, errors: -1 }), /errors is -1; it must be a whole number ≥ 0/],
  ['fractional errors', (arm) => ({ ...arm, errors: 1.5 }), /errors is 1\.5/],
  ['NaN errors', (arm) => ({ ...arm, errors: Number.NaN }), /errors is NaN/],
  ['negative requests', (arm) => ({ ...arm, requests: -5 }), /requests is -5/],
  ['NaN requests', (arm) => ({ ...arm, requests: Number.NaN }), /requests is NaN/],
  ['fractional requests', (arm) => ({ ...arm, requests: 202.5 }), /requests is 202\.5/],
  ['infinite requests', (arm) => ({ ...arm, requests: Number.POSITIVE_INFINITY }), /requests is Infinity/],
  ['more errors than requests', (arm) => ({ ...arm, errors: 300 }), /errors \(300\) exceed requests \(202\)/],
];

describe('judgeStep refuses observations that cannot be measurements', () => {
  for (const armName of ['canary', 'stable'] as ArmName[]) {
    it.each(INVALID)(`${armName} with %s`, (_kind, spoil, message) => {
      const arms = { canary: fine(), stable: fine(), [armName]: spoil(fine()) };
      const judge = () => judgeStep({ ...arms, gate: GATE });
      expect(judge).toThrow(InvalidSample);
      expect(judge).toThrow(message);
      expect(judge).toThrow(new RegExp(`^${armName} arm: `));
      try {
        judge();
      } catch (error) {
        expect((error as InvalidSample).arm).toBe(armName);
      }
    });
  }

  it('accepts 0 ms, and an arm with no requests', () => {
    const canary = { ...fine(), latenciesMs: [0, ...Array.from(fine().latenciesMs)], requests: 203 };
    expect(() => judgeStep({ canary, stable: fine(), gate: GATE })).not.toThrow();
    expect(() =>
      judgeStep({ canary: { latenciesMs: [], errors: 0, requests: 0 }, gate: GATE }),
    ).not.toThrow();
  });

  it('refuses a NaN in a summarized arm (above EXACT_SAMPLE_LIMIT) too', () => {
    const latenciesMs = new Float64Array(30_000).fill(20);
    latenciesMs[29_999] = Number.NaN;
    const canary = { latenciesMs, errors: 0, requests: 30_000 };
    expect(() => judgeStep({ canary, stable: fine(), gate: GATE })).toThrow(
      /canary arm: latency #29999 is NaN/,
    );
  });
});
