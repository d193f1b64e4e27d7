/** Stage `deploy-canary`: the canary at the first weight (or the first version) beside stable, serving. */
import { ClusterError } from '../errors.ts';
import { deployCanary, type CanaryState } from '../kube/rollout.ts';
import { rolloutOf, type Run } from '../run.ts';

/** Pre-flight, then the canary (or a first version into an empty target); waits until it serves. */
export async function deployCanaryStage(run: Run): Promise<{ canary: CanaryState }> {
  if (run.image === undefined)
    throw new ClusterError('image', 'no image to deploy: the build stage produced none');
  return { canary: await deployCanary(rolloutOf(run).ctx, run.image.reference) };
}
