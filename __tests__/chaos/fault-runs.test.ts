/**
 * Canary runs through an API server that answers 429 and 5xx, resets connections (before a
 * request is sent and after the server applied it), answers slowly and drops watches (issue #15):
 * each run reaches the decision a fault-free run of its verdict reaches, and leaves the cluster
 * consistent. fault-runs.ts says how; the reliability benchmark runs twenty at 5 %.
 */
import { describe, expect, it } from '@jest/globals';
import { faultTotal } from '../support/fault-proxy.ts';
import { runFaultRuns } from './fault-runs.ts';

describe('canary runs through an unreliable API server', () => {
  it(
    'decide as without faults and leave stable serving, no canary and no Lease',
    async () => {
      // Fewer runs than the benchmark, at twice its rate, so that every kind of fault is met.
      const { control, runs, faults } = await runFaultRuns(6, 0.1);
      const failed = [...control, ...runs].filter((run) => !run.correct);
      expect(failed.map((run) => run.log)).toEqual([]);
      expect(control.map((run) => run.decision)).toEqual(['promoted', 'reverted']);
      expect(control.map((run) => faultTotal(run.faults))).toEqual([0, 0]);
      // The runs did meet faults, of most kinds (which requests meet which is up to chance).
      const injected = faultTotal(faults);
      expect(injected).toBeGreaterThanOrEqual(10);
      expect(Object.values(faults).filter((count) => count > 0).length).toBeGreaterThanOrEqual(4);
    },
    30 * 60_000,
  );
});
