/**
 * Which step this process is: action.yml runs the one bundle, dist/index.js, as both the main and
 * the post step. The main step saves this flag before anything else; the runner hands saved state
 * to the post step as STATE_* variables, so only the post step sees it.
 *
 * This module stays free of @actions/core (its caller passes core.saveState in): src/index.ts
 * imports it, and the entry file must hold no package (docs/bundle.md).
 */
import type { saveState } from '@actions/core';

const POST_FLAG = 'isPost';

/** True when this process is the post step: the variable core.getState would read for the flag is set. */
export function isPostStep(): boolean {
  return process.env[`STATE_${POST_FLAG}`] === 'true';
}

/** Saves, with core.saveState, the flag that makes the runner's next start of dist/index.js the post. */
export function flagNextStartAsPost(save: typeof saveState): void {
  save(POST_FLAG, 'true');
}
