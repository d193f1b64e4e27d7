/**
 * The main step's rollout half as the runner runs it (INPUT_* environment, GITHUB_STATE file):
 * deploy-canary, then an analysis that takes as long as the test needs to kill us, then decide.
 * The image comes from MODEL_CANARY_TEST_IMAGE, standing in for the build stage.
 * With MODEL_CANARY_TEST_VERDICT=promote the analysis passes at once and decide promotes.
 */
import * as core from '@actions/core';
import { flagNextStartAsPost } from '../../src/post-flag.ts';
import { readInputs } from '../../src/inputs/inputs.ts';
import { decideStage, deployCanaryStage } from '../../src/stages/rollout-stages.ts';
import { planRun } from '../../src/plan.ts';
import { runRecord } from '../../src/run-state.ts';

// First thing, as src/main.ts does: the runner's next start of dist/index.js is the post step.
flagNextStartAsPost(core.saveState);
const settings = readInputs();
const plan = planRun(settings);
runRecord.image = process.env['MODEL_CANARY_TEST_IMAGE'];
await deployCanaryStage(plan, settings);
process.stdout.write('chaos: canary deployed, analysing\n');
if (process.env['MODEL_CANARY_TEST_VERDICT'] === 'promote') {
  runRecord.verdict = { decision: 'promote', reason: 'test verdict' };
  await decideStage(plan, settings);
  process.stdout.write('chaos: decided\n');
} else {
  // An analysis that outlasts the test's patience: the test kills this process.
  await new Promise((resolve) => setTimeout(resolve, 600_000));
}
