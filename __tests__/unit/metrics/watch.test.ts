import { describe, expect, it } from '@jest/globals';
import { evaluationIntervalMs, MetricsWatch } from '../../../src/metrics/watch.ts';
import { describePrometheusFailure, type Series } from '../../../src/metrics/prometheus.ts';
import type { MetricCheckSpec } from '../../../src/metrics/spec.ts';

const CHECK: MetricCheckSpec = {
  name: 'queue',
  query: 'avg(q{ {{ selector }} }[{{ window }}])',
  maxRatio: 1.5,
  ifPresent: false,
  source: 'metrics-checks item 1',
};
const ARMS = {
  canary: { namespace: 'ml', target: 'chat', track: 'canary' as const, deployment: 'chat-canary' },
  stable: { namespace: 'ml', target: 'chat', track: 'stable' as const, deployment: 'chat' },
};

/** A metrics server that answers from `answer` and records what it was asked. */
function server(answer: (query: string) => Series[]) {
  const asked: { query: string; at: number }[] = [];
  return {
    asked,
    client: {
      url: 'http://prometheus:9090',
      query: async (query: string, at: number) => {
        asked.push({ query, at });
        return answer(query);
      },
    },
  };
}

describe('MetricsWatch', () => {
  it('asks for each arm over the window so far and keeps each evaluation in the history', async () => {
    let nowMs = 1_000_000;
    const { asked, client } = server((query) => [{ labels: {}, value: query.includes('"canary"') ? 2 : 1 }]);
    const watch = new MetricsWatch({
      client,
      checks: [CHECK],
      arms: ARMS,
      windowStartMs: nowMs,
      intervalMs: 2000,
      confidence: 0.99,
      now: () => nowMs,
    });
    expect(watch.latest()).toEqual({ server: 'http://prometheus:9090', checks: [CHECK], readings: [] });
    nowMs += 30_000;
    await watch.refresh();
    nowMs += 15_000;
    const evidence = await watch.refresh();
    expect(asked.map((a) => a.query)).toEqual([
      expect.stringMatching(/model_canary_dev_track="canary".*\[30s\]/),
      expect.stringMatching(/model_canary_dev_track="stable".*\[30s\]/),
      expect.stringMatching(/model_canary_dev_track="canary".*\[45s\]/),
      expect.stringMatching(/model_canary_dev_track="stable".*\[45s\]/),
    ]);
    expect(asked[3]!.at).toBe(1045);
    expect(evidence).toMatchObject({ at: 1045, windowSeconds: 45 });
    expect(evidence.readings[0]!.history).toEqual([
      { at: 1030, windowSeconds: 30, canary: 2, stable: 1 },
      { at: 1045, windowSeconds: 45, canary: 2, stable: 1 },
    ]);
  });

  it('keeps a failed query as its error, not the earlier values, and asks only the canary on a first deployment', async () => {
    let up = true;
    const { asked, client } = server(() => {
      if (!up)
        throw describePrometheusFailure('http://prometheus:9090', 'q', {
          error: new Error('socket hang up'),
        });
      return [{ labels: {}, value: 1 }];
    });
    const logged: string[] = [];
    const watch = new MetricsWatch({
      client,
      checks: [CHECK],
      arms: { canary: ARMS.canary },
      windowStartMs: 0,
      intervalMs: 2000,
      confidence: 0.99,
      now: () => 60_000,
      log: (line) => logged.push(line),
    });
    await watch.refresh();
    up = false;
    const evidence = await watch.refresh();
    expect(asked).toHaveLength(2);
    expect(evidence.readings[0]!.canary).toMatchObject({
      error: expect.stringMatching(/could not reach http:\/\/prometheus:9090/),
    });
    expect(evidence.readings[0]!.stable).toBeUndefined();
    expect(evidence.readings[0]!.history.map((point) => point.canary)).toEqual([1, undefined]);
    expect(logged).toEqual([
      expect.stringMatching(/^metrics: 1 query\(ies\) failed; first: metrics server: could not reach/),
    ]);
  });

  it.each([
    [15_000, 4, 2000],
    [60_000, 4, 7500],
    [3_600_000, 4, 15_000],
  ])('evaluates a %p ms window of %p looks every %p ms', (durationMs, looks, interval) => {
    expect(evaluationIntervalMs(durationMs, looks)).toBe(interval);
  });
});
