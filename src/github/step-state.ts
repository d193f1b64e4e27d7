/**
 * What the main step leaves for the post step, through the runner's step state (runner.saveState):
 * the record of pending cluster changes (written ahead of each change, so a kill at any moment
 * leaves a record that covers what was done), the GitHub Deployment still open, and the scratch
 * folder of a build cut short (its Docker config holds registry credentials).
 */
import * as runner from './runner.ts';
import type { PendingChanges } from '../kube/rollout.ts';

const POST_FLAG = 'isPost';
const PENDING_KEY = 'model-canary-pending';
const OPEN_DEPLOYMENT_KEY = 'model-canary-github-deployment';
const BUILD_SCRATCH_KEY = 'model-canary-build-scratch';

/** Saves the flag that makes the runner's next start of dist/index.js the post step; first thing in main. */
export function flagNextStartAsPost(): void {
  runner.saveState(POST_FLAG, 'true');
}

/** True when this process is the post step (the runner handed it the flag the main step saved). */
export function isPostStep(): boolean {
  return runner.getState(POST_FLAG) === 'true';
}

/** Records (or, with undefined, clears) the pending changes for the post step. */
export function savePending(pending: PendingChanges | undefined): void {
  runner.saveState(PENDING_KEY, pending === undefined ? '' : JSON.stringify(pending));
}

/** The pending changes the main step left, or undefined when it finished cleanly. */
export function loadPending(): PendingChanges | undefined {
  const saved = runner.getState(PENDING_KEY);
  return saved === '' ? undefined : (JSON.parse(saved) as PendingChanges);
}

/** Records (or, with undefined, clears) the GitHub Deployment the main step opened. */
export function saveOpenDeployment(id: number | undefined): void {
  runner.saveState(OPEN_DEPLOYMENT_KEY, id === undefined ? '' : String(id));
}

/** The GitHub Deployment the main step left open, if any. */
export function loadOpenDeployment(): number | undefined {
  const saved = runner.getState(OPEN_DEPLOYMENT_KEY);
  return saved === '' ? undefined : Number(saved);
}

/** Records (or, with undefined, clears) the scratch folder of the build under way. */
export function saveBuildScratch(folder: string | undefined): void {
  runner.saveState(BUILD_SCRATCH_KEY, folder ?? '');
}

/** The scratch folder a build left when the main step was cut short, if any. */
export function loadBuildScratch(): string | undefined {
  return runner.getState(BUILD_SCRATCH_KEY) || undefined;
}
