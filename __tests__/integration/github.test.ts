/**
 * The action's GitHub reports against a local GitHub API server (loopback) that checks every
 * request and response against GitHub's published OpenAPI description (@octokit/openapi).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputName } from '../../src/inputs/input-names.ts';
import { parseInputs } from '../../src/inputs/read.ts';
import type { RunContext } from '../../src/inputs/run-context.ts';
import { planRun, type Plan } from '../../src/plan.ts';
import {
  closeGitHubDeployment,
  gitHubRun,
  openGitHubDeployment,
  postPreviewComment,
  retirePreviewDeployments,
  type GitHubRun,
} from '../../src/github/github-report.ts';
import { previewCommentMarker } from '../../src/github/pr-comment.ts';
import { closeAbandonedDeployment, finishRunReport, startRunReport } from '../../src/github/run-reporting.ts';
import { reportOfRun, type RunReport } from '../../src/report.ts';
import { FakeGitHub } from '../github-api/server.ts';
import { stdoutOf } from '../support/stdout.ts';

const TOKEN = 'ghs_localTestToken0000000000000000000000';
const FIRST_SHA = '1111111111111111111111111111111111111111';
const SECOND_SHA = '2222222222222222222222222222222222222222';
const PR = 7;

function settingsFor(mode: string, sha: string, token = TOKEN) {
  const run: RunContext = {
    eventName: 'pull_request',
    sha,
    ref: `refs/pull/${PR}/merge`,
    repository: 'acme/models',
    runId: 4242,
    runAttempt: 1,
    pullRequest: PR,
  };
  const inputs: Partial<Record<InputName, string>> = {
    mode,
    model: 'models/resnet',
    image: 'localhost:5000/acme/resnet',
    name: 'resnet',
    namespace: 'ml',
    'github-token': token,
  };
  return parseInputs({
    get: (name) => inputs[name] ?? '',
    run,
    pathExists: () => true,
    outsideWorkspace: () => undefined,
    readText: () => undefined,
    listFolder: () => undefined,
  });
}

function previewReport(plan: Plan, sha: string, p95Ms: number): RunReport {
  return {
    mode: 'preview',
    decision: 'preview',
    reason: `preview ml/${plan.target} is ready; p95 ${p95Ms} ms against production's 30 ms (report only)`,
    namespace: plan.namespace,
    target: plan.target,
    commit: sha,
    image: { reference: `localhost:5000/acme/resnet:${sha}`, digest: `sha256:${sha.slice(0, 8).repeat(8)}` },
    previewUrl: `http://127.0.0.1:6443/api/v1/namespaces/ml/services/${plan.target}:http/proxy/`,
    canary: { n: 600, requests: 600, errors: 0, errorRate: 0, p50Ms: 20, p90Ms: 25, p95Ms, p99Ms: 40 },
    stable: { n: 600, requests: 600, errors: 0, errorRate: 0, p50Ms: 20, p90Ms: 25, p95Ms: 30, p99Ms: 40 },
    limits: { maxErrorRate: 0.01 },
  };
}

/** One preview run's GitHub side, in the order main.ts drives it. */
async function previewRun(api: FakeGitHub, sha: string, p95Ms: number): Promise<void> {
  const settings = settingsFor('preview', sha);
  const plan = planRun(settings);
  const github = gitHubRun(settings, { GITHUB_API_URL: api.url, GITHUB_SERVER_URL: 'https://github.com' })!;
  const deployment = await openGitHubDeployment(github, plan);
  expect(deployment).toBeDefined();
  const report = previewReport(plan, sha, p95Ms);
  await postPreviewComment(github, 'resnet', report);
  await closeGitHubDeployment(github, deployment!, report);
}

describe('GitHub reports against the local API server', () => {
  let api: FakeGitHub;

  beforeEach(async () => {
    api = await FakeGitHub.start({ owner: 'acme', repo: 'models', token: TOKEN });
  });

  afterEach(async () => {
    await api.close();
  });

  it('two preview runs leave exactly one comment, updated in place, found past the first page', async () => {
    // 150 review comments first: the sticky comment lands on page 2 of 100 and must still be found.
    api.seedComments(PR, 150);
    await stdoutOf(() => previewRun(api, FIRST_SHA, 31));
    await stdoutOf(() => previewRun(api, SECOND_SHA, 33));

    const ours = api.issueComments(PR).filter((c) => c.body.includes(previewCommentMarker('resnet')));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.login).toBe('github-actions[bot]');
    expect(ours[0]!.body).toContain(SECOND_SHA);
    expect(ours[0]!.body).not.toContain(FIRST_SHA);
    expect(ours[0]!.body).toContain('p95 33 ms');
    expect(ours[0]!.body).toContain(
      'http://127.0.0.1:6443/api/v1/namespaces/ml/services/resnet-pr-7:http/proxy/',
    );
    expect(ours[0]!.body).toContain(`localhost:5000/acme/resnet@sha256:`);
    expect(ours[0]!.body).toContain('| stable |');
    expect(api.issueComments(PR)).toHaveLength(151);
    const operations = api.exchanges.map((e) => `${e.operationId} ${e.status}`);
    expect(operations.filter((o) => o === 'issues/create-comment 201')).toHaveLength(1);
    expect(operations.filter((o) => o === 'issues/update-comment 200')).toHaveLength(1);
    expect(api.problems()).toEqual([]);
  });

  it('moves each preview deployment in_progress → success with the environment URL', async () => {
    await stdoutOf(() => previewRun(api, FIRST_SHA, 31));
    await stdoutOf(() => previewRun(api, SECOND_SHA, 33));

    const deployments = api.deployments();
    expect(deployments.map((d) => [d.environment, d.ref, d.transient, d.production])).toEqual([
      ['preview/pr-7', FIRST_SHA, true, false],
      ['preview/pr-7', SECOND_SHA, true, false],
    ]);
    for (const deployment of deployments) {
      expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
      expect(deployment.statuses[1]!.environmentUrl).toBe(
        'http://127.0.0.1:6443/api/v1/namespaces/ml/services/resnet-pr-7:http/proxy/',
      );
      expect(deployment.statuses[1]!.logUrl).toBe('https://github.com/acme/models/actions/runs/4242');
    }
    expect(api.problems()).toEqual([]);
  });

  it('marks a failed preview failure', async () => {
    const settings = settingsFor('preview', FIRST_SHA);
    const plan = planRun(settings);
    const github = gitHubRun(settings, { GITHUB_API_URL: api.url })!;
    await stdoutOf(async () => {
      const id = await openGitHubDeployment(github, plan);
      await closeGitHubDeployment(github, id!, {
        ...previewReport(plan, FIRST_SHA, 31),
        decision: 'skipped',
        reason: 'canary failed: CrashLoopBackOff in pod resnet-pr-7-abc',
        previewUrl: undefined,
      });
    });
    const [deployment] = api.deployments();
    expect(deployment!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(deployment!.statuses[1]!.description).toMatch(/^skipped: canary failed: CrashLoopBackOff/);
    expect(api.problems()).toEqual([]);
  });

  it('cleanup marks every deployment of the preview inactive and leaves other previews alone', async () => {
    await stdoutOf(() => previewRun(api, FIRST_SHA, 31));
    await stdoutOf(() => previewRun(api, SECOND_SHA, 33));
    // Another pull request's preview, which cleanup of PR 7 must not touch.
    const other = await new GitHubClientFor(api).createDeployment('preview/pr-8');

    const settings = settingsFor('cleanup', SECOND_SHA);
    const plan = planRun(settings);
    const log = await stdoutOf(() =>
      retirePreviewDeployments(gitHubRun(settings, { GITHUB_API_URL: api.url })!, plan),
    );

    expect(log).toContain('2 deployment(s) of preview/pr-7 marked inactive');
    for (const deployment of api.deployments().filter((d) => d.environment === 'preview/pr-7')) {
      expect(deployment.statuses.at(-1)!.state).toBe('inactive');
    }
    expect(api.deployments().find((d) => d.id === other)!.statuses).toEqual([]);
    const listCall = api.exchanges.find((e) => e.operationId === 'repos/list-deployments')!;
    expect(new URLSearchParams(listCall.query).get('environment')).toBe('preview/pr-7');
    expect(api.problems()).toEqual([]);
  });

  it('a token without access becomes a warning naming the permission, not a failed run', async () => {
    const settings = settingsFor('preview', FIRST_SHA, 'ghs_wrongToken');
    const plan = planRun(settings);
    const github: GitHubRun = gitHubRun(settings, { GITHUB_API_URL: api.url })!;
    let deployment: number | undefined = -1;
    const log = await stdoutOf(async () => {
      deployment = await openGitHubDeployment(github, plan);
      await postPreviewComment(github, 'resnet', previewReport(plan, FIRST_SHA, 31));
    });
    expect(deployment).toBeUndefined();
    expect(log).toMatch(/::warning title=model-canary%3A GitHub create the deployment::.*Bad credentials/);
    expect(log).toMatch(/::warning title=model-canary%3A GitHub comment on the pull request::/);
    expect(api.issueComments(PR)).toEqual([]);
  });

  it('the OpenAPI check rejects a request GitHub would refuse', async () => {
    const id = await new GitHubClientFor(api).createDeployment('preview/pr-7');
    const response = await fetch(`${api.url}/repos/acme/models/deployments/${id}/statuses?foo=1`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'done', enviroment_url: 'http://x' }),
    });
    expect(response.status).toBe(422);
    const problems = api.problems();
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("query parameter 'foo' is not a parameter of repos/create-deployment-status"),
        expect.stringContaining('/state must be equal to one of the allowed values'),
        expect.stringContaining("field 'enviroment_url' is not in the description"),
      ]),
    );
    const unknown = await fetch(`${api.url}/repos/acme/models/deployments/${id}/statuses`, {
      method: 'PUT',
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(unknown.status).toBe(404);
    expect(api.problems().at(-1)).toMatch(/method not allowed \(the path takes GET, POST\)/);
  });
});

/** Direct calls for arranging a test's starting state (the code under test goes through Octokit). */
class GitHubClientFor {
  private readonly api: FakeGitHub;

  constructor(api: FakeGitHub) {
    this.api = api;
  }

  async createDeployment(environment: string): Promise<number> {
    const response = await fetch(`${this.api.url}/repos/acme/models/deployments`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ref: FIRST_SHA, environment, auto_merge: false, required_contexts: [] }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  }
}

/** Parses the runner's file-command format: `name<<DELIMITER\nvalue\nDELIMITER`. */
function readFileCommands(path: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [, name, , value] of readFileSync(path, 'utf8').matchAll(/^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
    result[name!] = value!;
  }
  return result;
}

describe("a run's reports, start to finish, as main.ts drives them", () => {
  let api: FakeGitHub;
  let runnerFiles: string;
  const saved = { ...process.env };

  beforeEach(async () => {
    api = await FakeGitHub.start({ owner: 'acme', repo: 'models', token: TOKEN });
    runnerFiles = mkdtempSync(join(tmpdir(), 'model-canary-runner-'));
    for (const [variable, file] of [
      ['GITHUB_OUTPUT', 'output'],
      ['GITHUB_STEP_SUMMARY', 'summary'],
      ['GITHUB_STATE', 'state'],
    ] as const) {
      process.env[variable] = join(runnerFiles, file);
      writeFileSync(join(runnerFiles, file), '');
    }
    process.env.RUNNER_TEMP = runnerFiles;
    process.env.GITHUB_API_URL = api.url;
    process.env.GITHUB_SERVER_URL = 'https://github.com';
  });

  afterEach(async () => {
    process.env = { ...saved };
    await api.close();
  });

  it('a preview writes outputs, the JSON report and the summary, and reports to the PR', async () => {
    const settings = settingsFor('preview', FIRST_SHA);
    const plan = planRun(settings);
    const example = previewReport(plan, FIRST_SHA, 31);
    let path: string | undefined;
    await stdoutOf(async () => {
      const reporting = await startRunReport(plan, settings);
      expect(api.deployments()[0]!.statuses.map((s) => s.state)).toEqual(['in_progress']);
      path = await finishRunReport(
        reporting,
        {
          ...example,
          judge: {
            verdict: 'promote',
            confidence: 0.95,
            maxRegression: 0.1,
            regressionQuantile: 0.95,
            look: 1,
            plannedLooks: 1,
            shift: { ratio: 1.01, lowerBound: 0.99, upperBound: 1.03, significant: false },
            tail: { ratio: 1.03, lowerBound: 0.98, upperBound: 1.08, significant: false, p95Ratio: 1.033 },
          },
        },
        true,
      );
    });

    const outputs = readFileCommands(join(runnerFiles, 'output'));
    expect(outputs).toMatchObject({
      decision: 'preview',
      image: `localhost:5000/acme/resnet@${example.image!.digest}`,
      digest: example.image!.digest,
      'p95-ms': '31',
      'baseline-p95-ms': '30',
      'preview-url': example.previewUrl,
      report: path,
    });
    const report = JSON.parse(readFileSync(path!, 'utf8'));
    expect(report).toMatchObject({
      format: 'model-canary/report@1',
      decision: 'preview',
      target: 'resnet-pr-7',
    });
    expect(report.judge.tail.upperBound).toBe(1.08);
    const summary = readFileSync(join(runnerFiles, 'summary'), 'utf8');
    expect(summary).toMatch(/^## model-canary: 🔍 preview/);
    expect(summary).toContain('xychart-beta');
    expect(api.deployments()[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(api.issueComments(PR)).toHaveLength(1);
    expect(api.problems()).toEqual([]);
  });

  it("cleanup opens no deployment and marks the preview's deployments inactive once its stages finished", async () => {
    await stdoutOf(() => previewRun(api, FIRST_SHA, 31));
    const settings = settingsFor('cleanup', FIRST_SHA);
    const plan = planRun(settings);
    await stdoutOf(async () => {
      const reporting = await startRunReport(plan, settings);
      await finishRunReport(reporting, reportOfRun({ settings, plan, analyses: [] }, undefined), true);
    });
    expect(api.deployments()).toHaveLength(1);
    expect(api.deployments()[0]!.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
      'inactive',
    ]);
    expect(readFileCommands(join(runnerFiles, 'output')).reason).toMatch(/deleted/);
    expect(api.problems()).toEqual([]);
  });

  it('a failed cleanup leaves the deployments as they were', async () => {
    await stdoutOf(() => previewRun(api, FIRST_SHA, 31));
    const settings = settingsFor('cleanup', FIRST_SHA);
    const plan = planRun(settings);
    await stdoutOf(async () => {
      await finishRunReport(
        await startRunReport(plan, settings),
        reportOfRun({ settings, plan, analyses: [] }, { reason: 'namespace/ml: forbidden', reverted: false }),
        false,
      );
    });
    expect(api.deployments()[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('the post step marks a Deployment the main step left in progress as error, and only then', async () => {
    const settings = settingsFor('preview', FIRST_SHA);
    const plan = planRun(settings);
    await stdoutOf(async () => {
      await startRunReport(plan, settings);
    });
    // The runner hands the main step's saved state to the post step as STATE_* variables.
    const state = readFileCommands(join(runnerFiles, 'state'));
    expect(state['model-canary-github-deployment']).toBe(String(api.deployments()[0]!.id));
    for (const [name, value] of Object.entries(state)) process.env[`STATE_${name}`] = value;
    await stdoutOf(() => closeAbandonedDeployment(() => settings));
    expect(api.deployments()[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'error']);

    // A run that finished clears the saved id: its post step leaves the Deployment alone.
    writeFileSync(join(runnerFiles, 'state'), '');
    await stdoutOf(async () => {
      const reporting = await startRunReport(plan, settings);
      await finishRunReport(
        reporting,
        reportOfRun({ settings, plan, analyses: [], outcome: { decision: 'preview', reason: 'up' } }),
        true,
      );
    });
    const finished = readFileCommands(join(runnerFiles, 'state'));
    expect(finished['model-canary-github-deployment']).toBe('');
    process.env['STATE_model-canary-github-deployment'] = finished['model-canary-github-deployment'];
    await stdoutOf(() => closeAbandonedDeployment(() => settings));
    expect(api.deployments()[1]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(api.problems()).toEqual([]);
  });
});
