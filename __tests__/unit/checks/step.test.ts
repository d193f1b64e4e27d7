import { describe, expect, it } from '@jest/globals';
import type { ArmObservations } from '../../../src/checks/arm.ts';
import { MIN_SAMPLES_PER_ARM, falseRevertBudget } from '../../../src/checks/check.ts';
import { MIN_ERRORS_FOR_RATE } from '../../../src/checks/error-rate.ts';
import {
  EXCEEDANCE_SIGNAL_SHARE,
  SHIFT_SIGNAL_SHARE,
  TAIL_SIGNAL_SHARE,
} from '../../../src/checks/latency-judge.ts';
import {
  judgeStep,
  latencyFiguresOf,
  warmChecks,
  type JudgeInput,
  type StepJudgement,
} from '../../../src/checks/step.ts';
import type { Settings } from '../../../src/inputs/settings.ts';
import { normalQuantile } from '../../../src/stats/distributions.ts';
import { latencyPercentiles } from '../../../src/stats/latency-percentiles.ts';
import { Memo } from '../../../src/stats/memo.ts';
import { xoshiro128 } from '../../../src/stats/random.ts';
import { lognormalSampler, normalSampler } from '../../support/samplers.ts';

const DEFAULT_GATE: Settings['gate'] = {
  maxErrorRate: 0.01,
  maxRegression: 0.1,
  maxRegressionTtft: 0.1,
  maxRegressionTpot: 0.1,
  regressionQuantile: 0.95,
  confidence: 0.95,
  onInconclusive: 'revert',
};

/** Lognormal latencies (median 20 ms), optionally transformed on the log scale per standard normal z. */
function latencies(
  seed: number,
  n: number,
  sigma = 0.5,
  transform = (logLatency: number, _z: number) => logLatency,
) {
  const normal = normalSampler(xoshiro128(seed));
  return Array.from({ length: n }, () => {
    const z = normal();
    return Math.exp(transform(Math.log(20) + sigma * z, z));
  });
}

function arm(latenciesMs: number[], errors = 0): ArmObservations {
  return { latenciesMs, errors, requests: latenciesMs.length + errors };
}

/** Shared by the tests, as an analysis shares one across looks: thousands of judgements of few sizes. */
const memo = new Memo();

function judge(
  canary: ArmObservations,
  stable: ArmObservations | undefined,
  overrides: Partial<JudgeInput> = {},
) {
  return judgeStep({ canary, ...(stable ? { stable } : {}), gate: DEFAULT_GATE, memo, ...overrides });
}

/** The latency comparison's figures; every judgement with a stable arm has them. */
function latency(judgement: StepJudgement) {
  const figures = latencyFiguresOf(judgement);
  if (figures === undefined) throw new Error('the latency check did not run');
  return figures;
}

describe('judgeStep: relative regression', () => {
  it('reverts a clear whole-distribution slow-down and says by how much', () => {
    const verdict = judge(arm(latencies(1, 800).map((v) => v * 1.3)), arm(latencies(2, 800)));
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/above max-regression 10%/);
    expect(latency(verdict).shift!.ratio).toBeGreaterThan(1.2);
    expect(latency(verdict).shift!.ratio).toBeLessThan(1.4);
    expect(latency(verdict).shift!.significant).toBe(true);
    expect(verdict.reason).not.toMatch(/\n/);
  });

  it('reverts a tail-only regression (median unchanged, p95 +25 %) through the tail signal', () => {
    const slope = Math.log(1.25) / normalQuantile(0.95);
    const canary = latencies(3, 1600, 0.5, (y, z) => y + slope * Math.max(0, z));
    const verdict = judge(arm(canary), arm(latencies(4, 1600)));
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/^canary tail \(p95\) is 1\.\d\d× stable's/);
    expect(latency(verdict).tail!.significant).toBe(true);
    expect(latency(verdict).shift!.ratio).toBeLessThan(1.1);
  });

  it('promotes an A/A comparison', () => {
    const verdict = judge(arm(latencies(5, 800)), arm(latencies(6, 800)));
    expect(verdict.decision).toBe('promote');
    expect(verdict.reason).toMatch(/^canary within max-regression 10% of stable/);
    expect(latency(verdict).tail!.significant).toBe(false);
    expect(latency(verdict).shift!.significant).toBe(false);
  });

  it('promotes a real but tolerated 3 % slow-down', () => {
    const verdict = judge(arm(latencies(7, 20000).map((v) => v * 1.03)), arm(latencies(8, 20000)));
    expect(latency(verdict).shift!.significant).toBe(true);
    expect(verdict.decision).toBe('promote');
    expect(verdict.reason).toMatch(/^canary slower but within max-regression 10%/);
  });

  it('lets max-regression set the tolerance', () => {
    const canary = arm(latencies(9, 1600).map((v) => v * 1.15));
    const stable = arm(latencies(10, 1600));
    expect(judge(canary, stable).decision).toBe('revert');
    expect(judge(canary, stable, { gate: { ...DEFAULT_GATE, maxRegression: 0.3 } }).decision).toBe('promote');
  });

  it('a faster canary is promoted', () => {
    expect(judge(arm(latencies(11, 800).map((v) => v * 0.7)), arm(latencies(12, 800))).decision).toBe(
      'promote',
    );
  });
});

describe('judgeStep: looks and sample size', () => {
  it('stops at look 1 of 4 for a huge regression', () => {
    const verdict = judge(arm(latencies(13, 200).map((v) => v * 2)), arm(latencies(14, 200)), {
      look: { index: 1, of: 4 },
    });
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/look 1\/4/);
    expect(verdict.look.index).toBe(1);
    expect(verdict.look.of).toBe(4);
  });

  it('continues at an early look when a moderate slow-down is not yet certain', () => {
    const verdict = judge(arm(latencies(15, 150).map((v) => v * 1.12)), arm(latencies(16, 150)), {
      look: { index: 1, of: 4 },
    });
    expect(verdict.decision).toBe('continue');
    // The same data at the last look must decide.
    expect(['promote', 'revert']).toContain(
      judge(arm(latencies(15, 150).map((v) => v * 1.12)), arm(latencies(16, 150))).decision,
    );
  });

  it('early looks need stronger evidence than the last one', () => {
    const verdict = judge(arm(latencies(17, 400)), arm(latencies(18, 400)), { look: { index: 1, of: 4 } });
    const last = judge(arm(latencies(17, 400)), arm(latencies(18, 400)), { look: { index: 4, of: 4 } });
    expect(latency(verdict).tail!.criticalZ).toBeGreaterThan(latency(last).tail!.criticalZ + 2);
    expect(latency(verdict).shift!.criticalZ).toBeGreaterThan(latency(last).shift!.criticalZ + 2);
  });

  it('is inconclusive with too few samples at the last look, and continues before it', () => {
    const few = MIN_SAMPLES_PER_ARM - 1;
    const verdict = judge(arm(latencies(19, few)), arm(latencies(20, 1000)));
    expect(verdict.decision).toBe('inconclusive');
    expect(verdict.reason).toMatch(new RegExp(`only ${few} canary and 1000 stable`));
    const early = judge(arm(latencies(19, few)), arm(latencies(20, 1000)), { look: { index: 2, of: 4 } });
    expect(early.decision).toBe('continue');
  });
});

describe('judgeStep: absolute limits and errors', () => {
  it('reverts when the canary p95 is above max-p95-ms, naming the input', () => {
    // Lognormal median 20, σ 0.5: true p95 = 20·e^(0.5·1.645) = 45.6 ms.
    const verdict = judge(arm(latencies(21, 800)), arm(latencies(22, 800)), {
      gate: { ...DEFAULT_GATE, maxP95Ms: 40 },
    });
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/^canary p95 4\d\.\d ms is above max-p95-ms 40/);
    expect(verdict.checks.find((check) => check.name === 'latency-limits')!.figures).toMatchObject({
      limits: [{ input: 'max-p95-ms', limitMs: 40, outcome: 'fail' }],
    });
  });

  it('keeps an absolute limit the canary meets', () => {
    const verdict = judge(arm(latencies(23, 800)), arm(latencies(24, 800)), {
      gate: { ...DEFAULT_GATE, maxP95Ms: 60, maxP99Ms: 90 },
    });
    expect(verdict.decision).toBe('promote');
  });

  it('reverts on max-p99-ms before the last look only when the lower bound is above it', () => {
    const gate = { ...DEFAULT_GATE, maxP99Ms: 30 }; // true p99 = 64 ms
    const verdict = judge(arm(latencies(25, 400)), arm(latencies(26, 400)), {
      gate,
      look: { index: 1, of: 4 },
    });
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/max-p99-ms 30 \(lower 99% bound/);
  });

  it('does not call 1 error in 10 requests a 10 % error rate', () => {
    const canary = { latenciesMs: latencies(27, 9), errors: 1, requests: 10 };
    const verdict = judge(canary, arm(latencies(28, 10)));
    expect(verdict.decision).toBe('inconclusive');
    expect(verdict.arms.canary.errorRate).toBeCloseTo(0.1, 12);
  });

  it(`reverts on the error rate with at least ${MIN_ERRORS_FOR_RATE} errors`, () => {
    const verdict = judge(arm(latencies(29, 980), 20), arm(latencies(30, 1000)));
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toBe(
      'canary error rate 2% (20/1000) is above max-error-rate 1% (look 1/1), stable 0% (0/1000; z 4.49, boundary 2.88)',
    );
  });

  it('before the last look, reverts on errors only with evidence', () => {
    const early = { look: { index: 1, of: 4 } };
    // 12 of 1000 is above 1 % but quite likely at a true 1 %: keep looking.
    expect(judge(arm(latencies(31, 988), 12), arm(latencies(32, 1000)), early).decision).toBe('continue');
    // 40 of 1000 cannot come from a 1 % error rate.
    expect(judge(arm(latencies(31, 960), 40), arm(latencies(32, 1000)), early).decision).toBe('revert');
  });

  it('judges a first deployment on absolute limits alone', () => {
    const canary = arm(latencies(33, 500));
    expect(judge(canary, undefined).decision).toBe('promote');
    expect(judge(canary, undefined).arms.stable).toBeUndefined();
    expect(judge(canary, undefined, { gate: { ...DEFAULT_GATE, maxP95Ms: 30 } }).decision).toBe('revert');
  });
});

describe('judgeStep: the verdict carries its numbers', () => {
  it('reports n, quantiles, ratios, p-values, thresholds and the look', () => {
    const verdict = judge(arm(latencies(34, 600)), arm(latencies(35, 500)), { look: { index: 4, of: 4 } });
    const { arms } = verdict;
    const signals = latency(verdict);
    expect(arms.canary.n).toBe(600);
    expect(arms.stable!.n).toBe(500);
    for (const key of ['p50Ms', 'p90Ms', 'p95Ms', 'p99Ms'] as const) {
      expect(arms.canary[key]).toBeGreaterThan(0);
      expect(arms.stable![key]).toBeGreaterThan(0);
    }
    expect(arms.canary.p50Ms).toBeLessThan(arms.canary.p90Ms);
    expect(arms.canary.p95Ms).toBeLessThan(arms.canary.p99Ms);
    expect(signals.shift!.pValue).toBeGreaterThan(0);
    expect(signals.shift!.lowerBound).toBeLessThan(signals.shift!.ratio);
    expect(signals.tail!.upperBound).toBeGreaterThan(signals.tail!.ratio);
    expect(signals.tail!.p95Ratio).toBeCloseTo(arms.canary.p95Ms / arms.stable!.p95Ms, 12);
    const figuresOf = (name: string) => verdict.checks.find((check) => check.name === name)!.figures;
    expect(figuresOf('error-rate')).toMatchObject({
      maxErrorRate: 0.01,
      minErrorsForRate: MIN_ERRORS_FOR_RATE,
    });
    expect(figuresOf('latency-limits')).toEqual({ limits: [] });
    expect(signals).toMatchObject({
      maxRegression: 0.1,
      confidence: 0.95,
      falseRevertBudget: falseRevertBudget(0.95),
      minSamplesPerArm: MIN_SAMPLES_PER_ARM,
    });
    expect(verdict.checks.map((check) => check.name)).toEqual(['error-rate', 'latency-limits', 'latency']);
    expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict);
  });

  it('is deterministic: the same samples give the same verdict', () => {
    const input = () => judge(arm(latencies(36, 300)), arm(latencies(37, 300)));
    expect(input()).toEqual(input());
  });

  it('gives the same verdicts with a memo kept across looks as without one', () => {
    const canary = arm(latencies(42, 400).map((v) => v * 1.1));
    const stable = arm(latencies(43, 400));
    for (let index = 1; index <= 4; index++) {
      const look = { index, of: 4 };
      const withoutMemo = judgeStep({ canary, stable, gate: DEFAULT_GATE, look });
      expect(judge(canary, stable, { look })).toEqual(withoutMemo);
    }
  });

  it('reports the per-arm percentiles every summary uses', () => {
    const canaryLatencies = latencies(44, 300);
    const stableLatencies = latencies(45, 300);
    const { arms } = judge(arm(canaryLatencies), arm(stableLatencies));
    expect(arms.canary).toMatchObject(latencyPercentiles(canaryLatencies));
    expect(arms.stable).toMatchObject(latencyPercentiles(stableLatencies));
  });

  it('accepts 0 ms latencies (clamped before logs)', () => {
    const verdict = judge(arm([...latencies(38, 200), 0, 0]), arm(latencies(39, 200)));
    expect(Number.isFinite(latency(verdict).tail!.ratio)).toBe(true);
  });
});

describe('judgeStep: error rates on repeated A/A (seeded)', () => {
  it('falsely reverts at most about the false-revert budget', () => {
    const random = xoshiro128(40);
    const draw = lognormalSampler(random, 20, 1);
    let reverted = 0;
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const canary = arm(Array.from({ length: 300 }, draw));
      const stable = arm(Array.from({ length: 300 }, draw));
      if (judge(canary, stable).decision === 'revert') reverted++;
    }
    // Budget 1 %: expect ~3 of 300; 9 or more would be 3 s.e. above it.
    expect(reverted).toBeLessThan(9);
  });
});

describe('judgeStep: each signal spends its own share of the budget (seeded A/A)', () => {
  it('the tail, exceedance and shift tests are significant at about their shares, not more', () => {
    // confidence 0.5 makes the budget 10 % (tail 6 %, exceedance 3 %, shift 1 %), large enough for 2,000 runs to
    // measure each share to a fifth of itself; the bench checks the 1 % default with 10,000 runs per cell.
    const gate = { ...DEFAULT_GATE, confidence: 0.5 };
    const budget = falseRevertBudget(gate.confidence);
    const draw = lognormalSampler(xoshiro128(41), 20, 1);
    const runs = 2000;
    let tailSignificant = 0;
    let shiftSignificant = 0;
    let exceedanceSignificant = 0;
    for (let run = 0; run < runs; run++) {
      const canary = arm(Array.from({ length: 200 }, draw));
      const stable = arm(Array.from({ length: 200 }, draw));
      const signals = latency(judge(canary, stable, { gate }));
      if (signals.tail!.significant) tailSignificant++;
      if (signals.shift!.significant) shiftSignificant++;
      if (signals.exceedance!.significant) exceedanceSignificant++;
    }
    const within3StandardErrors = (count: number, rate: number) => {
      const standardError = Math.sqrt((rate * (1 - rate)) / runs);
      expect(count / runs).toBeGreaterThan(rate - 3 * standardError);
      expect(count / runs).toBeLessThan(rate + 3 * standardError);
    };
    within3StandardErrors(tailSignificant, budget * TAIL_SIGNAL_SHARE);
    // The exceedance count is discrete (about 20 pooled samples above p95 here): it may spend less
    // than its share, never more.
    const exceedanceShare = budget * EXCEEDANCE_SIGNAL_SHARE;
    expect(exceedanceSignificant / runs).toBeLessThan(
      exceedanceShare + 3 * Math.sqrt((exceedanceShare * (1 - exceedanceShare)) / runs),
    );
    expect(exceedanceSignificant).toBeGreaterThan(0);
    within3StandardErrors(shiftSignificant, budget * SHIFT_SIGNAL_SHARE);
  });
});

describe('judgeStep: verdicts do not depend on order or units', () => {
  it('permuting either arm or multiplying both by one factor never changes a verdict', () => {
    const random = xoshiro128(50);
    const shuffled = (values: number[]) => {
      const copy = [...values];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    };
    const cases = [
      [latencies(51, 300), latencies(52, 300)],
      [latencies(53, 400).map((v) => v * 1.3), latencies(54, 400)],
      [latencies(55, 800, 0.5, (y, z) => y + 0.15 * Math.max(0, z)), latencies(56, 600)],
      [latencies(57, 250).map((v) => Math.round(v)), latencies(58, 250).map((v) => Math.round(v))],
    ];
    for (const [canary, stable] of cases) {
      for (let look = 1; look <= 4; look += 3) {
        const at = { look: { index: look, of: 4 } };
        const decision = judge(arm(canary!), arm(stable!), at).decision;
        expect(judge(arm(shuffled(canary!)), arm(shuffled(stable!)), at).decision).toBe(decision);
        for (const factor of [0.001, 0.37, 3, 1000]) {
          const scaled = (values: number[]) => values.map((v) => v * factor);
          expect(judge(arm(scaled(canary!)), arm(scaled(stable!)), at).decision).toBe(decision);
        }
      }
    }
  });
});

/** Two modes: a share of requests `gap` times slower (batching, cache misses); lognormal σ 0.2 each. */
function bimodal(seed: number, n: number, share: number, gap: number) {
  const random = xoshiro128(seed);
  const normal = normalSampler(random);
  return Array.from({ length: n }, () => 20 * (random() < share ? gap : 1) * Math.exp(0.2 * normal()));
}

/** A share of requests at a 500 ms timeout, the rest lognormal σ 0.5 below it. */
function capped(seed: number, n: number, share: number) {
  const random = xoshiro128(seed);
  const normal = normalSampler(random);
  return Array.from({ length: n }, () =>
    random() < share ? 500 : Math.min(500, 20 * Math.exp(0.5 * normal())),
  );
}

describe('judgeStep: the tail tests on shapes GPU servers produce (seeded)', () => {
  it('reverts identical two-mode arms at most about the budget', () => {
    let reverted = 0;
    for (let run = 0; run < 200; run++) {
      const verdict = judge(arm(bimodal(1000 + run, 400, 0.1, 4)), arm(bimodal(5000 + run, 400, 0.1, 4)));
      if (verdict.decision === 'revert') reverted++;
    }
    // Budget 1 %: 2 expected of 200; 7 or more would be over 3 s.e. above it.
    expect(reverted).toBeLessThan(7);
  });

  it('reverts identical arms with a point mass at the cap at most about the budget', () => {
    let reverted = 0;
    for (let run = 0; run < 200; run++) {
      const verdict = judge(arm(capped(2000 + run, 400, 0.05)), arm(capped(6000 + run, 400, 0.05)));
      if (verdict.decision === 'revert') reverted++;
    }
    expect(reverted).toBeLessThan(7);
  });

  it('reverts a growing slow mode through a tail signal, naming the quantile', () => {
    const verdict = judge(arm(bimodal(60, 1600, 0.12, 4)), arm(bimodal(61, 1600, 0.04, 4)));
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/^canary tail \(p95\) is \d\.\d\d× stable's/);
    expect(['tail', 'exceedance']).toContain(latency(verdict).decidedBy);
  });

  it('reverts the slowest 2 % twice as slow when regression-quantile is p99, not at p95', () => {
    const p98 = normalQuantile(0.98);
    const canary = latencies(62, 1600, 0.5, (y, z) => y + (z > p98 ? Math.log(2) : 0));
    const stable = latencies(63, 1600);
    const atP99 = judge(arm(canary), arm(stable), { gate: { ...DEFAULT_GATE, regressionQuantile: 0.99 } });
    expect(atP99.decision).toBe('revert');
    expect(atP99.reason).toMatch(/^canary tail \(p99\)/);
    expect(latency(atP99).regressionQuantile).toBe(0.99);
    // At p95 the p95 is unchanged, so max-regression (a p95 slow-down) is not exceeded.
    expect(judge(arm(canary), arm(stable)).decision).toBe('promote');
  });
});

describe('judgeStep: errors against stable', () => {
  it('does not revert a canary that fails as often as stable, even above max-error-rate', () => {
    const verdict = judge(arm(latencies(70, 970), 30), arm(latencies(71, 970), 30));
    const errors = verdict.checks.find((check) => check.name === 'error-rate')!;
    expect(errors.outcome).toBe('pass');
    expect(errors.reason).toMatch(
      /above max-error-rate 1% but not worse than stable's, stable 3% \(30\/1000/,
    );
    expect(errors.figures).toMatchObject({ versusStable: { stableErrors: 30, significant: false } });
  });

  it('reverts a canary that fails more often than stable and above max-error-rate', () => {
    const verdict = judge(arm(latencies(72, 960), 40), arm(latencies(73, 990), 10));
    expect(verdict.decision).toBe('revert');
    expect(verdict.reason).toMatch(/^canary error rate 4% \(40\/1000\) is above max-error-rate 1%/);
    expect(verdict.reason).toMatch(/stable 1% \(10\/1000; z \d\.\d\d, boundary \d\.\d\d\)/);
  });

  it('keeps identical 1 % error rates in both arms at about the budget (seeded)', () => {
    const random = xoshiro128(74);
    let failed = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const errors = () => {
        let count = 0;
        for (let i = 0; i < 800; i++) if (random() < 0.01) count++;
        return count;
      };
      const canaryErrors = errors();
      const stableErrors = errors();
      const verdict = judge(
        { latenciesMs: latencies(3000 + run, 800 - canaryErrors), errors: canaryErrors, requests: 800 },
        { latenciesMs: latencies(4000 + run, 800 - stableErrors), errors: stableErrors, requests: 800 },
      );
      if (verdict.checks.find((check) => check.name === 'error-rate')!.outcome === 'fail') failed++;
    }
    // ERROR_TEST_SHARE of 1 %: 0.2 % expected, under 1 of 400.
    expect(failed).toBeLessThan(4);
  });
});

describe('judgeStep: summarized arms (above EXACT_SAMPLE_LIMIT)', () => {
  it('promotes an A/A comparison and reverts a 20 % slow-down, stating the summary error', () => {
    const stable = latencies(80, 30_000);
    const same = judge(arm(latencies(81, 30_000)), arm(stable));
    expect(same.decision).toBe('promote');
    expect(latency(same).summaryRelativeError).toBeGreaterThan(0);
    expect(latency(same).summaryRelativeError).toBeLessThan(0.001);
    const slower = judge(arm(latencies(82, 30_000).map((v) => v * 1.2)), arm(stable));
    expect(slower.decision).toBe('revert');
    expect(latency(slower).shift!.ratio).toBeGreaterThan(1.18);
    expect(latency(slower).shift!.ratio).toBeLessThan(1.22);
  });
});

describe('warmChecks', () => {
  /** A memo that records what it had to compute. */
  class CountingMemo extends Memo {
    readonly computed: string[] = [];
    override get<T>(key: string, compute: () => T): T {
      return super.get(key, () => {
        this.computed.push(key);
        return compute();
      });
    }
  }

  it('computes the group-sequential boundaries before the load, so no look computes them', () => {
    const counting = new CountingMemo();
    warmChecks(DEFAULT_GATE, 4, counting);
    const boundaries = counting.computed.filter((key) => key.startsWith('group-sequential-boundaries'));
    expect(boundaries.length).toBeGreaterThan(0);
    const before = counting.computed.length;
    const canary = arm(
      latencies(60, 400).map((v) => v * 1.02),
      3,
    );
    const stable = arm(latencies(61, 400), 2);
    for (let index = 1; index <= 4; index++) {
      judgeStep({ canary, stable, gate: DEFAULT_GATE, look: { index, of: 4 }, memo: counting });
    }
    const during = counting.computed.slice(before);
    expect(during.filter((key) => key.startsWith('group-sequential-boundaries'))).toEqual([]);
  });
});
