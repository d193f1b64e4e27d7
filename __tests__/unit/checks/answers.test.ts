import { describe, expect, it } from '@jest/globals';
import {
  answersCheck,
  answersNeeded,
  clopperPearsonLower,
  clopperPearsonUpper,
} from '../../../src/checks/answers.ts';
import { falseRevertBudget, type StepEvidence } from '../../../src/checks/check.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import { binomialCdf } from '../../../src/stats/distributions.ts';
import { DEFAULT_GATE } from '../../support/gate.ts';

const GATE = DEFAULT_GATE;

/** The evidence answersCheck reads: the rest of StepEvidence is the arms, which it does not use. */
function evidence(answers: StepEvidence['answers'], look = { index: 4, of: 4 }): StepEvidence {
  return { answers, gate: GATE, look, budget: falseRevertBudget(GATE.confidence) } as StepEvidence;
}

const tally = (compared: number, agreed: number) => ({ compared, agreed, disagreements: [] });

describe('Clopper–Pearson bounds', () => {
  it('solve the binomial tail at the level asked', () => {
    const lower = clopperPearsonLower(95, 100, 0.05);
    expect(1 - binomialCdf(94, 100, lower)).toBeCloseTo(0.05, 9);
    const upper = clopperPearsonUpper(95, 100, 0.01);
    expect(binomialCdf(95, 100, upper)).toBeCloseTo(0.01, 9);
    expect(lower).toBeLessThan(0.95);
    expect(upper).toBeGreaterThan(0.95);
  });

  it('have closed forms at the edges', () => {
    expect(clopperPearsonLower(10, 10, 0.05)).toBeCloseTo(0.05 ** 0.1, 12);
    expect(clopperPearsonLower(0, 10, 0.05)).toBe(0);
    expect(clopperPearsonUpper(10, 10, 0.05)).toBe(1);
  });

  it('need 299 agreeing answers to show 99 % at 95 % confidence', () => {
    expect(answersNeeded(0.99, 0.95)).toBe(299);
    expect(clopperPearsonLower(299, 299, 0.05)).toBeGreaterThanOrEqual(0.99);
    expect(clopperPearsonLower(298, 298, 0.05)).toBeLessThan(0.99);
  });
});

describe('answers check', () => {
  it('does not apply when no answers were compared', () => {
    expect(answersCheck(evidence(undefined))).toBeUndefined();
    expect(answersCheck(evidence({ minAgreement: 0.99 }))).toBeUndefined();
  });

  it('passes when every one of enough paired answers agrees', () => {
    const result = answersCheck(evidence({ minAgreement: 0.99, paired: tally(400, 400) }))!;
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(
      /^answers agree with stable on 100% of 400 requests \(at least 99\.25% ≥ min-agreement 99%\)$/,
    );
    expect(result.figures.comparisons[0]).toMatchObject({
      against: 'stable',
      compared: 400,
      agreed: 400,
      needed: 299,
    });
  });

  it('is inconclusive, never a pass, on too few answers', () => {
    const result = answersCheck(evidence({ minAgreement: 0.99, paired: tally(100, 100) }))!;
    expect(result.outcome).toBe('inconclusive');
    expect(result.reason).toMatch(
      /100 answers compared with stable, too few to show min-agreement 99% \(299 needed\) \(look 4\/4\)/,
    );
    expect(answersCheck(evidence({ minAgreement: 0.99, paired: tally(0, 0) }))!.outcome).toBe('inconclusive');
  });

  it('fails when the agreement is shown below min-agreement', () => {
    const result = answersCheck(evidence({ minAgreement: 0.99, paired: tally(400, 380) }))!;
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(
      /^answers disagree with stable on 5% of requests \(20 of 400; agreement at most 9\d\.\d+% < min-agreement 99%\)/,
    );
  });

  it('holds a few disagreements open rather than failing on them', () => {
    expect(answersCheck(evidence({ minAgreement: 0.99, paired: tally(400, 398) }))!.outcome).toBe(
      'inconclusive',
    );
  });

  it('judges the expected outputs too; the worst comparison decides', () => {
    const result = answersCheck(
      evidence({ minAgreement: 0.99, paired: tally(400, 400), expected: tally(400, 300) }),
    )!;
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/disagree with the expected outputs on 25% of requests/);
    expect(result.figures.comparisons.map((c) => [c.against, c.outcome])).toEqual([
      ['expected', 'fail'],
      ['stable', 'pass'],
    ]);
  });
});

describe('answers in a step', () => {
  const arm = { latenciesMs: Array.from({ length: 400 }, (_, i) => 20 + (i % 10)), errors: 0, requests: 400 };

  it('runs before the latency comparison, and its failure reverts a canary as fast as stable', () => {
    const judged = judgeStep({
      canary: arm,
      stable: arm,
      gate: GATE,
      answers: { minAgreement: 0.99, paired: tally(400, 380) },
    });
    expect(judged.checks.map((check) => check.name)).toEqual([
      'error-rate',
      'latency-limits',
      'answers',
      'latency',
    ]);
    expect(judged.decision).toBe('revert');
    expect(judged.reason).toMatch(/answers disagree with stable on 5% of requests/);
  });

  it('keeps a step from promoting until enough answers agree', () => {
    const early = judgeStep({
      canary: arm,
      stable: arm,
      gate: GATE,
      look: { index: 1, of: 4 },
      answers: { minAgreement: 0.99, paired: tally(50, 50) },
    });
    expect(early.decision).toBe('continue');
    const enough = judgeStep({
      canary: arm,
      stable: arm,
      gate: GATE,
      answers: { minAgreement: 0.99, paired: tally(300, 300) },
    });
    expect(enough.decision).toBe('promote');
  });
});
