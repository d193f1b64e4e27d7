/**
 * Check `canary-pods`: a canary container that exits after it became ready (a crash, an OOM kill)
 * fails the step at once, whatever the error rate says: the requests it dropped while restarting
 * may be too few to tell, and a model that crashes under load is not one to promote.
 */
import type { CheckResult, StepEvidence } from './check.ts';

/** One canary container that exited during the analysis, as the pod watch saw it. */
export interface ContainerCrash {
  pod: string;
  container: string;
  /** The exit code of its last termination, when the kubelet reported one. */
  exitCode?: number;
  /** The kubelet's reason for that termination, e.g. `OOMKilled`, `Error`. */
  reason?: string;
  /** The container's restart count when the crash was seen. */
  restarts: number;
}

export type CanaryPodsResult = CheckResult<'canary-pods', { crashes: readonly ContainerCrash[] }>;

/** One line naming what crashed and how: `container model of pod p exited with code 137 (OOMKilled), restarted 1 time(s)`. */
export function describeCrash(crash: ContainerCrash): string {
  const how =
    crash.reason === 'OOMKilled'
      ? `was OOM-killed${crash.exitCode !== undefined ? ` (exit code ${crash.exitCode})` : ''}`
      : `exited${crash.exitCode !== undefined ? ` with code ${crash.exitCode}` : ''}` +
        `${crash.reason !== undefined ? ` (${crash.reason})` : ''}`;
  return `container ${crash.container} of pod ${crash.pod} ${how} after it became ready, restarted ${crash.restarts} time(s)`;
}

/** Fails when a canary container crashed during the analysis; applies only when the canary's pods were watched. */
export function canaryPodsCheck(evidence: StepEvidence): CanaryPodsResult | undefined {
  const crashes = evidence.crashes;
  if (crashes === undefined) return undefined;
  if (crashes.length === 0)
    return {
      name: 'canary-pods',
      outcome: 'pass',
      reason: 'no canary container exited',
      figures: { crashes },
    };
  return {
    name: 'canary-pods',
    outcome: 'fail',
    reason: `the canary crashed: ${crashes.map(describeCrash).join('; ')}`,
    figures: { crashes },
  };
}
