/**
 * The report calls main.ts makes around a run's stages: `startRunReport` before them (a GitHub
 * Deployment in_progress for preview and release), `finishRunReport` after them, whether they
 * finished or failed (JSON report, outputs, job summary, Deployment status, preview comment,
 * inactive Deployments on cleanup). Neither throws: a report that cannot be written is a warning,
 * never a different outcome for the cluster.
 */
import * as core from '@actions/core';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import {
  closeGitHubDeployment,
  gitHubRun,
  abandonGitHubDeployment,
  openGitHubDeployment,
  postPreviewComment,
  retirePreviewDeployments,
  type GitHubRun,
} from './github-report.ts';
import { previewRecord } from '../stages/report-preview.ts';
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
  const previewUrl = outcome.previewUrl ?? (plan.mode === 'preview' ? previewRecord.url : undefined);
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
    const github = gitHubRun(settingsOf());
    if (github !== undefined) await abandonGitHubDeployment(github, Number(saved));
  } catch (error) {
    warnUnreported('close the GitHub deployment the main step left open', error);
  }
}
