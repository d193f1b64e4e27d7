/** Stage `promote` (mode promote): finishes a canary an earlier run paused (input pause-after). */
import { ClusterError } from '../errors.ts';
import { ANNOTATIONS } from '../kube/labels.ts';
import { describePause, promotePausedCanary, readPausedCanary } from '../kube/pause.ts';
import { rolloutOf, type Outcome, type Run } from '../run.ts';

/**
 * Stable takes the paused canary's image, as the paused run rendered it; the canary goes. Only a
 * paused canary is promoted: one without the record was left by a run cut short, and never judged.
 */
export async function promoteStage(run: Run): Promise<{ outcome: Outcome }> {
  const session = rolloutOf(run);
  const { plan } = run;
  const where = `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`;
  const { canary, paused } = await readPausedCanary(session.ctx);
  if (canary === undefined) {
    throw new ClusterError(
      where,
      `does not exist: no paused canary of ${plan.namespace}/${plan.target} to promote. Mode promote finishes a ` +
        'canary a run left paused (input pause-after); check name and namespace, or whether it was already finished',
    );
  }
  if (paused === undefined) {
    throw new ClusterError(
      where,
      `was not paused (no ${ANNOTATIONS.paused} annotation): a run that was cut short left it, and its analysis never ` +
        'finished. It is not promoted; mode revert removes it, and the next canary run replaces it',
    );
  }
  session.ctx.log(`promoting the canary ${describePause(paused)}`);
  const image = await promotePausedCanary(session.ctx, paused);
  await session.settle();
  return {
    outcome: {
      decision: 'promoted',
      reason: `promoted by mode promote: stable runs ${image}, the canary run ${paused.run} paused after step ${paused.step}/${paused.steps}`,
      image,
    },
  };
}
