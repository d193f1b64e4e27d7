/**
 * The main step's rollout half as the runner runs it (INPUT_* environment, GITHUB_STATE file):
 * deploy-canary in the session main.ts opens, then an analysis that takes as long as the test needs
 * to kill us, then decide. The image comes from MODEL_CANARY_TEST_IMAGE, standing in for the build
 * stage. With MODEL_CANARY_TEST_VERDICT=promote (or revert) the analysis ends at once with that
 * verdict, and decide promotes (or reverts); the step then prints `chaos: decided <decision>`.
 * With MODEL_CANARY_TEST_ANALYSIS_UNTIL (a file path) that analysis lasts until the file exists.
 */
import { existsSync } from 'node:fs';
import { judgeStep } from '../../src/checks/step.ts';
import { readInputs } from '../../src/inputs/read.ts';
import { canaryStep } from '../../src/kube/rollout.ts';
import { openSession, runStages } from '../../src/main.ts';
import { planRun } from '../../src/plan.ts';
import type { Run, StepAnalysis } from '../../src/run.ts';
import { deployCanaryStage } from '../../src/stages/deploy-canary.ts';
import { flagNextStartAsPost } from '../../src/github/step-state.ts';

// First thing, as src/main.ts does: the runner's next start of dist/index.js is the post step.
flagNextStartAsPost();

const settings = readInputs();
const plan = planRun(settings);
const image = { reference: process.env['MODEL_CANARY_TEST_IMAGE']! };
let run: Run = { settings, plan, analyses: [], image };
run = { ...run, rollout: await openSession(run) };
run = { ...run, ...(await deployCanaryStage(run)) };
process.stdout.write('chaos: canary deployed, analysing\n');
const verdict = process.env['MODEL_CANARY_TEST_VERDICT'];
if (verdict === 'promote' || verdict === 'revert') {
  const until = process.env['MODEL_CANARY_TEST_ANALYSIS_UNTIL'];
  while (until !== undefined && !existsSync(until)) await new Promise((resolve) => setTimeout(resolve, 200));
  // A judged first step, as the analyse stage would hand it on (no requests measured).
  const judged: StepAnalysis = {
    step: canaryStep(run.rollout!.ctx, run.canary!, 0),
    judgement: judgeStep({ canary: { latenciesMs: [], errors: 0, requests: 0 }, gate: settings.gate }),
    verdict: { decision: verdict, reason: `test verdict ${verdict}` },
    load: {
      arms: {},
      generator: {
        schedulingLagP50Ms: 0,
        schedulingLagP99Ms: 0,
        schedulingLagMaxMs: 0,
        eventLoopDelayP99Ms: 0,
        eventLoopDelayMaxMs: 0,
        bottleneck: false,
      },
      protocol: 'v2',
      ratePerArm: 0,
      looksTaken: 0,
      stoppedEarly: false,
      measuredMs: 0,
    },
  };
  const { run: decided, failure } = await runStages({ ...run, analyses: [judged] }, ['decide']);
  if (failure !== undefined) throw failure.error;
  process.stdout.write(`chaos: decided ${decided.outcome?.decision}\n`);
} else {
  // An analysis that outlasts the test's patience: the test kills this process.
  await new Promise((resolve) => setTimeout(resolve, 600_000));
}
