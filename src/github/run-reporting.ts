/**
 * The report calls main.ts makes around a run's stages: `startRunReport` before them (a GitHub
 * Deployment in_progress for preview and release), `finishRunReport` after them, whether they
 * finished or failed (JSON report, outputs, job summary, Deployment status, preview comment,
 * inactive Deployments on cleanup). Neither throws: a report that cannot be written is a warning,
 * never a different outcome for the cluster.
 *
 * The GitHub client (github-report.ts) and the preview stage load on first use: the post step,
 * which imports this module on every job, needs neither when no Deployment is open (docs/bundle.md).
 */
import * as core from '@actions/core';
import type { Settings } from '../inputs/inputs.ts';
import type { Plan } from '../plan.ts';
import type { GitHubRun } from './github-report.ts';
import { publishRunReport } from './publish.ts';
import { buildRunReport, type RunOutcome } from '../report.ts';

/**
 * The GitHub Deployment the main step opened and has not closed yet, saved for the post step: a
 * cancelled job would otherwise leave it "in progress" on GitHub for ever.
 */
const OPEN_DEPLOYMENT_KEY = 'model-canary-github-deployment';

/** What startRunReport opened, for finishRunReport to close. */
export interface RunReporting {
  github?: GitHubRun;
  deploymentId?: number;
}

function warnUnreported(what: string, error: unknown): void {
  core.warning(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`, {
    title: `model-canary: report`,
  });
}

/** Before the stages: the GitHub side of the run, and its Deployment in_progress where the mode has one. */
export async function startRunReport(plan: Plan, settings: Settings): Promise<RunReporting> {
  try {
    const { gitHubRun, openGitHubDeployment } = await import('./github-report.ts');
    const github = gitHubRun(settings);
    if (github === undefined || plan.mode === 'cleanup') return github === undefined ? {} : { github };
    const deploymentId = await openGitHubDeployment(github, plan);
    if (deploymentId !== undefined) core.saveState(OPEN_DEPLOYMENT_KEY, String(deploymentId));
    return { github, ...(deploymentId !== undefined ? { deploymentId } : {}) };
  } catch (error) {
    warnUnreported('start the GitHub report', error);
    return {};
  }
}

/** After the stages: every report of the outcome; returns the JSON report's path when written. */
export async function finishRunReport(
  reporting: RunReporting,
  plan: Plan,
  settings: Settings,
  outcome: RunOutcome,
): Promise<string | undefined> {
  const previewUrl =
    outcome.previewUrl ??
    (plan.mode === 'preview' ? (await import('../stages/report-preview.ts')).previewRecord.url : undefined);
  const report = buildRunReport(
    plan,
    { ...outcome, ...(previewUrl !== undefined ? { previewUrl } : {}) },
    settings.run.sha,
  );
  let path: string | undefined;
  try {
    path = await publishRunReport(report);
  } catch (error) {
    warnUnreported('write the job summary and report', error);
  }
  const { github, deploymentId } = reporting;
  if (github === undefined) return path;
  try {
    const { closeGitHubDeployment, postPreviewComment, retirePreviewDeployments } =
      await import('./github-report.ts');
    if (deploymentId !== undefined) {
      await closeGitHubDeployment(github, deploymentId, report);
      core.saveState(OPEN_DEPLOYMENT_KEY, '');
    }
    if (plan.mode === 'preview') await postPreviewComment(github, settings.name, report);
    if (plan.mode === 'cleanup' && outcome.completed) await retirePreviewDeployments(github, plan);
  } catch (error) {
    warnUnreported('report the run to GitHub', error);
  }
  return path;
}

/**
 * For the post step: marks the Deployment the main step left open as `error` (the job was
 * cancelled or the main step died before reporting). Does nothing when none is open; never throws.
 */
export async function closeAbandonedDeployment(settingsOf: () => Settings): Promise<void> {
  const saved = core.getState(OPEN_DEPLOYMENT_KEY);
  if (saved === '') return;
  try {
    // Inputs are read only when a Deployment is open, so a post step with nothing to do needs none.
    const { abandonGitHubDeployment, gitHubRun } = await import('./github-report.ts');
    const github = gitHubRun(settingsOf());
    if (github !== undefined) await abandonGitHubDeployment(github, Number(saved));
  } catch (error) {
    warnUnreported('close the GitHub deployment the main step left open', error);
  }
}
