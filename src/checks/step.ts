/**
 * A canary step's checks, in the order they are read, and the step's decision from them. To add a
 * check: write it beside these (a pure function of StepEvidence returning a CheckResult), add its
 * result type to StepCheckResult and the function to STEP_CHECKS; decide and the report need no change.
 */
import type { Settings } from '../inputs/settings.ts';
import { Memo } from '../stats/memo.ts';
import { answersCheck, type AnswerEvidence, type AnswersResult } from './answers.ts';
import { armSample, type ArmNumbers, type ArmObservations } from './arm.ts';
import { canaryPodsCheck, type CanaryPodsResult, type ContainerCrash } from './canary-pods.ts';
import {
  combineChecks,
  falseRevertBudget,
  MIN_SAMPLES_PER_ARM,
  type Look,
  type StepDecision,
  type StepEvidence,
} from './check.ts';
import { errorRateCheck, type ErrorRateResult } from './error-rate.ts';
import { latencyCheck, type LatencyResult } from './latency-judge.ts';
import { latencyLimitsCheck, type LatencyLimitsResult } from './latency-limits.ts';
import { metricChecks, type MetricEvidence, type MetricResult } from './metrics.ts';
import { tpotCheck, ttftCheck, type TpotResult, type TtftResult } from './stream-latency.ts';

/** The result of any check a step runs. */
export type StepCheckResult =
  | CanaryPodsResult
  | ErrorRateResult
  | LatencyLimitsResult
  | AnswersResult
  | MetricResult
  | TtftResult
  | TpotResult
  | LatencyResult;

/**
 * A crashed canary first (its cause is the reason, whatever the error rate), then errors (a canary
 * that fails requests is reverted whatever its latency), the latency comparison last; a check that
 * does not apply to a step returns undefined. TTFT and TPOT come before the end-to-end latency, so
 * a stream that got slower is reverted for what got slower. The metric checks (one result each)
 * come before the probe's latency comparisons: a server that queues longer says why it got slower.
 */
const STEP_CHECKS: readonly ((
  evidence: StepEvidence,
) => StepCheckResult | readonly StepCheckResult[] | undefined)[] = [
  canaryPodsCheck,
  errorRateCheck,
  latencyLimitsCheck,
  answersCheck,
  metricChecks,
  ttftCheck,
  tpotCheck,
  latencyCheck,
];

export interface JudgeInput {
  canary: ArmObservations;
  /** Omitted for the first deployment (nothing to compare to): absolute limits only. */
  stable?: ArmObservations;
  gate: Settings['gate'];
  /** Which planned look this is (1-based) out of how many; default the only look, 1 of 1. */
  look?: Look;
  /** Kept across the looks of one analysis (or a simulation's runs); a fresh one otherwise. */
  memo?: Memo;
  /** The answers compared so far in this step (check `answers`). */
  answers?: AnswerEvidence;
  /** Canary containers that exited so far in this step (check `canary-pods`); omitted when not watched. */
  crashes?: readonly ContainerCrash[];
  /** The metric checks as last evaluated in this step; omitted without metrics-url. */
  metrics?: MetricEvidence;
}

/** What the checks of one step concluded at one look, with every figure they used. */
export interface StepJudgement {
  /** The checks' own decision, before on-inconclusive is applied. */
  decision: StepDecision;
  /** One line a person reads in the log and the job summary. */
  reason: string;
  look: Look;
  arms: { canary: ArmNumbers; stable?: ArmNumbers };
  checks: StepCheckResult[];
}

/**
 * Runs every check of a step on both arms at one planned look: `revert` (with the failing check's
 * reason), `promote`, `continue` (look again later) or, at the last look, `inconclusive`.
 */
export function judgeStep(input: JudgeInput): StepJudgement {
  const of = Math.max(1, Math.floor(input.look?.of ?? 1));
  const look = { index: Math.min(of, Math.max(1, Math.floor(input.look?.index ?? of))), of };
  const memo = input.memo ?? new Memo();
  const canary = armSample('canary', input.canary, memo);
  const stable = input.stable === undefined ? undefined : armSample('stable', input.stable, memo);
  const evidence: StepEvidence = {
    canary,
    ...(stable !== undefined ? { stable } : {}),
    gate: input.gate,
    look,
    budget: falseRevertBudget(input.gate.confidence),
    memo,
    ...(input.answers !== undefined ? { answers: input.answers } : {}),
    ...(input.crashes !== undefined ? { crashes: input.crashes } : {}),
    ...(input.metrics !== undefined ? { metrics: input.metrics } : {}),
  };
  const checks = STEP_CHECKS.flatMap((check) => check(evidence) ?? []);
  return {
    ...combineChecks(checks, look),
    look,
    arms: { canary: canary.numbers, ...(stable !== undefined ? { stable: stable.numbers } : {}) },
    checks,
  };
}

/**
 * Fills `memo` with what the checks compute once per gate and planned looks (the group-sequential
 * boundaries, milliseconds each), by judging two identical made-up arms, without and with streams
 * (whose comparisons split the budget), so that the looks taken in the middle of the load do not
 * stop the event loop that sends it.
 */
export function warmChecks(gate: Settings['gate'], looks: number, memo: Memo): void {
  const latenciesMs = Array.from({ length: 2 * MIN_SAMPLES_PER_ARM }, (_, i) => 1 + i);
  const arm = { latenciesMs, errors: 1, requests: latenciesMs.length + 1 };
  const stream = {
    streams: latenciesMs.length,
    withoutToken: 0,
    tokensFromUsage: 0,
    ttftMs: latenciesMs,
    tpotMs: latenciesMs,
    outputTokensPerSecond: latenciesMs,
  };
  for (const warmed of [arm, { ...arm, stream }]) {
    judgeStep({ canary: warmed, stable: warmed, gate, look: { index: 1, of: looks }, memo });
  }
}

/** The latency comparison's figures in a judgement, when it ran. */
export function latencyFiguresOf(judgement: StepJudgement): LatencyResult['figures'] | undefined {
  return judgement.checks.find((check): check is LatencyResult => check.name === 'latency')?.figures;
}
