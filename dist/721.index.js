export const id = 721;
export const ids = [721];
export const modules = {

/***/ 87721:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  abandonGitHubDeployment: () => (/* binding */ abandonGitHubDeployment),
  closeGitHubDeployment: () => (/* binding */ closeGitHubDeployment),
  deploymentEnvironment: () => (/* binding */ deploymentEnvironment),
  gitHubRun: () => (/* binding */ gitHubRun),
  openGitHubDeployment: () => (/* binding */ openGitHubDeployment),
  postPreviewComment: () => (/* binding */ postPreviewComment),
  retirePreviewDeployments: () => (/* binding */ retirePreviewDeployments)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 10 modules
var core = __webpack_require__(57264);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 22 modules
var github = __webpack_require__(92413);
;// CONCATENATED MODULE: ./src/github/github.ts
/**
 * Adapter: the GitHub REST calls the action makes — the sticky preview comment and GitHub
 * Deployments with their statuses. One Octokit from @actions/github; its base URL comes from
 * GITHUB_API_URL (GitHub Enterprise Server, and the local API server the tests run).
 */

/** Splits `owner/name` (GITHUB_REPOSITORY). */
function parseRepository(fullName) {
    const [owner, repo, ...rest] = fullName.split('/');
    if (!owner || !repo || rest.length > 0)
        throw new Error(`expected a repository as owner/name; got '${fullName}'`);
    return { owner, repo };
}
/** An authenticated client for the API at GITHUB_API_URL (https://api.github.com by default). */
function githubClient(token, env = process.env) {
    return (0,github/* getOctokit */.Q)(token, { baseUrl: env.GITHUB_API_URL || 'https://api.github.com' });
}
/**
 * Creates the issue/PR comment that carries `marker`, or edits it in place when one exists. Only
 * the first comment with the marker is edited, so a duplicate left by a race is never multiplied.
 */
async function upsertStickyComment(client, repository, issueNumber, marker, body) {
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
/**
 * Creates a Deployment. `auto_merge: false` because merging the default branch into a PR's head
 * is not ours to do; `required_contexts: []` because the run creating it is itself a pending check.
 */
async function createDeployment(client, repository, request) {
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
async function setDeploymentStatus(client, repository, deploymentId, status) {
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
async function deactivateEnvironment(client, repository, environment, status) {
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

// EXTERNAL MODULE: ./src/github/job-summary.ts
var job_summary = __webpack_require__(7505);
// EXTERNAL MODULE: ./src/report.ts
var src_report = __webpack_require__(70665);
;// CONCATENATED MODULE: ./src/github/pr-comment.ts
/**
 * Pure: the sticky pull-request comment of a preview. One comment per preview name, found again
 * by a hidden marker, so every push updates it in place instead of adding another.
 */


/** The hidden HTML comment that identifies a preview's sticky comment among all of a PR's comments. */
function previewCommentMarker(name) {
    return `<!-- model-canary:preview:${name} -->`;
}
/** The comment body: marker, headline, the preview's address and image, and the latency comparison. */
function renderPreviewComment(report, name, runUrl) {
    const image = (0,src_report/* pinnedImage */.QJ)(report);
    const ready = report.decision === 'preview';
    const chart = (0,job_summary/* renderPercentileChart */.Q_)(report);
    return [
        previewCommentMarker(name),
        ready ? `### 🔍 Preview of \`${name}\` is ready` : `### ❌ Preview of \`${name}\` failed`,
        '',
        report.reason,
        '',
        ...(report.previewUrl !== undefined ? [`**Address:** ${report.previewUrl}`, ''] : []),
        ...(image !== undefined ? [`**Image:** \`${image}\``, ''] : []),
        `**Commit:** \`${report.commit}\` · namespace \`${report.namespace}\` · objects \`${report.target}\``,
        '',
        report.stable !== undefined ? '**Latency against production (stable):**' : '**Latency:**',
        '',
        (0,job_summary/* renderLatencyTable */.ZD)(report),
        ...(chart !== undefined ? ['', '<details><summary>Chart</summary>', '', chart, '', '</details>'] : []),
        '',
        `<sub>Updated by model-canary${runUrl !== undefined ? ` in [this run](${runUrl})` : ''}. This comment is edited in place on every push; the preview is deleted when the pull request closes.</sub>`,
        '',
    ].join('\n');
}

;// CONCATENATED MODULE: ./src/github/github-report.ts
/**
 * Reports a run to GitHub: a Deployment per preview (`preview/pr-<n>`) and per release
 * (`production`) with in_progress → success/failure statuses, the sticky preview comment, and
 * inactive statuses when a preview is cleaned up. GitHub being unreachable or the token lacking a
 * permission never changes what happened in the cluster: it becomes a warning naming the permission.
 */



/** The GitHub side of a run, or undefined (with a notice) when there is no token to use. */
function gitHubRun(settings, env = process.env) {
    if (settings.githubToken === undefined) {
        core/* notice */.lm('No github-token: the run is not reported to GitHub (no deployment, no PR comment).');
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
function deploymentEnvironment(plan) {
    if (plan.preview !== undefined)
        return `preview/${plan.preview}`;
    if (plan.mode === 'release')
        return 'production';
    return undefined;
}
/** Runs a GitHub call; a failure becomes a warning that names the permission the token needs. */
async function tolerate(what, permission, call) {
    try {
        return await call();
    }
    catch (error) {
        const status = error.status;
        const hint = status === 403 || status === 404
            ? ` Give the workflow \`permissions: ${permission}\` (fork pull requests get a read-only token).`
            : '';
        core/* warning */.$e(`Could not ${what}: ${error.message}.${hint}`, {
            title: `model-canary: GitHub ${what}`,
        });
        return undefined;
    }
}
/** Creates the run's Deployment and marks it in_progress; returns its id (undefined: none). */
async function openGitHubDeployment(github, plan) {
    const environment = deploymentEnvironment(plan);
    if (environment === undefined)
        return undefined;
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
        core/* info */.pq(`GitHub deployment ${id} to ${environment}: in_progress`);
        return id;
    });
}
/** Finishes the Deployment: success when the version serves (promoted or previewed), else failure. */
async function closeGitHubDeployment(github, deploymentId, report) {
    const state = report.decision === 'promoted' || report.decision === 'preview' ? 'success' : 'failure';
    await tolerate('update the deployment', 'deployments: write', async () => {
        await setDeploymentStatus(github.client, github.repository, deploymentId, {
            state,
            description: `${report.decision}: ${report.reason}`,
            logUrl: github.runUrl,
            ...(report.previewUrl !== undefined ? { environmentUrl: report.previewUrl } : {}),
        });
        core/* info */.pq(`GitHub deployment ${deploymentId}: ${state}`);
    });
}
/** Creates or updates the preview's one sticky comment on the pull request. */
async function postPreviewComment(github, name, report) {
    const pullRequest = github.pullRequest;
    if (pullRequest === undefined)
        return;
    await tolerate('comment on the pull request', 'pull-requests: write', async () => {
        const comment = await upsertStickyComment(github.client, github.repository, pullRequest, previewCommentMarker(name), renderPreviewComment(report, name, github.runUrl));
        core/* info */.pq(`${comment.created ? 'Commented' : 'Updated the comment'} on pull request #${pullRequest}: ${comment.url}`);
    });
}
/** Marks every Deployment of a cleaned-up preview inactive (GitHub then shows it as destroyed). */
async function retirePreviewDeployments(github, plan) {
    const environment = deploymentEnvironment(plan);
    if (environment === undefined)
        return;
    await tolerate('mark the preview deployments inactive', 'deployments: write', async () => {
        const count = await deactivateEnvironment(github.client, github.repository, environment, {
            description: `preview ${plan.namespace}/${plan.target} deleted`,
            logUrl: github.runUrl,
        });
        core/* info */.pq(`GitHub: ${count} deployment(s) of ${environment} marked inactive`);
    });
}
/** Marks a Deployment the main step never finished `error`, so GitHub stops showing it in progress. */
async function abandonGitHubDeployment(github, deploymentId) {
    await tolerate('update the deployment', 'deployments: write', async () => {
        await setDeploymentStatus(github.client, github.repository, deploymentId, {
            state: 'error',
            description: 'the run ended before it reported (cancelled, or the main step was killed)',
            logUrl: github.runUrl,
        });
        core/* info */.pq(`GitHub deployment ${deploymentId}: error (the main step did not finish)`);
    });
}


/***/ })

};
