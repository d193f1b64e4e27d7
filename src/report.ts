/**
 * Pure: what one run decided and measured, in the shape every report reads — the job summary, the
 * JSON `report` file, the step outputs and the PR comment — made once, from the run's final context.
 */
import type { ArmNumbers } from './checks/arm.ts';
import type { CheckOutcome, StepDecision } from './checks/check.ts';
import type { AnswersFigures, AnswersResult } from './checks/answers.ts';
import type { DecidingSignal, SignalNumbers } from './checks/latency-judge.ts';
import type { MetricFigures, MetricResult } from './checks/metrics.ts';
import { latencyFiguresOf } from './checks/step.ts';
import type { Mode } from './inputs/settings.ts';
import type { PausedCanary } from './kube/pause.ts';
import type { Decision, Run, StepAnalysis } from './run.ts';
import { digestOf, pinnedReference, repositoryOfReference } from './registry/image-ref.ts';

export type { Decision } from './run.ts';

/** A canary ÷ stable ratio, its bounds at the judge's confidence, and whether it passed its boundary. */
export type RatioBounds = Pick<SignalNumbers, 'ratio' | 'lowerBound' | 'upperBound' | 'significant'>;

/** What the latency comparison concluded about the canary against stable. */
export interface JudgeFigures {
  /** The step's own decision from its checks (before on-inconclusive is applied). */
  verdict: StepDecision;
  /** When the checks were inconclusive: what on-inconclusive made of it. */
  onInconclusive?: { action: string; decision: 'promote' | 'revert' };
  confidence: number;
  /** The `max-regression` input: each upper bound is held to 1 + this. */
  maxRegression: number;
  /** The `regression-quantile` input (0.95 for p95): the quantile whose ratio `tail` is. */
  regressionQuantile: number;
  /** The signal that reverted the step, when one did. */
  decidedBy?: DecidingSignal;
  look: number;
  plannedLooks: number;
  /** Whole-distribution shift (Hodges-Lehmann ratio). */
  shift?: RatioBounds;
  /** Tail: the regression-quantile's ratio (tested by the tail rank test); `p95Ratio` the p95 ratio alone. */
  tail?: RatioBounds & { p95Ratio: number };
  /** The share of canary requests above the pooled regression-quantile, tested against its expected share. */
  exceedance?: RatioBounds & { canaryShare: number; expectedShare: number };
}

/** The absolute limits the run was held to (inputs max-p95-ms, max-p99-ms, max-error-rate). */
export interface GateLimits {
  maxP95Ms?: number;
  maxP99Ms?: number;
  maxErrorRate: number;
}

/** One check of the deciding step, as the summary lists it. */
export interface CheckLine {
  name: string;
  outcome: CheckOutcome;
  reason: string;
}

export interface RunReport {
  mode: Mode;
  decision: Decision;
  /** One line: why. */
  reason: string;
  namespace: string;
  /** Base name of the objects (`<name>-pr-<n>` for a preview). */
  target: string;
  commit: string;
  image?: {
    /** `repository:tag` as pushed. */
    reference: string;
    /** `sha256:…`; absent when nothing was built or resolved (e.g. a failed build). */
    digest?: string;
    /** Tags given in release mode. */
    releaseTags?: string[];
  };
  /** The address of a preview deployment. */
  previewUrl?: string;
  canary?: ArmNumbers;
  /** Absent on the first run into an empty namespace (no stable yet). */
  stable?: ArmNumbers;
  /** The checks of the step that decided, in the order they were read. */
  checks?: CheckLine[];
  judge?: JudgeFigures;
  /** The answers check's agreement figures and first disagreements, when answers were compared. */
  answers?: AnswersFigures;
  /**
   * The metric checks of the deciding step, one per check: its queries, both arms' values, its
   * bound and outcome, and every series the server returned (docs/metrics.md).
   */
  metrics?: MetricFigures[];
  limits: GateLimits;
  /** A paused run (decision `paused`): where the canary stopped, and how to finish it. */
  paused?: PausedFacts;
}

/**
 * What a person deciding on a paused canary needs besides the figures (the paused record's step,
 * shares and images: src/kube/pause.ts), and how to finish it.
 */
export type PausedFacts = Pick<
  PausedCanary,
  'step' | 'steps' | 'weightPercent' | 'achievedPercent' | 'image' | 'stableImage' | 'pausedAt'
> & {
  /** The finishing workflow's step: this action as the paused run's step named it (`owner/repo@ref`). */
  action: string;
  /** Input context, when the run named one: the finishing run must reach the same cluster. */
  context?: string;
};

/** The finishing workflow's `uses:` when the runner did not say which action ran (a local action, a test). */
export const DEFAULT_ACTION_REFERENCE = 'model-canary/model-canary@v0';

/** The decision a mode reaches when every stage ran to its end and none decided otherwise. */
const COMPLETED_DECISION: Record<Mode, Decision> = {
  canary: 'promoted',
  release: 'promoted',
  promote: 'promoted',
  revert: 'reverted',
  preview: 'preview',
  cleanup: 'skipped',
};

const COMPLETED_REASON: Record<Mode, string> = {
  canary: 'the canary passed its checks and was promoted',
  release: 'the release image passed its checks and was promoted',
  promote: 'promoted by mode promote',
  revert: 'reverted by mode revert',
  preview: 'the preview is up (report only)',
  cleanup: 'everything the preview created was deleted',
};

/** Why a run stopped early: the error's one-line reason, and whether its changes were undone. */
export interface RunFailure {
  reason: string;
  reverted: boolean;
}

/**
 * The report of a run from its final context: a failure is `reverted` when the cluster was put
 * back (or the canary itself failed), any other failure `failed`; otherwise the outcome a stage
 * decided, or the mode's completed decision, for the last analysis's reason.
 */
export function reportOfRun(run: Run, failure?: RunFailure): RunReport {
  const { plan, settings } = run;
  const analysis = run.analyses.at(-1);
  const decision =
    failure !== undefined
      ? failure.reverted
        ? 'reverted'
        : 'failed'
      : (run.outcome?.decision ?? COMPLETED_DECISION[plan.mode]);
  const reason =
    failure?.reason ??
    run.outcome?.reason ??
    (analysis !== undefined && plan.mode !== 'cleanup'
      ? analysis.verdict.reason
      : COMPLETED_REASON[plan.mode]);
  const deployed = run.outcome?.image ?? run.canary?.pinnedImage ?? run.image?.reference;
  const digest = digestOf(deployed ?? '') ?? run.image?.digest;
  const reference = plan.image?.reference ?? deployed?.split('@')[0];
  return {
    mode: plan.mode,
    decision,
    reason,
    namespace: plan.namespace,
    target: plan.target,
    commit: settings.run.sha,
    ...(reference !== undefined
      ? {
          image: {
            reference,
            ...(digest !== undefined ? { digest } : {}),
            ...(plan.image !== undefined && plan.image.releaseTags.length > 0
              ? { releaseTags: plan.image.releaseTags }
              : {}),
          },
        }
      : {}),
    ...(run.previewUrl !== undefined ? { previewUrl: run.previewUrl } : {}),
    ...(analysis !== undefined ? analysisFigures(analysis, settings.gate.onInconclusive) : {}),
    limits: {
      ...(settings.gate.maxP95Ms !== undefined ? { maxP95Ms: settings.gate.maxP95Ms } : {}),
      ...(settings.gate.maxP99Ms !== undefined ? { maxP99Ms: settings.gate.maxP99Ms } : {}),
      maxErrorRate: settings.gate.maxErrorRate,
    },
    ...(failure === undefined && run.outcome?.paused !== undefined
      ? { paused: pausedFacts(run.outcome.paused, settings) }
      : {}),
  };
}

function pausedFacts(paused: PausedCanary, settings: Run['settings']): PausedFacts {
  const { step, steps, weightPercent, achievedPercent, image, stableImage, pausedAt } = paused;
  return {
    step,
    steps,
    weightPercent,
    achievedPercent,
    image,
    stableImage,
    pausedAt,
    action: settings.run.action ?? DEFAULT_ACTION_REFERENCE,
    ...(settings.cluster.context !== undefined ? { context: settings.cluster.context } : {}),
  };
}

/** The report's measured figures from a step's analysis: both arms, its checks, the judge's bounds. */
export function analysisFigures(
  analysis: Pick<StepAnalysis, 'judgement' | 'verdict'>,
  onInconclusive: string,
): Pick<RunReport, 'canary' | 'stable' | 'checks' | 'judge' | 'answers' | 'metrics'> {
  const { judgement, verdict } = analysis;
  const latency = latencyFiguresOf(judgement);
  const answers = judgement.checks.find((check): check is AnswersResult => check.name === 'answers');
  const metrics = judgement.checks
    .filter((check): check is MetricResult => check.name.startsWith('metric:'))
    .map((check) => check.figures);
  const bounds = ({ ratio, lowerBound, upperBound, significant }: RatioBounds): RatioBounds => ({
    ratio,
    lowerBound,
    upperBound,
    significant,
  });
  return {
    canary: judgement.arms.canary,
    ...(judgement.arms.stable !== undefined ? { stable: judgement.arms.stable } : {}),
    checks: judgement.checks.map(({ name, outcome, reason }) => ({ name, outcome, reason })),
    ...(answers !== undefined ? { answers: answers.figures } : {}),
    ...(metrics.length > 0 ? { metrics } : {}),
    ...(judgement.arms.stable !== undefined && latency !== undefined
      ? {
          judge: {
            verdict: judgement.decision,
            ...(judgement.decision === 'inconclusive'
              ? { onInconclusive: { action: onInconclusive, decision: verdict.decision } }
              : {}),
            confidence: latency.confidence,
            maxRegression: latency.maxRegression,
            regressionQuantile: latency.regressionQuantile,
            ...(latency.decidedBy !== undefined ? { decidedBy: latency.decidedBy } : {}),
            look: judgement.look.index,
            plannedLooks: judgement.look.of,
            ...(latency.shift !== undefined ? { shift: bounds(latency.shift) } : {}),
            ...(latency.tail !== undefined
              ? { tail: { ...bounds(latency.tail), p95Ratio: latency.tail.p95Ratio } }
              : {}),
            ...(latency.exceedance !== undefined
              ? {
                  exceedance: {
                    ...bounds(latency.exceedance),
                    canaryShare: latency.exceedance.canaryShare,
                    expectedShare: latency.exceedance.expectedShare,
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

/** `repository@sha256:…` when the digest is known, else the pushed reference. */
export function pinnedImage(report: RunReport): string | undefined {
  if (report.image === undefined) return undefined;
  if (report.image.digest === undefined) return report.image.reference;
  return pinnedReference(repositoryOfReference(report.image.reference), report.image.digest);
}

/** Milliseconds for outputs and tables: three significant decimals at most, no trailing zeros. */
export function formatMs(ms: number): string {
  return String(Number(ms.toFixed(ms >= 100 ? 1 : ms >= 10 ? 2 : 3)));
}

/** A share as a percentage for people: 0.0123 → "1.23%". */
export function formatPercent(share: number, digits = 2): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** A signed relative change for people: 0.041 → "+4.1%". */
export function formatChange(change: number): string {
  const percent = (change * 100).toFixed(1);
  return change >= 0 ? `+${percent}%` : `${percent === '-0.0' ? '0.0' : percent}%`;
}

/** A ratio for people: 1.0412 → "1.041×". */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(3)}×`;
}

/** The step outputs of a run, by output name (action.yml), all strings; absent facts are omitted. */
export function reportOutputs(report: RunReport, reportPath: string): Record<string, string> {
  const outputs: Record<string, string> = {
    decision: report.decision,
    reason: report.reason,
    report: reportPath,
  };
  const image = pinnedImage(report);
  if (image !== undefined) outputs.image = image;
  if (report.image?.digest !== undefined) outputs.digest = report.image.digest;
  if (report.canary !== undefined) {
    outputs['p50-ms'] = formatMs(report.canary.p50Ms);
    outputs['p95-ms'] = formatMs(report.canary.p95Ms);
    outputs['p99-ms'] = formatMs(report.canary.p99Ms);
    outputs['error-rate'] = String(Number(report.canary.errorRate.toFixed(6)));
  }
  if (report.stable !== undefined) outputs['baseline-p95-ms'] = formatMs(report.stable.p95Ms);
  if (report.previewUrl !== undefined) outputs['preview-url'] = report.previewUrl;
  return outputs;
}

/** Version of the JSON report's shape; bumped when a field changes meaning. */
export const REPORT_FORMAT = 'model-canary/report@1';

/** The JSON `report` document: the run report plus the pinned image and the format tag. */
export function reportDocument(report: RunReport): Record<string, unknown> {
  return { format: REPORT_FORMAT, ...report, pinnedImage: pinnedImage(report) };
}
