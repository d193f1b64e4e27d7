/**
 * Stage `revert` (mode revert): removes a waiting canary — a paused one, or one a run cut short
 * left — with the same undo a failed run gets; with none left, returns stable to the image before
 * its last promotion.
 */
import { describePause, pausedCanaryOf, readCanary, type PausedCanary } from '../kube/pause.ts';
import { revertPromotion, undoChanges } from '../kube/rollout.ts';
import { rolloutOf, type Outcome, type Run } from '../run.ts';

/** Undoes the waiting canary, or the last promotion. */
export async function revertStage(run: Run): Promise<{ outcome: Outcome }> {
  const session = rolloutOf(run);
  const { ctx } = session;
  const canary = await readCanary(ctx);
  if (canary !== undefined) {
    let paused: PausedCanary | undefined;
    try {
      paused = pausedCanaryOf(canary);
    } catch (error) {
      // An unreadable record must not keep the canary serving: the undo finds the router itself.
      ctx.warn(
        `${error instanceof Error ? error.message : String(error)}; the canary is removed all the same`,
      );
    }
    // The paused record names the router whose traffic to restore; without one the undo detects it.
    await undoChanges(
      paused !== undefined ? { ...ctx, serving: paused.serving } : ctx,
      {
        ...session.pending(),
        changes: ['canary'],
        ...(paused !== undefined ? { router: paused.router } : {}),
      },
      'reverted by mode revert',
    );
    await session.settle();
    return {
      outcome: {
        decision: 'reverted',
        reason:
          paused !== undefined
            ? `canary removed by mode revert; stable keeps ${paused.stableImage} (the canary was ${describePause(paused)})`
            : 'canary removed by mode revert',
      },
    };
  }
  const image = await revertPromotion(ctx);
  await session.settle();
  return { outcome: { decision: 'reverted', reason: `stable returned to ${image}`, image } };
}
