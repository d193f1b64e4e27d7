/**
 * Stage `deploy-preview`: an isolated copy named for the pull request (`<name>-pr-<n>`, its own
 * Deployment and Services, no production traffic), updated in place on each push. The analysis
 * then compares it with production's stable arm.
 */
import { ClusterError } from '../errors.ts';
import { deployPreview, type CanaryState } from '../kube/rollout.ts';
import { rolloutOf, type Run } from '../run.ts';
import { imagePullCredentials } from './deploy-canary.ts';

/** Deploys the preview and waits until it serves; a deployed preview stays until cleanup. */
export async function deployPreviewStage(run: Run): Promise<{ canary: CanaryState }> {
  if (run.image === undefined)
    throw new ClusterError('image', 'no image to deploy: the build stage produced none');
  const session = rolloutOf(run);
  const pull = await imagePullCredentials(run.settings, run.image.reference);
  const canary = await deployPreview(session.ctx, run.image.reference, pull);
  // Finished work, not a pending change: a later failure (analysis, report) leaves it up.
  await session.settle();
  return { canary };
}
