/** Stage `deploy-canary`: the canary at the first weight (or the first version) beside stable, serving. */
import { ClusterError } from '../errors.ts';
import { refuseIfPaused } from '../kube/pause.ts';
import { deployCanary, type CanaryState } from '../kube/rollout.ts';
import { rolloutOf, type Run } from '../run.ts';
import * as runner from '../github/runner.ts';
import type { Settings } from '../inputs/settings.ts';
import type { PullCredentials } from '../kube/pull-secret.ts';
import { pullCredentialsFor } from '../registry/credentials.ts';

/**
 * The credentials the cluster's nodes need to pull the image (the ones it was pushed with, found
 * by the one lookup), or undefined: input image-pull-secret names the user's own Secret, or the
 * registry pulls the image without credentials.
 */
export async function imagePullCredentials(
  settings: Settings,
  image: string,
): Promise<PullCredentials | undefined> {
  if (settings.workload.imagePullSecret !== undefined) return undefined;
  const pull = await pullCredentialsFor(image, {
    ...(settings.build.registryAuth !== undefined ? { inputs: settings.build.registryAuth } : {}),
  });
  if (pull === undefined) return undefined;
  runner.setSecret(pull.password);
  runner.info(`The registry refuses anonymous pulls of ${image}: the pods pull with ${pull.source}`);
  return { registry: pull.registry, username: pull.username, password: pull.password };
}

/**
 * Pre-flight, then the canary (or a first version into an empty target); waits until it serves.
 * A target whose canary an earlier run paused is refused before any change: a person finishes it.
 */
export async function deployCanaryStage(run: Run): Promise<{ canary: CanaryState }> {
  if (run.image === undefined)
    throw new ClusterError('image', 'no image to deploy: the build stage produced none');
  const { ctx } = rolloutOf(run);
  await refuseIfPaused(ctx);
  const pull = await imagePullCredentials(run.settings, run.image.reference);
  return { canary: await deployCanary(ctx, run.image.reference, pull) };
}
