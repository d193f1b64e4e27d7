/**
 * Adapter: the GitHub REST calls the action makes — the sticky preview comment and GitHub
 * Deployments with their statuses. One Octokit from @actions/github; its base URL comes from
 * GITHUB_API_URL (GitHub Enterprise Server, and the local API server the tests run).
 */
import { getOctokit } from '@actions/github';
import { connectionFailureOf, originOf } from '../errors.ts';

export type GitHubClient = ReturnType<typeof getOctokit>;

/** `owner/name` of the repository the workflow runs in. */
export interface Repository {
  owner: string;
  repo: string;
}

/** Splits `owner/name` (GITHUB_REPOSITORY). */
export function parseRepository(fullName: string): Repository {
  const [owner, repo, ...rest] = fullName.split('/');
  if (!owner || !repo || rest.length > 0)
    throw new Error(`expected a repository as owner/name; got '${fullName}'`);
  return { owner, repo };
}

/** An authenticated client for the API at GITHUB_API_URL (https://api.github.com by default). */
export function githubClient(token: string, env: NodeJS.ProcessEnv = process.env): GitHubClient {
  return getOctokit(token, { baseUrl: env.GITHUB_API_URL || 'https://api.github.com' });
}

/**
 * Describes a failed GitHub API call (Octokit's RequestError, or no connection): the API's
 * address, the request, the HTTP status and GitHub's message, and for 401/403/404 the workflow
 * permission the token needs. The one place that words GitHub's failures.
 */
export function describeGitHubFailure(error: unknown, what: string, permission: string): string {
  const failed = error as {
    status?: unknown;
    request?: { method?: string; url?: string };
    response?: { data?: { message?: unknown } };
    message?: unknown;
  };
  const url = failed.request?.url ?? 'https://api.github.com';
  const api = originOf(url);
  const request =
    failed.request?.method !== undefined ? `${failed.request.method} ${new URL(url, api).pathname}` : what;
  if (typeof failed.status === 'number' && failed.status > 0) {
    const said =
      typeof failed.response?.data?.message === 'string' ? `: ${failed.response.data.message}` : '';
    const advice =
      failed.status === 401
        ? ' The token was refused: check input github-token.'
        : failed.status === 403 || failed.status === 404
          ? ` Give the workflow \`permissions: ${permission}\` (fork pull requests get a read-only token).`
          : failed.status >= 500
            ? ' GitHub failed; re-run the job.'
            : '';
    return `Could not ${what}: the GitHub API ${api} answered ${request} with HTTP ${failed.status}${said}.${advice}`;
  }
  const connection = connectionFailureOf(error, url);
  const why =
    connection?.description ?? (typeof failed.message === 'string' ? failed.message : String(error));
  return `Could not ${what}: ${why} (${request}). Check GITHUB_API_URL and that the runner can reach it (a proxy goes in HTTPS_PROXY/NO_PROXY).`;
}

/** What became of the sticky comment. */
export interface StickyComment {
  id: number;
  url: string;
  created: boolean;
}

/**
 * Creates the issue/PR comment that carries `marker`, or edits it in place when one exists. Only
 * the first comment with the marker is edited, so a duplicate left by a race is never multiplied.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  repository: Repository,
  issueNumber: number,
  marker: string,
  body: string,
): Promise<StickyComment> {
  const comments = await client.paginate(client.rest.issues.listComments, {
    ...repository,
    issue_number: issueNumber,
    per_page: 100,
  });
  const existing = comments.find((comment) => comment.body?.includes(marker));
  if (existing !== undefined) {
    const { data } = await client.rest.issues.updateComment({ ...repository, comment_id: existing.id, body });
    return { id: data.id, url: data.html_url, created: false };
  }
  const { data } = await client.rest.issues.createComment({ ...repository, issue_number: issueNumber, body });
  return { id: data.id, url: data.html_url, created: true };
}

/** What a GitHub Deployment is for. */
export interface DeploymentRequest {
  /** The commit SHA (or ref) deployed. */
  ref: string;
  /** `preview/pr-<n>` or `production`. */
  environment: string;
  description: string;
  /** Previews go away with their pull request; GitHub shows them as destroyed once inactive. */
  transient: boolean;
  production: boolean;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** One status update of a Deployment. */
export interface DeploymentStatus {
  state: DeploymentState;
  description?: string;
  /** Where users open the deployed thing (the preview's address). */
  environmentUrl?: string;
  /** The workflow run's page. */
  logUrl?: string;
}

/**
 * Creates a Deployment. `auto_merge: false` because merging the default branch into a PR's head
 * is not ours to do; `required_contexts: []` because the run creating it is itself a pending check.
 */
export async function createDeployment(
  client: GitHubClient,
  repository: Repository,
  request: DeploymentRequest,
): Promise<number> {
  const response = await client.rest.repos.createDeployment({
    ...repository,
    ref: request.ref,
    environment: request.environment,
    description: request.description,
    auto_merge: false,
    required_contexts: [],
    transient_environment: request.transient,
    production_environment: request.production,
  });
  // 202 means GitHub tried an auto-merge instead of creating a deployment; with auto_merge false it
  // only happens if GitHub changes behaviour, and then saying so beats a status on a missing id.
  if (response.status !== 201 || !('id' in response.data)) {
    const message = 'message' in response.data ? response.data.message : `status ${response.status}`;
    throw new Error(`GitHub did not create the ${request.environment} deployment: ${message}`);
  }
  return response.data.id;
}

/** Adds a status to a Deployment (GitHub keeps every status; the latest is what it shows). */
export async function setDeploymentStatus(
  client: GitHubClient,
  repository: Repository,
  deploymentId: number,
  status: DeploymentStatus,
): Promise<void> {
  await client.rest.repos.createDeploymentStatus({
    ...repository,
    deployment_id: deploymentId,
    state: status.state,
    ...(status.description !== undefined ? { description: status.description.slice(0, 140) } : {}),
    ...(status.environmentUrl !== undefined ? { environment_url: status.environmentUrl } : {}),
    ...(status.logUrl !== undefined ? { log_url: status.logUrl } : {}),
  });
}

/** Marks every Deployment of an environment inactive (a closed PR's preview); returns how many. */
export async function deactivateEnvironment(
  client: GitHubClient,
  repository: Repository,
  environment: string,
  status: Omit<DeploymentStatus, 'state'>,
): Promise<number> {
  const deployments = await client.paginate(client.rest.repos.listDeployments, {
    ...repository,
    environment,
    per_page: 100,
  });
  for (const deployment of deployments) {
    await setDeploymentStatus(client, repository, deployment.id, { ...status, state: 'inactive' });
  }
  return deployments.length;
}
