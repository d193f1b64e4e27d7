/**
 * Stage `cleanup`. On a pull request: deletes everything its preview created, found by label.
 * Elsewhere (a push, a schedule, a manual dispatch): the canary target keeps its stable and any
 * paused canary; what this mode is for there is a run whose runner died, and opening the session
 * already undid what that run left (kube/session.ts), so this stage says what it found.
 */
import { removeTarget } from '../kube/rollout.ts';
import { rolloutOf, type Run } from '../run.ts';

/** Removes the preview's objects (its Lease goes when main.ts closes the session), or reports the recovery. */
export async function cleanupStage(run: Run): Promise<Record<string, never>> {
  const session = rolloutOf(run);
  const { ctx } = session;
  const where = `${run.plan.namespace}/${run.plan.target}`;
  if (run.plan.preview === undefined) {
    const found = session.recovered;
    ctx.log(
      found === undefined
        ? `${where}: no run left changes unfinished; stable and any paused canary are left as they are`
        : `${where}: undid the ${found.changes.join(', ')} run ${found.holder} left unfinished; stable serves all traffic`,
    );
    return {};
  }
  await removeTarget(ctx);
  ctx.log(`preview ${run.plan.target} removed`);
  return {};
}
