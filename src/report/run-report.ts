/**
 * Pure: what one run decided and measured, in the shape every report reads — the job summary, the
 * JSON `report` file, the step outputs and the PR comment. Stages fill it; nothing here does I/O.
 */
import type { Mode } from '../inputs.ts';

/** The `decision` output's values (product.md). */
export type Decision = 'promoted' | 'reverted' | 'preview' | 'skipped';

/** Latency and error figures of one arm over the measured window (warm-up excluded). */
export interface ArmStats {
  /** Requests sent in the measured window. */
  requests: number;
  /** Requests that failed (HTTP error, timeout, network error, dropped). */
  errors: number;
  /** errors / requests, 0 to 1. */
  errorRate: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** What the statistical gate concluded about the canary's latency against stable. */
export interface JudgeFigures {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** The quantile compared, e.g. 0.95 for p95. */
  quantile: number;
  confidence: number;
  /** Point estimate of canary ÷ stable − 1 at that quantile (0.04 = 4 % slower). */
  relativeChange: number;
  /** Lower and upper confidence bounds of that change; `upper` is what the gate holds to the limit. */
  lowerBound: number;
  upperBound: number;
  /** The `max-regression` input the upper bound is compared with. */
  maxRegression: number;
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
