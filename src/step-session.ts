/**
 * The rollout session as a step of the runner opens it, for the main step (before its first stage
 * that changes the cluster) and for the post step (on the record a killed main step left): the
 * connection from the inputs, the Lease under the run's identity, the record kept in the step
 * state, and the log on the runner. main.ts and post.ts import this module only when they need a
 * session, so neither loads the Kubernetes client otherwise.
 */
import * as runner from './github/runner.ts';
import { savePending } from './github/step-state.ts';
import type { Settings } from './inputs/settings.ts';
import { clusterOf } from './kube/cluster.ts';
import { runIdentity, servingFor } from './kube/manifests.ts';
import type { PendingChanges } from './kube/rollout.ts';
import { probeProtocolFor } from './load/protocols.ts';
import { openRolloutSession, type RolloutSession } from './kube/session.ts';
import type { Plan } from './plan.ts';
import type { BuiltImage } from './run.ts';

export interface StepSessionOptions {
  /** The image the build found the runtime and model name of (its pods' ports and probes). */
  image?: BuiltImage;
  /** A record a killed main step left, to undo under that step's Lease holder. */
  pending?: PendingChanges;
  waitSeconds?: number;
  /** Put before every log line, e.g. `post: `. */
  logPrefix?: string;
}

/** Opens the target's rollout session for this step. */
export function openStepSession(
  settings: Settings,
  plan: Plan,
  { image, pending, waitSeconds, logPrefix = '' }: StepSessionOptions = {},
): Promise<RolloutSession> {
  const runtime = image?.runtime ?? settings.build.runtime;
  return openRolloutSession({
    cluster: clusterOf(settings),
    plan,
    settings,
    serving: servingFor(
      runtime,
      image?.modelName ?? settings.name,
      probeProtocolFor(settings.probe.protocol, runtime, settings.probe.path),
    ),
    holder: pending?.holder ?? runIdentity(settings.run),
    journal: savePending,
    ...(pending !== undefined ? { pending } : {}),
    ...(waitSeconds !== undefined ? { waitSeconds } : {}),
    log: (line) => runner.info(`${logPrefix}${line}`),
    warn: (line) => runner.warning(line),
  });
}
