/** Stage `cleanup-preview`: deletes everything the pull request's preview created, found by label. */
import { removeTarget } from '../kube/rollout.ts';
import { rolloutOf, type Run } from '../run.ts';

/** Removes the preview's objects; its Lease goes when main.ts closes the session. */
export async function cleanupPreviewStage(run: Run): Promise<Record<string, never>> {
  const { ctx } = rolloutOf(run);
  await removeTarget(ctx);
  ctx.log(`preview ${run.plan.target} removed`);
  return {};
}
