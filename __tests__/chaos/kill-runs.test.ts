/**
 * Six of the reliability benchmark's twenty kill points (kill-runs.ts), two of each recovery: the
 * post step after SIGTERM, the next attempt after SIGKILL, and mode cleanup from another workflow
 * after SIGKILL with no post step. The benchmark runs all twenty (`kill_cases_clean`).
 */
import { expect, it } from '@jest/globals';
import { KILL_POINTS, recoveryOf, runKillCases } from './kill-runs.ts';

/** Promotion begun, revert decided, canary Deployment applied, canary scaled down, analysis, stable rolling. */
const CASES = [9, 15, 4, 10, 8, 11];

it('ends every killed run with stable serving and nothing of ours left, whatever follows the kill', async () => {
  expect(CASES.map(recoveryOf)).toEqual(['post', 'post', 'rerun', 'rerun', 'cleanup', 'cleanup']);
  const cases = await runKillCases(CASES);
  const unclean = cases.filter((c) => !c.clean);
  expect(unclean.map((c) => c.log)).toEqual([]);
  // The kills landed in running steps, and mode cleanup did find changes to undo on a Lease.
  expect(cases.filter((c) => c.exitedBeforeKill).map((c) => KILL_POINTS[c.index]!.stage)).toEqual([]);
  const orphans = cases.filter((c) => c.recovery === 'cleanup' && c.pendingAtKill.length > 0);
  expect(orphans.length).toBeGreaterThan(0);
  expect(orphans.every((c) => c.recoveredOrphan)).toBe(true);
}, 900_000);
