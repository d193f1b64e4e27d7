/**
 * Reports a run to GitHub: a Deployment per preview (`preview/pr-<n>`) and per release
 * (`production`) with in_progress → success/failure statuses, the sticky preview comment, and
 * inactive statuses when a preview is cleaned up. GitHub being unreachable or the token lacking a
 * permission never changes what happened in the cluster: it becomes a warning naming the permission.
 */
import * as runner from './runner.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import {
  createDeployment,
  deactivateEnvironment,
  describeGitHubFailure,
  githubClient,
  parseRepository,
  setDeploymentStatus,
  upsertStickyComment,
  type GitHubClient,
  type Repository,
} from './github.ts';
import { previewCommentMarker, renderPreviewComment } from './pr-comment.ts';
import type { RunReport } from '../report.ts';

/** What the GitHub reports of one run need to know. */
export interface GitHubRun {
  client: GitHubClient;
  repository: Repository;
  sha: string;
  pullRequest?: number;
  /** The workflow run's page, linked from statuses and the comment. */
  runUrl: string;
}

/** The GitHub side of a run, or undefined (with a notice) when there is no token to use. */
export function gitHubRun(settings: Settings, env: NodeJS.ProcessEnv = process.env): GitHubRun | undefined {
  if (settings.githubToken === undefined) {
    runner.notice('No github-token: the run is not reported to GitHub (no deployment, no PR comment).');
    return undefined;
  }
  const repository = parseRepository(settings.run.repository);
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  return {
    client: githubClient(settings.githubToken, env),
    repository,
    sha: settings.run.sha,
    ...(settings.run.pullRequest !== undefined ? { pullRequest: settings.run.pullRequest } : {}),
    runUrl: `${server}/${repository.owner}/${repository.repo}/actions/runs/${settings.run.runId}`,
  };
}

/** The GitHub environment a mode deploys to: `preview/pr-<n>`, `production`, or none. */
export function deploymentEnvironment(plan: Plan): string | undefined {
  if (plan.preview !== undefined) return `preview/${plan.preview}`;
  if (plan.mode === 'release') return 'production';
  return undefined;
}

/** Runs a GitHub call; a failure becomes a warning that names the permission the token needs. */
async function tolerate<T>(what: string, permission: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    runner.warning(describeGitHubFailure(error, what, permission), {
      title: `model-canary: GitHub ${what}`,
    });
    return undefined;
  }
}

/** Creates the run's Deployment and marks it in_progress; returns its id (undefined: none). */
export async function openGitHubDeployment(github: GitHubRun, plan: Plan): Promise<number | undefined> {
  const environment = deploymentEnvironment(plan);
  if (environment === undefined) return undefined;
  return tolerate('create the deployment', 'deployments: write', async () => {
    const id = await createDeployment(github.client, github.repository, {
      ref: github.sha,
      environment,
      description: `model-canary ${plan.mode} of ${plan.namespace}/${plan.target}`,
      transient: plan.preview !== undefined,
      production: plan.mode === 'release',
    });
    await setDeploymentStatus(github.client, github.repository, id, {
      state: 'in_progress',
      description: `${plan.mode}: ${plan.stages.join(' → ')}`,
      logUrl: github.runUrl,
    });
    runner.info(`GitHub deployment ${id} to ${environment}: in_progress`);
    return id;
  });
}

/** Finishes the Deployment: success when the version serves (promoted or previewed), else failure. */
export async function closeGitHubDeployment(
  github: GitHubRun,
  deploymentId: number,
  report: RunReport,
): Promise<void> {
  const state = report.decision === 'promoted' || report.decision === 'preview' ? 'success' : 'failure';
  await tolerate('update the deployment', 'deployments: write', async () => {
    await setDeploymentStatus(github.client, github.repository, deploymentId, {
      state,
      description: `${report.decision}: ${report.reason}`,
      logUrl: github.runUrl,
      ...(report.previewUrl !== undefined ? { environmentUrl: report.previewUrl } : {}),
    });
    runner.info(`GitHub deployment ${deploymentId}: ${state}`);
  });
}

/** Creates or updates the preview's one sticky comment on the pull request. */
export async function postPreviewComment(github: GitHubRun, name: string, report: RunReport): Promise<void> {
  const pullRequest = github.pullRequest;
  if (pullRequest === undefined) return;
  await tolerate('comment on the pull request', 'pull-requests: write', async () => {
    const comment = await upsertStickyComment(
      github.client,
      github.repository,
      pullRequest,
      previewCommentMarker(name),
      renderPreviewComment(report, name, github.runUrl),
    );
    runner.info(
      `${comment.created ? 'Commented' : 'Updated the comment'} on pull request #${pullRequest}: ${comment.url}`,
    );
  });
}

/** Marks every Deployment of a cleaned-up preview inactive (GitHub then shows it as destroyed). */
export async function retirePreviewDeployments(github: GitHubRun, plan: Plan): Promise<void> {
  const environment = deploymentEnvironment(plan);
  if (environment === undefined) return;
  await tolerate('mark the preview deployments inactive', 'deployments: write', async () => {
    const count = await deactivateEnvironment(github.client, github.repository, environment, {
      description: `preview ${plan.namespace}/${plan.target} deleted`,
      logUrl: github.runUrl,
    });
    runner.info(`GitHub: ${count} deployment(s) of ${environment} marked inactive`);
  });
}

/** Marks a Deployment the main step never finished `error`, so GitHub stops showing it in progress. */
export async function abandonGitHubDeployment(github: GitHubRun, deploymentId: number): Promise<void> {
  await tolerate('update the deployment', 'deployments: write', async () => {
    await setDeploymentStatus(github.client, github.repository, deploymentId, {
      state: 'error',
      description: 'the run ended before it reported (cancelled, or the main step was killed)',
      logUrl: github.runUrl,
    });
    runner.info(`GitHub deployment ${deploymentId}: error (the main step did not finish)`);
  });
}
