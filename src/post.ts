/**
 * The post step (runs always, also after cancellation): undoes what the main step left
 * unfinished, from the state it saved. Must not be able to make things worse: it only reads state
 * and removes what that state says we created (found again by our labels).
 */
import * as core from '@actions/core';
import { readInputs, type Settings } from './inputs/inputs.ts';
import { planRun } from './plan.ts';
import { reportFailure } from './github/annotations.ts';
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
      const { cleanUpPending } = await import('./stages/rollout-stages.ts');
      await cleanUpPending(pending, { ...plan, namespace: pending.namespace }, settingsOf());
    }
    // A cancelled job must not leave its GitHub Deployment "in progress" for ever.
    await (await import('./github/run-reporting.ts')).closeAbandonedDeployment(settingsOf);
  } catch (error) {
    reportFailure(error);
  }
}
