/**
 * The pipeline for each mode, as product.md's table reads: inputs → plan → stages → decision →
 * report. Each mode's stages (plan.ts) run in order, looked up by name.
 */
import * as core from '@actions/core';
import { analyseStage } from './stages/analyse.ts';
import { buildStage } from './stages/build.ts';
import { CanaryFailed, InputError } from './errors.ts';
import { readInputs, type Settings } from './inputs/inputs.ts';
import {
  cleanupPreviewStage,
  decideStage,
  deployCanaryStage,
  deployPreviewStage,
  promoteStage,
  revertStage,
  revertUnfinishedRollout,
} from './stages/rollout-stages.ts';
import { planRun, type Plan, type StageName } from './plan.ts';
import { reportFailure } from './github/annotations.ts';
import { reportPreviewStage } from './stages/report-preview.ts';
import { tagReleaseStage } from './stages/tag-release.ts';
import { planFacts, renderPlanMarkdown } from './github/plan-summary.ts';
import { outcomeOfRun } from './report.ts';
import { finishRunReport, startRunReport, type RunReporting } from './github/run-reporting.ts';
import { runRecord } from './run-state.ts';
import { flagNextStartAsPost } from './post-flag.ts';

/** One stage of a mode; it reads the plan and settings and carries out its part. */
export type StageRunner = (plan: Plan, settings: Settings) => Promise<void>;

/** Every stage of every mode; the Record type makes a mode's missing stage a compile error. */
const stageRunners: Record<StageName, StageRunner> = {
  build: buildStage,
  'deploy-canary': deployCanaryStage,
  'deploy-preview': deployPreviewStage,
  analyse: analyseStage,
  decide: decideStage,
  'report-preview': reportPreviewStage,
  'cleanup-preview': cleanupPreviewStage,
  promote: promoteStage,
  revert: revertStage,
  'tag-release': tagReleaseStage,
};

/** Runs the action's main step. */
export async function run(): Promise<void> {
  flagNextStartAsPost(core.saveState);
  let reported: { plan: Plan; settings: Settings; reporting: RunReporting } | undefined;
  try {
    const settings = readInputs();
    const plan = planRun(settings);
    if (plan.dryRun) {
      await reportDryRun(plan);
      return;
    }
    reported = { plan, settings, reporting: await startRunReport(plan, settings) };
    for (const stage of plan.stages) {
      await core.group(`model-canary: ${stage}`, () => stageRunners[stage](plan, settings));
    }
    await finishRunReport(reported.reporting, plan, settings, outcomeOfRun(plan.mode, runRecord));
  } catch (error) {
    // A stage after deploy failed: the canary goes now, not only in the post step.
    await revertUnfinishedRollout(error);
    reportFailure(error);
    const failure = { reverted: error instanceof CanaryFailed, reason: oneLineReason(error) };
    if (reported === undefined) {
      // Refused before any stage ran: nothing changed.
      core.setOutput('decision', 'skipped');
      core.setOutput('reason', failure.reason);
    } else {
      const { plan, settings, reporting } = reported;
      await finishRunReport(reporting, plan, settings, outcomeOfRun(plan.mode, runRecord, failure));
    }
  }
}

function oneLineReason(error: unknown): string {
  if (error instanceof InputError) return error.problems.map((p) => `${p.input}: ${p.message}`).join('; ');
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
}

async function reportDryRun(plan: Plan): Promise<void> {
  core.startGroup('model-canary: plan (dry run)');
  for (const [label, value] of planFacts(plan)) core.info(`${label}: ${value}`);
  core.endGroup();
  core.setOutput('decision', 'skipped');
  core.setOutput('reason', 'dry-run: the plan was rendered and nothing was changed');
  if (plan.image) core.setOutput('image', plan.image.reference);
  await core.summary.addRaw(renderPlanMarkdown(plan)).write();
}
