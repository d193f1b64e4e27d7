/**
 * Stage `revert` (mode revert): removes a waiting canary (the same undo a failed run gets), or,
 * with none left, returns stable to the image before its last promotion.
 */
import { unlessNotFound } from '../kube/cluster.ts';
import { revertPromotion, undoChanges } from '../kube/rollout.ts';
import { rolloutOf, type Outcome, type Run } from '../run.ts';

/** Undoes the waiting canary, or the last promotion. */
export async function revertStage(run: Run): Promise<{ outcome: Outcome }> {
  const session = rolloutOf(run);
  const { ctx } = session;
  const { plan } = run;
  const canary = await unlessNotFound(
    ctx.cluster.apps.readNamespacedDeployment({
      name: plan.objects.canaryDeployment,
      namespace: plan.namespace,
    }),
  );
  if (canary !== undefined) {
    await undoChanges(ctx, { ...session.pending(), changes: ['canary'] }, 'reverted by mode revert');
    session.settle();
    return { outcome: { decision: 'reverted', reason: 'canary removed by mode revert' } };
  }
  const image = await revertPromotion(ctx);
  session.settle();
  return { outcome: { decision: 'reverted', reason: `stable returned to ${image}`, image } };
}
