/**
 * The post step (runs always, also after cancellation): undoes what the main step left
 * unfinished, from the state it saved. Must not be able to make things worse: it only reads state
 * and removes what that state says we created (found again by our labels).
 */
import * as core from '@actions/core';
import { readInputs } from './inputs.ts';
import { cleanUpPending } from './kube/rollout-stages.ts';
import { planRun } from './plan.ts';
import { reportFailure } from './report/annotations.ts';
import { loadPending } from './run-state.ts';

/** Runs the action's post step. */
export async function run(): Promise<void> {
  try {
    const pending = loadPending();
    if (pending === undefined) {
      core.info('model-canary post: nothing pending, no canary was left unfinished.');
      return;
    }
    core.warning(
      `The main step left ${pending.changes.join(', ')} of ${pending.namespace}/${pending.target} unfinished; undoing it.`,
    );
    const settings = readInputs();
    const plan = planRun(settings);
    await cleanUpPending(pending, { ...plan, namespace: pending.namespace }, settings);
  } catch (error) {
    reportFailure(error);
  }
}
