/**
 * The contract every check of a canary step keeps, and the rule that turns a step's check results
 * into one decision. A check is pure: the evidence of one look in, `pass | fail | inconclusive`
 * with a reason and its figures out. docs/architecture.md says how to add one.
 */
import type { Settings } from '../inputs/settings.ts';
import type { Memo } from '../stats/memo.ts';
import type { AnswerEvidence } from './answers.ts';
import type { ArmSample } from './arm.ts';
import type { ContainerCrash } from './canary-pods.ts';
import type { MetricEvidence } from './metrics.ts';

/** What a check concluded at one look; `inconclusive` before the last look means "look again". */
export type CheckOutcome = 'pass' | 'fail' | 'inconclusive';

/** One check's conclusion: its name (as the report shows it), outcome, one-line reason and figures. */
export interface CheckResult<Name extends string = string, Figures = unknown> {
  name: Name;
  outcome: CheckOutcome;
  reason: string;
  figures: Figures;
}

/** Which planned look this is (1-based) out of how many. */
export interface Look {
  index: number;
  of: number;
}

/** What every check of a step sees: the arms at one look, the gate's inputs and its error budget. */
export interface StepEvidence {
  canary: ArmSample;
  /** Absent on the first deployment (nothing to compare to): absolute limits only. */
  stable?: ArmSample;
  gate: Settings['gate'];
  look: Look;
  /** The false-revert probability the whole step may spend (falseRevertBudget). */
  budget: number;
  /** Order-statistic weights and boundaries already computed in this analysis, reused across looks. */
  memo: Memo;
  /** The compared answers (check `answers`); absent when no answers were compared. */
  answers?: AnswerEvidence;
  /** Canary containers that exited during the analysis (check `canary-pods`); absent when not watched. */
  crashes?: readonly ContainerCrash[];
  /** The metric checks as last evaluated (checks `metric:<name>`); absent without metrics-url. */
  metrics?: MetricEvidence;
}

/** The decision of a step's checks at one look; `continue` asks for another look. */
export type StepDecision = 'promote' | 'revert' | 'inconclusive' | 'continue';

/** Fewer successful requests than this per arm and no check will call the latencies. */
export const MIN_SAMPLES_PER_ARM = 100;
/** Looks the gate plans when the caller does not say (group-sequential, equally spaced). */
export const DEFAULT_PLANNED_LOOKS = 4;
/**
 * The false-revert budget is this share of 1 − confidence: 1 % at the default confidence 0.95,
 * the rate the gate is held to (a false revert blocks a good release and costs a human's time).
 */
export const FALSE_REVERT_SHARE = 0.2;

/** The probability budget for reverting a canary that is not worse, from `confidence`. */
export function falseRevertBudget(confidence: number): number {
  return (1 - confidence) * FALSE_REVERT_SHARE;
}

/** Whether this is the last planned look, where `inconclusive` is final. */
export function isFinalLook(look: Look): boolean {
  return look.index === look.of;
}

/**
 * One decision from a step's checks: the first failure reverts; all passing promotes (before the
 * last look too, which is the early stop); otherwise the step is inconclusive at its last look and
 * continues before it. The list ends with the check whose pass says most, so a promotion gives its
 * reason.
 */
export function combineChecks(
  results: readonly CheckResult[],
  look: Look,
): { decision: StepDecision; reason: string } {
  const failed = results.find((result) => result.outcome === 'fail');
  if (failed !== undefined) return { decision: 'revert', reason: failed.reason };
  const open = results.filter((result) => result.outcome === 'inconclusive');
  if (open.length === 0) return { decision: 'promote', reason: results.at(-1)?.reason ?? 'no checks ran' };
  return {
    decision: isFinalLook(look) ? 'inconclusive' : 'continue',
    reason: open.map((result) => result.reason).join('; '),
  };
}

const percentFormat = (fraction: number) => `${+(fraction * 100).toFixed(2)}%`;
const msFormat = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

/** How checks write figures in reasons: shares as `1.5%`, times as `12.3 ms`, ratios as `1.10×`. */
export const reasonFormat = {
  percent: percentFormat,
  ms: msFormat,
  times: (ratio: number) => `${ratio.toFixed(2)}×`,
  look: (look: Look) => `look ${look.index}/${look.of}`,
} as const;
