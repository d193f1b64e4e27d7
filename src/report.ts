/**
 * Pure: what one run decided and measured, in the shape every report reads — the job summary, the
 * JSON `report` file, the step outputs and the PR comment. Stages fill it; nothing here does I/O.
 */
import type { ArmNumbers, SignalNumbers } from './checks/latency-judge.ts';
import type { Mode } from './inputs/settings.ts';
import type { Plan } from './plan.ts';

/** The `decision` output's values (product.md). */
export type Decision = 'promoted' | 'reverted' | 'preview' | 'skipped';

/** One arm's figures, as the judge reports them. */
export type ArmStats = ArmNumbers;

/** A canary ÷ stable ratio, its bounds at the judge's confidence, and whether it passed its boundary. */
export type RatioBounds = Pick<SignalNumbers, 'ratio' | 'lowerBound' | 'upperBound' | 'significant'>;

/** What the statistical gate concluded about the canary's latency against stable. */
export interface JudgeFigures {
  /** The judge's own decision (before on-inconclusive is applied). */
  verdict: 'promote' | 'revert' | 'inconclusive' | 'continue';
  confidence: number;
  /** The `max-regression` input: each upper bound is held to 1 + this. */
  maxRegression: number;
  look: number;
  plannedLooks: number;
  /** Whole-distribution shift (Hodges-Lehmann ratio). */
  shift?: RatioBounds;
  /** Tail: geometric mean of the ratios at the judge's TAIL_QUANTILES (p80..p99); `p95Ratio` the p95 ratio alone. */
  tail?: RatioBounds & { p95Ratio: number };
}

/** The absolute limits the run was held to (inputs max-p95-ms, max-p99-ms, max-error-rate). */
export interface GateLimits {
  maxP95Ms?: number;
  maxP99Ms?: number;
  maxErrorRate: number;
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
  canary?: ArmStats;
  /** Absent on the first run into an empty namespace (no stable yet). */
  stable?: ArmStats;
  judge?: JudgeFigures;
  limits: GateLimits;
}

/** The parts of the judge's Verdict (src/checks/latency-judge.ts) a report shows, structurally typed. */
export interface VerdictLike {
  decision: JudgeFigures['verdict'];
  numbers: {
    look: number;
    plannedLooks: number;
    canary: ArmStats;
    stable?: ArmStats;
    shift?: RatioBounds;
    tail?: RatioBounds & { p95Ratio: number };
    thresholds: GateLimits & { maxRegression: number; confidence: number };
  };
}

/** The report's measured figures from a judge verdict: both arms, the judge's bounds, the limits. */
export function measuredFigures(
  verdict: VerdictLike,
): Pick<RunReport, 'canary' | 'stable' | 'judge' | 'limits'> {
  const { numbers } = verdict;
  const arm = ({ n, requests, errors, errorRate, p50Ms, p90Ms, p95Ms, p99Ms }: ArmStats): ArmStats => ({
    n,
    requests,
    errors,
    errorRate,
    p50Ms,
    p90Ms,
    p95Ms,
    p99Ms,
  });
  const bounds = ({ ratio, lowerBound, upperBound, significant }: RatioBounds): RatioBounds => ({
    ratio,
    lowerBound,
    upperBound,
    significant,
  });
  const { maxP95Ms, maxP99Ms, maxErrorRate, maxRegression, confidence } = numbers.thresholds;
  return {
    canary: arm(numbers.canary),
    ...(numbers.stable !== undefined ? { stable: arm(numbers.stable) } : {}),
    ...(numbers.stable !== undefined
      ? {
          judge: {
            verdict: verdict.decision,
            confidence,
            maxRegression,
            look: numbers.look,
            plannedLooks: numbers.plannedLooks,
            ...(numbers.shift !== undefined ? { shift: bounds(numbers.shift) } : {}),
            ...(numbers.tail !== undefined
              ? { tail: { ...bounds(numbers.tail), p95Ratio: numbers.tail.p95Ratio } }
              : {}),
          },
        }
      : {}),
    limits: {
      ...(maxP95Ms !== undefined ? { maxP95Ms } : {}),
      ...(maxP99Ms !== undefined ? { maxP99Ms } : {}),
      maxErrorRate,
    },
  };
}

/** `repository@sha256:…` when the digest is known, else the pushed reference. */
export function pinnedImage(report: RunReport): string | undefined {
  if (report.image === undefined) return undefined;
  if (report.image.digest === undefined) return report.image.reference;
  return `${repositoryOfReference(report.image.reference)}@${report.image.digest}`;
}

/** Strips the tag (and any digest) from an image reference, keeping a registry port. */
export function repositoryOfReference(reference: string): string {
  const withoutDigest = reference.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
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

/** What the stages of a run ended with; main.ts gathers it, whether the stages finished or failed. */
export interface RunOutcome {
  decision: Decision;
  reason: string;
  /** Every stage ran to its end (false when one threw). */
  completed: boolean;
  /** The image deployed or tagged: `repository@sha256:…` (or `repository:tag` before a digest was known). */
  image?: string;
  digest?: string;
  /** The judge's verdict of the last look, when the analysis ran. */
  verdict?: VerdictLike;
  previewUrl?: string;
}

/** The run report of a plan's run from what its stages ended with. */
export function buildRunReport(plan: Plan, outcome: RunOutcome, commit: string): RunReport {
  const digest = outcome.digest ?? /@(sha256:[0-9a-f]{64})$/.exec(outcome.image ?? '')?.[1];
  const reference = plan.image?.reference ?? outcome.image?.split('@')[0];
  const image =
    reference === undefined
      ? undefined
      : {
          reference,
          ...(digest !== undefined ? { digest } : {}),
          ...(plan.image !== undefined && plan.image.releaseTags.length > 0
            ? { releaseTags: plan.image.releaseTags }
            : {}),
        };
  return {
    mode: plan.mode,
    decision: outcome.decision,
    reason: outcome.reason,
    namespace: plan.namespace,
    target: plan.target,
    commit,
    ...(image !== undefined ? { image } : {}),
    ...(outcome.previewUrl !== undefined ? { previewUrl: outcome.previewUrl } : {}),
    ...(outcome.verdict !== undefined
      ? measuredFigures(outcome.verdict)
      : {
          limits: {
            ...(plan.gate.maxP95Ms !== undefined ? { maxP95Ms: plan.gate.maxP95Ms } : {}),
            ...(plan.gate.maxP99Ms !== undefined ? { maxP99Ms: plan.gate.maxP99Ms } : {}),
            maxErrorRate: plan.gate.maxErrorRate,
          },
        }),
  };
}

/** What stages leave behind for the report (src/run-state.ts RunRecord, structurally). */
export interface StageRecord {
  image?: string;
  digest?: string;
  /** The analysis verdict; `numbers` (the judge's VerdictNumbers) when the analyse stage kept them. */
  verdict?: { decision: string; reason: string; numbers?: VerdictLike['numbers'] };
  previewUrl?: string;
}

/** The decision a mode reaches when every stage ran to its end (a failed stage throws instead). */
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

/**
 * The outcome of a run from the stages' record and, when a stage threw, its error: a canary that
 * failed its checks is `reverted` (the stages have put stable back), any other failure `skipped`.
 */
export function outcomeOfRun(
  mode: Mode,
  record: StageRecord,
  failure?: { reverted: boolean; reason: string },
): RunOutcome {
  const verdict = record.verdict;
  const decision =
    failure === undefined ? COMPLETED_DECISION[mode] : failure.reverted ? 'reverted' : 'skipped';
  const reason =
    failure?.reason ??
    (verdict !== undefined && mode !== 'cleanup' ? verdict.reason : COMPLETED_REASON[mode]);
  return {
    decision,
    reason,
    completed: failure === undefined,
    ...(record.image !== undefined ? { image: record.image } : {}),
    ...(record.digest !== undefined ? { digest: record.digest } : {}),
    ...(record.previewUrl !== undefined ? { previewUrl: record.previewUrl } : {}),
    ...(verdict?.numbers !== undefined && isJudgeDecision(verdict.decision)
      ? { verdict: { decision: verdict.decision, numbers: verdict.numbers } }
      : {}),
  };
}

function isJudgeDecision(decision: string): decision is JudgeFigures['verdict'] {
  return ['promote', 'revert', 'inconclusive', 'continue'].includes(decision);
}
