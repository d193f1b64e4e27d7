/**
 * The post step (runs always, also after cancellation): undoes what the main step left
 * unfinished, from the record it saved, with the same undo a failed run uses (kube/rollout.ts
 * undoChanges). Must not be able to make things worse: it only reads that record and removes what
 * it says we created (found again by our labels). The undo is tried a few times (an API server
 * restarting is back within seconds); whatever it did, the GitHub Deployment is closed.
 */
import * as runner from './github/runner.ts';
import { reportFailure } from './github/annotations.ts';
import { loadBuildScratch, loadPending } from './github/step-state.ts';
import { InputError } from './errors.ts';
import { readInputs } from './inputs/read.ts';
import type { Settings } from './inputs/settings.ts';
import type { PendingChanges } from './kube/rollout.ts';
import { planRun } from './plan.ts';

/** How long the post step waits for the Lease (its own run's, normally free at once). */
const POST_LEASE_WAIT_SECONDS = 120;
/** Tries of the whole undo, the first wait between them, doubled each time (2 + 4 + 8 + 16 s). */
const UNDO_ATTEMPTS = 5;
const FIRST_RETRY_MS = 2000;
const NOTHING_PENDING = 'model-canary post: nothing pending, no canary was left unfinished.';

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
    if (pending === undefined) runner.info(NOTHING_PENDING);
    else if (pending.changes.length === 0) await giveBack(settingsOf(), pending);
    else await undoPending(settingsOf, pending);
  } catch (error) {
    reportFailure(error);
  }
  // A cancelled job must not leave its GitHub Deployment "in progress" for ever (never throws).
  const { closeAbandonedDeployment } = await import('./github/run-reporting.ts');
  await closeAbandonedDeployment(settingsOf);
}

/** The main step stopped with nothing unfinished, maybe still holding the target's Lease: gives it back. */
async function giveBack(settings: Settings, pending: PendingChanges): Promise<void> {
  const [{ clusterOf }, { giveBackLease }] = await Promise.all([
    import('./kube/cluster.ts'),
    import('./kube/lease.ts'),
  ]);
  const plan = planRun(settings);
  const name = plan.objects.lease;
  const given = await giveBackLease(clusterOf(settings), {
    namespace: pending.namespace,
    name,
    holder: pending.holder ?? '',
  });
  runner.info(
    given
      ? `post: nothing was left unfinished; gave back the Lease ${pending.namespace}/${name} the main step still held`
      : NOTHING_PENDING,
  );
}

/** Undoes the record under the main step's Lease holder, trying again with backoff. */
async function undoPending(settingsOf: () => Settings, pending: PendingChanges): Promise<void> {
  runner.warning(
    `The main step left ${pending.changes.join(', ')} of ${pending.namespace}/${pending.target} unfinished; undoing it.`,
  );
  const { openStepSession } = await import('./step-session.ts');
  for (let attempt = 1, waitMs = FIRST_RETRY_MS; ; attempt++, waitMs *= 2) {
    try {
      const current = settingsOf();
      const session = await openStepSession(
        current,
        { ...planRun(current), namespace: pending.namespace },
        { pending, waitSeconds: POST_LEASE_WAIT_SECONDS, logPrefix: 'post: ' },
      );
      try {
        await session.undo('the main step did not finish');
      } finally {
        // Keeps the Lease, with its record, when the undo did not finish.
        await session.close().catch(() => undefined);
      }
      runner.info(
        pending.changes.includes('first')
          ? 'post: removed the unfinished first version'
          : 'post: canary removed, traffic back on stable',
      );
      return;
    } catch (error) {
      if (error instanceof InputError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= UNDO_ATTEMPTS) {
        throw new Error(
          `post: the undo failed ${attempt} times (last: ${reason}). The target's Lease keeps the record of ` +
            'what is unfinished: the next run on the target, or mode cleanup, undoes it',
          { cause: error },
        );
      }
      runner.warning(
        `post: undo attempt ${attempt} of ${UNDO_ATTEMPTS} failed (${reason}); trying again in ${waitMs / 1000}s`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
