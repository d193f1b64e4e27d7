/**
 * What the main step changed, saved with core.saveState so the post step can undo an unfinished
 * canary after cancellation or failure. One key, one JSON document, written before each change
 * (write-ahead), so a kill at any moment leaves state that covers what was done.
 *
 * Also the in-process record stages hand to each other within one main step: the built image
 * (build → deploy), the running canary (deploy → analyse → decide) and the analysis verdict.
 */
import * as core from '@actions/core';
import type { VerdictNumbers } from './checks/latency-judge.ts';

const PENDING_KEY = 'model-canary-pending';

/** Changes the main step made that are not yet finished (a canary not yet promoted or reverted). */
export interface PendingChanges {
  namespace: string;
  target: string;
  /** What to undo, in order, e.g. ["canary"], ["first"], ["promotion"]. */
  changes: string[];
  /** Router in force: `replicas`, or `gateway-api:<route name>` whose backends we changed. */
  router?: string;
  /** The image stable ran before this run, to put back if a promotion was cut short. */
  stableImage?: string;
  /** Lease holder identity of the run that made the changes. */
  holder?: string;
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

/** The analysis verdict of the current step, as the analyse stage records it for decide. */
export interface AnalysisVerdict {
  decision: 'promote' | 'revert';
  reason: string;
  numbers?: VerdictNumbers;
}

/** Facts stages of one main step pass on to later stages (in memory only). */
export interface RunRecord {
  /** Pushed image, `repository@sha256:…` or `repository:tag` (set by build or tag-release). */
  image?: string;
  digest?: string;
  /** Runtime the build served the model with (after auto detection), and the model's name in it. */
  runtime?: string;
  modelName?: string;
  verdict?: AnalysisVerdict;
}

/** The one in-memory record of this main step. */
export const runRecord: RunRecord = {};
