/**
 * The report calls main.ts makes around a run's stages: `startRunReport` before them (a GitHub
 * Deployment in_progress for preview and release), `finishRunReport` once after them, whether they
 * finished or failed (JSON report, outputs, job summary, Deployment status, preview comment,
 * inactive Deployments on cleanup). Neither throws: a report that cannot be written is a warning,
 * never a different outcome for the cluster.
 */
import * as runner from './runner.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import type { RunReport } from '../report.ts';
import { publishRunReport } from './publish.ts';
import { loadOpenDeployment, saveOpenDeployment } from './step-state.ts';

/** What startRunReport opened, for finishRunReport to close. */
export interface RunReporting {
  settings: Settings;
  plan: Plan;
  github?: GitHubSide;
  deploymentId?: number;
}

type GitHubSide = NonNullable<Awaited<ReturnType<typeof gitHubSide>>>;

function warnUnreported(what: string, error: unknown): void {
  runner.warning(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`, {
    title: `model-canary: report`,
  });
}

/** The GitHub API side of reporting, loaded only by runs that talk to GitHub. */
async function gitHubSide(settings: Settings) {
  const github = await import('./github-report.ts');
  const run = github.gitHubRun(settings);
  return run === undefined ? undefined : { ...github, run };
}

/** Before the stages: the GitHub Deployment in_progress where the mode has one. */
export async function startRunReport(plan: Plan, settings: Settings): Promise<RunReporting> {
  try {
    const github = await gitHubSide(settings);
    if (github === undefined || plan.mode === 'cleanup')
      return { settings, plan, ...(github !== undefined ? { github } : {}) };
    const deploymentId = await github.openGitHubDeployment(github.run, plan);
    if (deploymentId !== undefined) saveOpenDeployment(deploymentId);
    return { settings, plan, github, ...(deploymentId !== undefined ? { deploymentId } : {}) };
  } catch (error) {
    warnUnreported('start the GitHub report', error);
    return { settings, plan };
  }
}

/** After the stages: every report of the run; returns the JSON report's path when written. */
export async function finishRunReport(
  reporting: RunReporting,
  report: RunReport,
  completed: boolean,
): Promise<string | undefined> {
  const { settings, plan, github, deploymentId } = reporting;
  let path: string | undefined;
  try {
    path = await publishRunReport(report);
  } catch (error) {
    warnUnreported('write the job summary and report', error);
  }
  if (github === undefined) return path;
  try {
    if (deploymentId !== undefined) {
      await github.closeGitHubDeployment(github.run, deploymentId, report);
      saveOpenDeployment(undefined);
    }
    if (plan.mode === 'preview') await github.postPreviewComment(github.run, settings.name, report);
    if (plan.mode === 'cleanup' && completed) await github.retirePreviewDeployments(github.run, plan);
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
  const open = loadOpenDeployment();
  if (open === undefined) return;
  try {
    // Inputs are read only when a Deployment is open, so a post step with nothing to do needs none.
    const github = await gitHubSide(settingsOf());
    if (github !== undefined) await github.abandonGitHubDeployment(github.run, open);
  } catch (error) {
    warnUnreported('close the GitHub deployment the main step left open', error);
  }
}
