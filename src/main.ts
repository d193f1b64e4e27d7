/**
 * The main step: inputs → plan → a mode's stages → report. Each stage gets the run context and
 * returns what it produced (src/run.ts); the report and the outputs are written once, from the
 * final context. A failure after the cluster changed is undone here, by the one undo
 * (kube/rollout.ts undoChanges), before it is reported. Stage modules, the Kubernetes client and the
 * GitHub client load only when a stage needs them, so a refused input or a dry run starts fast.
 */
import * as runner from './github/runner.ts';
import { reportFailure } from './github/annotations.ts';
import { planFacts, renderPlanMarkdown } from './github/plan-summary.ts';
import { CanaryFailed, InputError } from './errors.ts';
import { readInputs } from './inputs/read.ts';
import type { Settings } from './inputs/settings.ts';
import { flagNextStartAsPost } from './github/step-state.ts';
import { planRun, STAGES_CHANGING_THE_CLUSTER, type Plan, type StageName } from './plan.ts';
import type { RunFailure } from './report.ts';
import type { RolloutSession } from './kube/session.ts';
import type { Run, Stage } from './run.ts';

/** Every stage of every mode, loaded on first use; the Record type makes a missing one a compile error. */
const STAGES: Record<StageName, () => Promise<Stage>> = {
  build: async () => (await import('./stages/build.ts')).buildStage,
  'tag-release': async () => (await import('./stages/tag-release.ts')).tagReleaseStage,
  'deploy-canary': async () => (await import('./stages/deploy-canary.ts')).deployCanaryStage,
  'deploy-preview': async () => (await import('./stages/deploy-preview.ts')).deployPreviewStage,
  analyse: async () => (await import('./stages/analyse.ts')).analyseStage,
  decide: async () => (await import('./stages/decide.ts')).decideStage,
  'report-preview': async () => (await import('./stages/report-preview.ts')).reportPreviewStage,
  cleanup: async () => (await import('./stages/cleanup.ts')).cleanupStage,
  promote: async () => (await import('./stages/promote.ts')).promoteStage,
  revert: async () => (await import('./stages/revert.ts')).revertStage,
};

/** Runs the action's main step. */
export async function run(): Promise<void> {
  flagNextStartAsPost();
  try {
    const settings = readInputs();
    const plan = planRun(settings);
    if (plan.dryRun) return await reportDryRun(plan, settings);
    // The metrics server judges the checks' PromQL: asked now, a typo fails before anything is built.
    if (settings.metrics !== undefined && plan.stages.includes('analyse')) {
      await (await import('./metrics/validate.ts')).checkMetricQueries(settings.metrics, plan);
    }
    const [{ finishRunReport, startRunReport }, { reportOfRun }] = await Promise.all([
      import('./github/run-reporting.ts'),
      import('./report.ts'),
    ]);
    const reporting = await startRunReport(plan, settings);
    const { run: finished, failure } = await runStages({ settings, plan, analyses: [] });
    const cause = failure?.error ?? finished.outcome?.cause;
    if (cause !== undefined) reportFailure(cause);
    await finishRunReport(reporting, reportOfRun(finished, failure), failure === undefined);
  } catch (error) {
    // Before any stage ran, so nothing changed: refused input is skipped, anything else failed.
    reportFailure(error);
    runner.setOutput('decision', error instanceof InputError ? 'skipped' : 'failed');
    runner.setOutput('reason', oneLineReason(error));
  }
}

/** How a run's stages ended when one of them threw. */
export interface StagesFailure extends RunFailure {
  error: unknown;
}

/**
 * Runs stages (default: the plan's) on the run context, opening the rollout session before the
 * first that changes the cluster and closing it after the last. A stage that throws ends the run:
 * what the session recorded is undone and the failure returned, never thrown.
 */
export async function runStages(
  start: Run,
  stages: readonly StageName[] = start.plan.stages,
): Promise<{ run: Run; failure?: StagesFailure }> {
  let current = start;
  try {
    for (const name of stages) {
      if (STAGES_CHANGING_THE_CLUSTER.has(name) && current.rollout === undefined) {
        current = { ...current, rollout: await openSession(current) };
      }
      const stage = await STAGES[name]();
      const produced = await runner.group(`model-canary: ${name}`, () => stage(current));
      current = { ...current, ...produced };
    }
    await current.rollout?.close();
    return { run: current };
  } catch (error) {
    const reverted = current.rollout !== undefined && (await undoAfterFailure(current.rollout, error));
    return {
      run: current,
      failure: { error, reverted: reverted || error instanceof CanaryFailed, reason: oneLineReason(error) },
    };
  }
}

/** Takes the target's Lease and starts the write-ahead record, kept in the step state for the post step. */
export async function openSession({ settings, plan, image }: Run): Promise<RolloutSession> {
  const { openStepSession } = await import('./step-session.ts');
  return openStepSession(settings, plan, image !== undefined ? { image } : {});
}

/** Undoes what the run changed; true when something was undone. A failed undo is left to the post step. */
async function undoAfterFailure(session: RolloutSession, error: unknown): Promise<boolean> {
  try {
    const undone = await session.undo(oneLineReason(error));
    // Kept when the undo failed: the post step, under the same holder, retries it.
    await session.close();
    return undone;
  } catch (undoError) {
    runner.error(
      `revert after failure did not finish (the post step retries): ${undoError instanceof Error ? undoError.message : String(undoError)}`,
    );
    return false;
  }
}

function oneLineReason(error: unknown): string {
  if (error instanceof InputError) return error.problems.map((p) => `${p.input}: ${p.message}`).join('; ');
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
}

async function reportDryRun(plan: Plan, settings: Settings): Promise<void> {
  runner.startGroup('model-canary: plan (dry run)');
  for (const [label, value] of planFacts(plan, settings)) runner.info(`${label}: ${value}`);
  runner.endGroup();
  runner.setOutput('decision', 'skipped');
  runner.setOutput('reason', 'dry-run: the plan was rendered and nothing was changed');
  if (plan.image) runner.setOutput('image', plan.image.reference);
  await runner.appendSummary(renderPlanMarkdown(plan, settings));
}
