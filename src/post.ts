/**
 * The post step (runs always, also after cancellation): undoes what the main step left
 * unfinished, from the record it saved, with the same undo a failed run uses (kube/rollout.ts
 * undoChanges). Must not be able to make things worse: it only reads that record and removes what
 * it says we created (found again by our labels).
 */
import * as runner from './github/runner.ts';
import { reportFailure } from './github/annotations.ts';
import { loadBuildScratch, loadPending } from './github/step-state.ts';
import { readInputs } from './inputs/read.ts';
import type { Settings } from './inputs/settings.ts';
import { planRun } from './plan.ts';

/** How long the post step waits for the Lease (its own run's, normally free at once). */
const POST_LEASE_WAIT_SECONDS = 120;

/** Runs the action's post step. */
export async function run(): Promise<void> {
  let settings: Settings | undefined;
  const settingsOf = (): Settings => (settings ??= readInputs());
  try {
    // A build cut short leaves its Docker config (registry credentials) in its scratch folder.
    const scratch = loadBuildScratch();
    if (scratch !== undefined) {
      const { removeBuildScratch } = await import('./image/buildkit.ts');
      if (await removeBuildScratch(scratch).catch(() => false))
        runner.info("post: removed the unfinished build's credentials");
    }
    const pending = loadPending();
    if (pending === undefined) {
      runner.info('model-canary post: nothing pending, no canary was left unfinished.');
    } else {
      runner.warning(
        `The main step left ${pending.changes.join(', ')} of ${pending.namespace}/${pending.target} unfinished; undoing it.`,
      );
      const { openStepSession } = await import('./step-session.ts');
      const current = settingsOf();
      const session = await openStepSession(
        current,
        { ...planRun(current), namespace: pending.namespace },
        { pending, waitSeconds: POST_LEASE_WAIT_SECONDS, logPrefix: 'post: ' },
      );
      await session.undo('the main step did not finish');
      await session.close();
      runner.info(
        pending.changes.includes('first')
          ? 'post: removed the unfinished first version'
          : 'post: canary removed, traffic back on stable',
      );
    }
    // A cancelled job must not leave its GitHub Deployment "in progress" for ever.
    const { closeAbandonedDeployment } = await import('./github/run-reporting.ts');
    await closeAbandonedDeployment(settingsOf);
  } catch (error) {
    reportFailure(error);
  }
}
