/**
 * What the main step changed, saved with core.saveState so the post step can undo an unfinished
 * canary after cancellation or failure. One key, one JSON document.
 */
import * as core from '@actions/core';

const PENDING_KEY = 'model-canary-pending';

/** Changes the main step made that are not yet finished (a canary not yet promoted or reverted). */
export interface PendingChanges {
  namespace: string;
  target: string;
  /** What to undo, in order, e.g. ["canary-deployment", "traffic"]. */
  changes: string[];
}

/** Records (or, with undefined, clears) the pending changes for the post step. */
export function savePending(pending: PendingChanges | undefined): void {
  core.saveState(PENDING_KEY, pending === undefined ? '' : JSON.stringify(pending));
}

/** The pending changes the main step left, or undefined when it finished cleanly. */
export function loadPending(): PendingChanges | undefined {
  const saved = core.getState(PENDING_KEY);
  return saved === '' ? undefined : (JSON.parse(saved) as PendingChanges);
}
