/**
 * What the main step leaves for the post step, through the runner's step state (core.saveState):
 * the record of pending cluster changes (written ahead of each change, so a kill at any moment
 * leaves a record that covers what was done) and the GitHub Deployment still open.
 */
import * as core from '@actions/core';
import type { PendingChanges } from '../kube/rollout.ts';

const PENDING_KEY = 'model-canary-pending';
const OPEN_DEPLOYMENT_KEY = 'model-canary-github-deployment';

/** Records (or, with undefined, clears) the pending changes for the post step. */
export function savePending(pending: PendingChanges | undefined): void {
  core.saveState(PENDING_KEY, pending === undefined ? '' : JSON.stringify(pending));
}

/** The pending changes the main step left, or undefined when it finished cleanly. */
export function loadPending(): PendingChanges | undefined {
  const saved = core.getState(PENDING_KEY);
  return saved === '' ? undefined : (JSON.parse(saved) as PendingChanges);
}

/** Records (or, with undefined, clears) the GitHub Deployment the main step opened. */
export function saveOpenDeployment(id: number | undefined): void {
  core.saveState(OPEN_DEPLOYMENT_KEY, id === undefined ? '' : String(id));
}

/** The GitHub Deployment the main step left open, if any. */
export function loadOpenDeployment(): number | undefined {
  const saved = core.getState(OPEN_DEPLOYMENT_KEY);
  return saved === '' ? undefined : Number(saved);
}
