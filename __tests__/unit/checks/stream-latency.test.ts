import { describe, expect, it } from '@jest/globals';
import { InvalidSample, type ArmObservations, type StreamObservations } from '../../../src/checks/arm.ts';
import { falseRevertBudget, type CheckResult } from '../../../src/checks/check.ts';
import type { LatencyFigures } from '../../../src/checks/latency-judge.ts';
import { judgeStep, warmChecks, type JudgeInput } from '../../../src/checks/step.ts';
import { Memo } from '../../../src/stats/memo.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { normalSampler } from '../../support/samplers.ts';
import { DEFAULT_GATE } from '../../support/gate.ts';

/** Lognormal times with median `medianMs` (σ 0.3 on the log scale), seeded. */
function times(seed: number, n: number, medianMs: number): number[] {
  const normal = normalSampler(xoshiro128(seed));
  return Array.from({ length: n }, () => medianMs * Math.exp(0.3 * normal()));
}

/**
 * An arm of `n` streamed answers: TTFT around `ttftMs`, 15 tokens at `tpotMs` each after it, the
 * latency their sum; `seed` makes each arm its own sample.
 */
function streamedArm(seed: number, n: number, ttftMs: number, tpotMs: number): ArmObservations {
  const ttft = times(seed, n, ttftMs);
  const tpot = times(seed + 1000, n, tpotMs);
  const stream: StreamObservations = {
    streams: n,
    withoutToken: 0,
    tokensFromUsage: n,
    ttftMs: ttft,
    tpotMs: tpot,
    outputTokensPerSecond: tpot.map((ms) => 1000 / ms),
  };
  return { latenciesMs: ttft.map((first, i) => first + 15 * tpot[i]!), errors: 0, requests: n, stream };
}

const memo = new Memo();

/** The same arm as if its requests had not been streamed. */
function unstreamed(arm: ArmObservations): ArmObservations {
  const plain = { ...arm };
  delete plain.stream;
  return plain;
}

function judge(
  canary: ArmObservations,
  stable: ArmObservations | undefined,
  overrides: Partial<JudgeInput> = {},
) {
  return judgeStep({ canary, ...(stable ? { stable } : {}), gate: DEFAULT_GATE, memo, ...overrides });
}

function check(judgement: ReturnType<typeof judge>, name: string) {
  return judgement.checks.find((result) => result.name === name) as
    CheckResult<string, LatencyFigures> | undefined;
}

describe('checks ttft and tpot', () => {
  it('run before the end-to-end latency, only when both arms were probed with streams', () => {
    const streamed = judge(streamedArm(1, 300, 80, 20), streamedArm(2, 300, 80, 20));
    expect(streamed.checks.map((result) => result.name)).toEqual([
      'error-rate',
      'latency-limits',
      'ttft',
      'tpot',
      'latency',
    ]);
    expect(streamed.decision).toBe('promote');
    expect(
      judge(unstreamed(streamedArm(1, 300, 80, 20)), unstreamed(streamedArm(2, 300, 80, 20))).checks.map(
        (result) => result.name,
      ),
    ).not.toContain('ttft');
    // A first deployment has nothing to compare the tokens with.
    expect(judge(streamedArm(1, 300, 80, 20), undefined).checks.map((result) => result.name)).toEqual([
      'error-rate',
      'latency-limits',
      'latency',
    ]);
  });

  it('revert a canary whose tokens come 30 % slower through TPOT, while its TTFT passes', () => {
    const judgement = judge(streamedArm(3, 300, 80, 26), streamedArm(4, 300, 80, 20));
    expect(judgement.decision).toBe('revert');
    expect(check(judgement, 'ttft')!.outcome).toBe('pass');
    expect(check(judgement, 'tpot')!.outcome).toBe('fail');
    expect(judgement.reason).toMatch(/^canary TPOT .*above max-regression-tpot 10%/);
  });

  it('revert a canary whose first token comes 30 % later through TTFT, while its TPOT passes', () => {
    const judgement = judge(streamedArm(5, 300, 104, 20), streamedArm(6, 300, 80, 20));
    expect(judgement.decision).toBe('revert');
    expect(check(judgement, 'ttft')!.outcome).toBe('fail');
    expect(check(judgement, 'tpot')!.outcome).toBe('pass');
    expect(judgement.reason).toMatch(/^canary TTFT .*above max-regression-ttft 10%/);
  });

  it('hold each time to its own bound', () => {
    const gate = { ...DEFAULT_GATE, maxRegressionTpot: 0.6 };
    const judgement = judge(streamedArm(3, 300, 80, 26), streamedArm(4, 300, 80, 20), { gate });
    expect(check(judgement, 'tpot')!.outcome).toBe('pass');
    expect(check(judgement, 'tpot')!.reason).toMatch(/within max-regression-tpot 60%/);
    expect(check(judgement, 'tpot')!.figures.maxRegression).toBe(0.6);
  });

  it('are inconclusive on too few answers of 2 tokens or more, like the latency on too few requests', () => {
    const short = (seed: number): ArmObservations => {
      const arm = streamedArm(seed, 300, 80, 20);
      return { ...arm, stream: { ...arm.stream!, tpotMs: times(seed, 40, 20) } };
    };
    const judgement = judge(short(7), short(8));
    expect(check(judgement, 'tpot')).toMatchObject({
      outcome: 'inconclusive',
      reason:
        'only 40 canary and 40 stable streamed answers of 2 tokens or more; need 100 per arm (look 1/1)',
    });
    expect(judgement.decision).toBe('inconclusive');
  });

  it('share the false-revert budget with the latency comparison', () => {
    const budget = falseRevertBudget(DEFAULT_GATE.confidence);
    const streamed = judge(streamedArm(1, 300, 80, 20), streamedArm(2, 300, 80, 20));
    for (const name of ['ttft', 'tpot', 'latency']) {
      expect(check(streamed, name)!.figures.falseRevertBudget).toBeCloseTo(budget / 3, 15);
    }
    const plain = judge(unstreamed(streamedArm(1, 300, 80, 20)), unstreamed(streamedArm(2, 300, 80, 20)));
    expect(check(plain, 'latency')!.figures.falseRevertBudget).toBe(budget);
  });

  it('give each arm its TTFT, TPOT and output tokens/s figures', () => {
    const judgement = judge(streamedArm(1, 301, 80, 20), streamedArm(2, 301, 80, 25));
    const { canary, stable } = judgement.arms;
    expect(canary.stream).toMatchObject({ streams: 301, withoutToken: 0, tokensFromUsage: 301 });
    expect(canary.stream!.ttft.n).toBe(301);
    expect(canary.stream!.ttft.p50Ms).toBeGreaterThan(70);
    expect(canary.stream!.ttft.p50Ms).toBeLessThan(90);
    expect(stable!.stream!.tpot.p50Ms).toBeGreaterThan(22);
    expect(stable!.stream!.tpot.p50Ms).toBeLessThan(28);
    // The median answer's rate is the inverse of its time per token.
    expect(canary.stream!.outputTokensPerSecond.p50).toBeCloseTo(1000 / canary.stream!.tpot.p50Ms, 0);
  });

  it('refuse token times that cannot be measurements', () => {
    const arm = streamedArm(1, 300, 80, 20);
    const broken = {
      ...arm,
      stream: { ...arm.stream!, ttftMs: [...(arm.stream!.ttftMs as number[]), Number.NaN] },
    };
    expect(() => judge(broken, arm)).toThrow(InvalidSample);
    expect(() => judge(broken, arm)).toThrow(/TTFT #300 is NaN/);
  });

  it('find their group-sequential boundaries warmed before the load', () => {
    const computed: string[] = [];
    const counting = new (class extends Memo {
      override get<T>(key: string, compute: () => T): T {
        return super.get(key, () => {
          computed.push(key);
          return compute();
        });
      }
    })();
    warmChecks(DEFAULT_GATE, 4, counting);
    const before = computed.length;
    for (let index = 1; index <= 4; index++) {
      judgeStep({
        canary: streamedArm(1, 300, 80, 21),
        stable: streamedArm(2, 300, 80, 20),
        gate: DEFAULT_GATE,
        look: { index, of: 4 },
        memo: counting,
      });
    }
    expect(computed.slice(before).filter((key) => key.startsWith('group-sequential-boundaries'))).toEqual([]);
  });
});
