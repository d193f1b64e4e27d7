import { describe, expect, it } from '@jest/globals';
import type { StepJudgement } from '../../../src/checks/step.ts';
import { lookSchedule, stepVerdictOf } from '../../../src/stages/analyse.ts';

describe('lookSchedule', () => {
  it('spaces the judge looks evenly up to the planned samples per arm', () => {
    expect(lookSchedule(800, 4)).toEqual([200, 400, 600, 800]);
    expect(lookSchedule(10, 3)).toEqual([3, 7, 10]);
  });
});

describe('stepVerdictOf', () => {
  const verdict = (decision: StepJudgement['decision']) => ({ decision, reason: 'only 40 canary samples' });

  it('passes promote and revert through and resolves inconclusive by on-inconclusive', () => {
    expect(stepVerdictOf(verdict('revert'), 'promote')).toEqual({
      decision: 'revert',
      reason: 'only 40 canary samples',
    });
    expect(stepVerdictOf(verdict('inconclusive'), 'promote').decision).toBe('promote');
    expect(stepVerdictOf(verdict('inconclusive'), 'revert')).toEqual({
      decision: 'revert',
      reason: 'only 40 canary samples; on-inconclusive revert: revert',
    });
    // extend measured once more already; still unclear, stable stays.
    expect(stepVerdictOf(verdict('inconclusive'), 'extend').decision).toBe('revert');
  });
});
