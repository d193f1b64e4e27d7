/**
 * The post step (runs always, also after cancellation): undoes what the main step left
 * unfinished, from the state it saved. Must not be able to make things worse: it only reads state
 * and removes what that state says we created (found again by our labels).
 */
import * as core from '@actions/core';
import { readInputs } from './inputs/read.ts';
import type { Settings } from './inputs/settings.ts';
import { cleanUpPending } from './stages/rollout-stages.ts';
import { planRun } from './plan.ts';
import { reportFailure } from './github/annotations.ts';
import { closeAbandonedDeployment } from './github/run-reporting.ts';
import { loadPending } from './run-state.ts';

/** Runs the action's post step. */
export async function run(): Promise<void> {
  let settings: Settings | undefined;
  const settingsOf = (): Settings => (settings ??= readInputs());
  try {
    const pending = loadPending();
    if (pending === undefined) {
      core.info('model-canary post: nothing pending, no canary was left unfinished.');
    } else {
      core.warning(
        `The main step left ${pending.changes.join(', ')} of ${pending.namespace}/${pending.target} unfinished; undoing it.`,
      );
      const plan = planRun(settingsOf());
      await cleanUpPending(pending, { ...plan, namespace: pending.namespace }, settingsOf());
    }
    // A cancelled job must not leave its GitHub Deployment "in progress" for ever.
    await closeAbandonedDeployment(settingsOf);
  } catch (error) {
    reportFailure(error);
  }
}
