/**
 * Five runs started together on one target never change it at the same time (issue #15): each
 * completes, one after another under the target's Lease, and a run that found the Lease held says
 * that it waited. concurrent-runs.ts says how the writes are watched and attributed.
 */
import { describe, expect, it } from '@jest/globals';
import { runConcurrentRuns } from './concurrent-runs.ts';

describe('five runs started together on one target', () => {
  it(
    'change it one at a time, each completing or saying that it waited',
    async () => {
      const { runs, interleavings, logs } = await runConcurrentRuns(5);
      const completed = (run: (typeof runs)[number]) => run.code === 0 && run.decided;
      // A run that waited its bound for the Lease stops saying so; every other one completes.
      expect([runs.filter((run) => !completed(run) && !run.gaveUp).map((run) => run.holder), logs]).toEqual([
        [],
        logs,
      ]);
      // The watch saw each run that completed write, and the Lease was contended.
      expect([
        runs.filter((run) => completed(run) && run.writes === 0).map((run) => run.holder),
        logs,
      ]).toEqual([[], logs]);
      expect(runs.filter((run) => run.waited).length).toBeGreaterThan(0);
      // In the API server's order, each run's writes all come after the previous run's last.
      const windows = runs.flatMap((run) => (run.window ? [run.window] : [])).sort((a, b) => a[0] - b[0]);
      const overlapping = windows.filter((window, index) => index > 0 && window[0] < windows[index - 1]![1]);
      expect([overlapping, logs]).toEqual([[], logs]);
      expect(interleavings).toBe(0);
    },
    20 * 60_000,
  );
});
