/** Stage `promote` (mode promote): finishes a canary an earlier run left running. */
import { promoteCanary } from '../kube/rollout.ts';
import { rolloutOf, type Outcome, type Run } from '../run.ts';

/** Stable takes the waiting canary's image; the canary goes. */
export async function promoteStage(run: Run): Promise<{ outcome: Outcome }> {
  const session = rolloutOf(run);
  const pinned = await promoteCanary(session.ctx);
  session.settle();
  return { outcome: { decision: 'promoted', reason: 'promoted by mode promote', image: pinned } };
}
