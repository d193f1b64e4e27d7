import { describe, expect, it } from '@jest/globals';
import {
  armValue,
  metricCheck,
  metricChecks,
  type ArmReading,
  type MetricEvidence,
  type MetricReading,
} from '../../../src/checks/metrics.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import type { MetricCheckSpec } from '../../../src/metrics/spec.ts';
import { DEFAULT_GATE as GATE } from '../../support/gate.ts';

const FINAL = { look: { index: 4, of: 4 }, budget: 0.01, windowSeconds: 60 };
const EARLY = { ...FINAL, look: { index: 2, of: 4 } };

const check = (fields: Partial<MetricCheckSpec>): MetricCheckSpec => ({
  name: 'queue',
  query: 'avg(q{ {{ selector }} })',
  ifPresent: false,
  source: 'metrics-checks item 1',
  ...fields,
});
const values = (...numbers: number[]): ArmReading => ({
  query: 'q',
  series: numbers.map((value, i) => ({ labels: { pod: `p${i}` }, value })),
});
const reading = (spec: MetricCheckSpec, canary: ArmReading, stable?: ArmReading): MetricReading => ({
  check: spec,
  canary,
  ...(stable !== undefined ? { stable } : {}),
  history: [],
});

/** Histogram buckets of `values` at 5 % apart edges, as series with `le`. */
function buckets(values: readonly number[]): ArmReading {
  const edges = Array.from({ length: 120 }, (_, k) => +(0.001 * 1.05 ** k).toPrecision(4));
  return {
    query: 'b',
    series: [...edges, Number.POSITIVE_INFINITY].map((le) => ({
      labels: { le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le) },
      value: values.filter((v) => v <= le).length,
    })),
  };
}
const EVEN = Array.from({ length: 2000 }, (_, i) => 0.01 + (0.01 * i) / 1999);

describe('metric check: plain values', () => {
  it.each([
    ['within max', { max: 2 }, values(1.5), undefined, FINAL, 'pass', /canary 1.5 over 60s, within ≤ 2/],
    [
      'above max at the last look',
      { max: 2 },
      values(2.5),
      undefined,
      FINAL,
      'fail',
      /canary 2.5 is above max 2 over 60s/,
    ],
    [
      'above max before the last look',
      { max: 2 },
      values(2.5),
      undefined,
      EARLY,
      'inconclusive',
      /so far \(look 2\/4\), looking again/,
    ],
    [
      'the worst pod above max',
      { max: 2 },
      values(1, 3),
      undefined,
      FINAL,
      'fail',
      /canary 3 is above max 2/,
    ],
    ['below min', { min: 1 }, values(0.5, 2), undefined, FINAL, 'fail', /canary 0.5 is below min 1/],
    ['ratio within', { maxRatio: 1.5 }, values(1.2), values(1), FINAL, 'pass', /canary 1.2, stable 1/],
    ['ratio above', { maxRatio: 1.5 }, values(2), values(1), FINAL, 'fail', /is 2.00×, above max-ratio 1.5/],
    [
      'ratio over a stable of 0',
      { maxRatio: 1.5 },
      values(1),
      values(0),
      FINAL,
      'fail',
      /above a stable of 0/,
    ],
    ['both 0', { maxRatio: 1.5 }, values(0), values(0), FINAL, 'pass', /within/],
    [
      'increase above',
      { maxIncrease: 1, unit: 'requests' },
      values(3),
      values(1),
      FINAL,
      'fail',
      /2 requests more, above max-increase 1 requests/,
    ],
    [
      'a tiny canary value ignored',
      { maxRatio: 1.5, ignoreBelow: 0.001 },
      values(0.0008),
      values(0.0001),
      FINAL,
      'pass',
      /at or below ignore-below/,
    ],
  ] as const)('%s', (_, bounds, canary, stable, look, outcome, reason) => {
    const result = metricCheck(reading(check(bounds), canary, stable), look)!;
    expect(result.outcome).toBe(outcome);
    expect(result.reason).toMatch(reason);
    expect(result.name).toBe('metric:queue');
    expect(result.figures.outcome).toBe(outcome);
  });

  it('is inconclusive, naming the query, when an arm returned nothing or only NaN, and never passes', () => {
    const empty = metricCheck(reading(check({ max: 1 }), { query: 'avg(q{a})', series: [] }), FINAL)!;
    expect([empty.outcome, empty.reason]).toEqual([
      'inconclusive',
      'queue: the query for canary it returned nothing: avg(q{a})',
    ]);
    const nan = metricCheck(reading(check({ maxRatio: 2 }), values(1), values(Number.NaN)), FINAL)!;
    expect(nan.outcome).toBe('inconclusive');
    expect(nan.reason).toMatch(/for stable it returned only NaN/);
  });

  it('is inconclusive with the server’s error when the query failed', () => {
    const failed = metricCheck(
      reading(check({ max: 1 }), { query: 'q', error: 'metrics server: could not connect to http://p:9090' }),
      FINAL,
    )!;
    expect([failed.outcome, failed.reason]).toEqual([
      'inconclusive',
      'queue: metrics server: could not connect to http://p:9090',
    ]);
  });

  it('is left out when if-present and absent from both arms, or comparing on a first deployment', () => {
    const absent = { query: 'q', series: [] };
    expect(
      metricCheck(reading(check({ maxRatio: 1.2, ifPresent: true }), absent, absent), FINAL),
    ).toBeUndefined();
    expect(metricCheck(reading(check({ maxRatio: 1.2 }), values(3)), FINAL)).toBeUndefined();
    // An absolute bound still holds on a first deployment.
    expect(metricCheck(reading(check({ maxRatio: 1.2, max: 2 }), values(3)), FINAL)?.outcome).toBe('fail');
  });
});

describe('metric check: histogram quantiles, bucket-aware', () => {
  const p95 = check({ query: 'b{ {{ selector }} }', quantile: 0.95, maxRegression: 0.1, unit: 's' });

  it('passes alike arms and fails a doubled canary at once, before the last look', () => {
    expect(metricCheck(reading(p95, buckets(EVEN), buckets(EVEN)), EARLY)?.outcome).toBe('pass');
    const doubled = metricCheck(reading(p95, buckets(EVEN.map((v) => 2 * v)), buckets(EVEN)), EARLY)!;
    expect(doubled.outcome).toBe('fail');
    expect(doubled.reason).toMatch(
      /canary p95 0.039\d* s is above stable's 0.019\d* s beyond max-regression 10% even at the buckets' edges/,
    );
    expect(doubled.figures.histogram?.canary?.upper).toBeGreaterThan(0.038);
  });

  it('says when the buckets are too coarse to resolve max-regression', () => {
    const coarse = (values: readonly number[]): ArmReading => ({
      query: 'b',
      series: [0.01, 0.025, 0.05, Number.POSITIVE_INFINITY].map((le) => ({
        labels: { le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le) },
        value: values.filter((v) => v <= le).length,
      })),
    });
    const result = metricCheck(reading(p95, coarse(EVEN.map((v) => v * 1.3)), coarse(EVEN)), FINAL)!;
    expect(result.outcome).toBe('inconclusive');
    expect(result.reason).toMatch(
      /the buckets cannot resolve max-regression 10%: canary p95 in bucket \(0.025, 0.05\], stable's in \(0.01, 0.025\]/,
    );
    expect(result.figures.histogram?.coarse).toBe(true);
  });

  it('reads a query without le labels as a mistake, not as no data', () => {
    expect(armValue(p95, [{ labels: {}, value: 1 }], 0.99).missing).toMatch(/without an le label/);
  });
});

describe('metric checks in a step', () => {
  const latencies = Array.from({ length: 2000 }, (_, i) => 20 * Math.exp(0.3 * Math.sin(i * 12.9898)));
  const arm = { latenciesMs: latencies, errors: 0, requests: latencies.length };
  const queue = check({ maxRatio: 1.5 });
  const evidence = (canary: number): MetricEvidence => ({
    server: 'http://prometheus:9090',
    checks: [queue],
    at: 1_800_000_000,
    windowSeconds: 60,
    readings: [reading(queue, values(canary), values(1))],
  });

  it('reverts a canary the probe finds as fast as stable when its metric check fails', () => {
    const judgement = judgeStep({ canary: arm, stable: arm, gate: GATE, metrics: evidence(2.1) });
    expect(judgement.decision).toBe('revert');
    expect(judgement.reason).toMatch(/^queue: canary 2.1 against stable 1 is 2.10×, above max-ratio 1.5/);
  });

  it('promotes when it passes, and never before its first evaluation', () => {
    expect(judgeStep({ canary: arm, stable: arm, gate: GATE, metrics: evidence(1.1) }).decision).toBe(
      'promote',
    );
    const waiting = judgeStep({
      canary: arm,
      stable: arm,
      gate: GATE,
      look: { index: 4, of: 4 },
      metrics: { server: 'http://prometheus:9090', checks: [queue], readings: [] },
    });
    expect(waiting.decision).toBe('inconclusive');
    expect(waiting.reason).toMatch(/not evaluated yet \(the first query to http:\/\/prometheus:9090/);
  });

  it('tells a failed server once and refers to it after', () => {
    const down = { query: 'q', error: 'metrics server: could not connect to http://prometheus:9090' };
    const second = check({ name: 'memory', max: 1 });
    const results = metricChecks({
      metrics: {
        server: 'http://prometheus:9090',
        checks: [queue, second],
        at: 1,
        windowSeconds: 60,
        readings: [reading(queue, down, down), reading(second, down, down)],
      },
      look: FINAL.look,
      budget: 0.01,
    } as never)!;
    expect(results.map((r) => r.reason)).toEqual([
      'queue: metrics server: could not connect to http://prometheus:9090',
      "memory: its query failed as queue's did",
    ]);
  });
});
