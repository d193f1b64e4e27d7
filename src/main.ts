/**
 * The pipeline for each mode, as product.md's table reads: inputs → plan → stages → decision →
 * report. Each mode's stages (plan.ts) run in order, looked up by name.
 */
import * as core from '@actions/core';
import { CanaryFailed, InputError } from './errors.ts';
import { readInputs, type Settings } from './inputs/inputs.ts';
import { planRun, type Plan, type StageName } from './plan.ts';
import { reportFailure } from './github/annotations.ts';
import { planFacts, renderPlanMarkdown } from './github/plan-summary.ts';
import { outcomeOfRun } from './report.ts';
import type { RunReporting } from './github/run-reporting.ts';
import { runRecord } from './run-state.ts';
import { flagNextStartAsPost } from './post-flag.ts';

/** One stage of a mode; it reads the plan and settings and carries out its part. */
export type StageRunner = (plan: Plan, settings: Settings) => Promise<void>;

/**
 * Every stage of every mode, each loading its module on first use: a dry run, or a mode without
 * a cluster stage, never loads the Kubernetes client (docs/bundle.md). The Record type makes a
 * mode's missing stage a compile error.
 */
const stageRunners: Record<StageName, () => Promise<StageRunner>> = {
  build: async () => (await import('./stages/build.ts')).buildStage,
  'deploy-canary': async () => (await import('./stages/rollout-stages.ts')).deployCanaryStage,
  'deploy-preview': async () => (await import('./stages/rollout-stages.ts')).deployPreviewStage,
  analyse: async () => (await import('./stages/analyse.ts')).analyseStage,
  decide: async () => (await import('./stages/rollout-stages.ts')).decideStage,
  'report-preview': async () => (await import('./stages/report-preview.ts')).reportPreviewStage,
  'cleanup-preview': async () => (await import('./stages/rollout-stages.ts')).cleanupPreviewStage,
  promote: async () => (await import('./stages/rollout-stages.ts')).promoteStage,
  revert: async () => (await import('./stages/rollout-stages.ts')).revertStage,
  'tag-release': async () => (await import('./stages/tag-release.ts')).tagReleaseStage,
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
    const { startRunReport, finishRunReport } = await import('./github/run-reporting.ts');
    reported = { plan, settings, reporting: await startRunReport(plan, settings) };
    for (const stage of plan.stages) {
      await core.group(`model-canary: ${stage}`, async () => (await stageRunners[stage]())(plan, settings));
    }
    await finishRunReport(reported.reporting, plan, settings, outcomeOfRun(plan.mode, runRecord));
  } catch (error) {
    // A stage after deploy failed: the canary goes now, not only in the post step. Before the
    // first stage nothing was deployed, and the rollout module need not load.
    if (reported !== undefined) {
      await (await import('./stages/rollout-stages.ts')).revertUnfinishedRollout(error);
    }
    reportFailure(error);
    const failure = { reverted: error instanceof CanaryFailed, reason: oneLineReason(error) };
    if (reported === undefined) {
      // Refused before any stage ran: nothing changed.
      core.setOutput('decision', 'skipped');
      core.setOutput('reason', failure.reason);
    } else {
      const { plan, settings, reporting } = reported;
      const { finishRunReport } = await import('./github/run-reporting.ts');
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
