/**
 * examples/workflows end to end through `act` on the local cluster: a push canary is promoted; a
 * PR preview leaves exactly one comment after two pushes and cleanup removes every preview object;
 * a release tags the verified digest without a new build. GitHub is the local API server, which
 * checks every request against GitHub's OpenAPI description. Images go to the private registry
 * (TLS from its own CA, a login) and the jobs log in with a `docker login` step before the action
 * instead of the examples' credential inputs, as teams whose registry is not GHCR do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LABELS } from '../../src/kube/labels.ts';
import { previewCommentMarker } from '../../src/github/pr-comment.ts';
import { RegistrySession } from '../../src/registry/client.ts';
import { FakeGitHub } from '../github-api/server.ts';
import {
  BUILDKIT_HOST,
  createTestNamespace,
  deleteTestNamespace,
  KUBECONFIG_PATH,
  PRIVATE_REGISTRY,
  PRIVATE_REGISTRY_CA,
  privateRegistryLogin,
  REGISTRY,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import {
  adaptWorkflow,
  checkout,
  cloneWorkspace,
  commit,
  OWNER,
  REPO,
  runAct,
  summaryShape,
  type ActRun,
  type WorkflowStep,
} from './act.ts';

const TOKEN = 'ghs_e2eLocalToken000000000000000000000000';
const PR = 7;
const RUN_MS = 9 * 60 * 1000;
/** A first deployment's p95 bound that only a broken serving path exceeds (see the push test). */
const FIRST_VERSION_MAX_P95_MS = 1000;
/** The digest a tag of the private registry names, or undefined when it names none. */
function registryDigest(path: string, tag: string): Promise<string | undefined> {
  return new RegistrySession(`${PRIVATE_REGISTRY}/${path}`, privateRegistryLogin(), 'the test', {
    SSL_CERT_FILE: PRIVATE_REGISTRY_CA,
  }).resolve(tag);
}

/** What `docker login` leaves for the action to find (DOCKER_CONFIG); the credentials come as secrets. */
const DOCKER_LOGIN: WorkflowStep = {
  name: `docker login ${PRIVATE_REGISTRY}`,
  env: {
    REGISTRY_USERNAME: '${{ secrets.REGISTRY_USERNAME }}',
    REGISTRY_PASSWORD: '${{ secrets.REGISTRY_PASSWORD }}',
  },
  run: `echo "$REGISTRY_PASSWORD" | docker login ${PRIVATE_REGISTRY} --username "$REGISTRY_USERNAME" --password-stdin`,
};
/** The examples' credential inputs: the docker login stands in for them. */
const CREDENTIAL_INPUTS = ['registry-username', 'registry-password'];

/** Fails with the runner's log when a run did not end as expected, so the cause is on screen. */
function expectRun(run: ActRun, exitCode: number): void {
  if (run.exitCode !== exitCode) {
    throw new Error(`act exited ${run.exitCode}, expected ${exitCode}; its log:\n${run.log.slice(-12_000)}`);
  }
}

describe('examples/workflows through act', () => {
  let admin: KubeConfig;
  let namespace: string;
  let github: FakeGitHub;
  let workspace: string;
  let dockerConfig: string;
  const imagePath = `e2e-${Date.now().toString(36)}/tiny-mlp`;
  const image = `${PRIVATE_REGISTRY}/${imagePath}`;
  /** Inputs changed for the local stack: its registry and BuildKit, a fresh namespace, shorter probe windows. */
  let local: Record<string, string>;
  let promotedSha = '';
  let promotedImage = '';

  beforeAll(async () => {
    admin = await requireLocalCluster();
    namespace = await createTestNamespace(admin, 'e2e');
    github = await FakeGitHub.start({ owner: OWNER, repo: REPO, token: TOKEN });
    workspace = cloneWorkspace();
    dockerConfig = mkdtempSync(join(tmpdir(), 'e2e-docker-config-'));
    local = {
      image,
      namespace,
      // The runner's BuildKit, and base images from the local registry: nothing from the internet.
      'buildkit-host': BUILDKIT_HOST,
      'base-image': `${REGISTRY}/model-canary/mlserver:1.7.1`,
      'probe-payload': 'examples/models/payloads/tiny-mlp-v2.json',
      'probe-duration': '20s',
      warmup: '5s',
      'canary-steps': '10',
    };
  });

  afterAll(async () => {
    await github?.close();
    if (namespace) await deleteTestNamespace(admin, namespace);
  });

  function act(
    workflow: string,
    event: 'push' | 'pull_request',
    payload: Record<string, unknown>,
  ): Promise<ActRun> {
    return runAct({
      workspace,
      workflow,
      event,
      payload: {
        repository: { full_name: `${OWNER}/${REPO}`, name: REPO, owner: { login: OWNER } },
        ...payload,
      },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_SERVER_URL: 'https://github.com',
        // A Docker config of this test's own (docker login writes it, the action reads it), and
        // the private registry's CA, as a runner with a private CA installs it.
        DOCKER_CONFIG: dockerConfig,
        SSL_CERT_FILE: PRIVATE_REGISTRY_CA,
      },
      secrets: {
        GITHUB_TOKEN: TOKEN,
        KUBECONFIG: readFileSync(KUBECONFIG_PATH, 'utf8'),
        REGISTRY_USERNAME: privateRegistryLogin().username,
        REGISTRY_PASSWORD: privateRegistryLogin().password,
      },
      timeoutMs: RUN_MS,
    });
  }

  it(
    'runs the action from this checkout as a node24 step: a dry run prints the plan and changes nothing',
    async () => {
      const run = await act(
        adaptWorkflow('canary.yml', { ...local, 'dry-run': 'true' }, CREDENTIAL_INPUTS),
        'push',
        {
          ref: 'refs/heads/main',
        },
      );
      expectRun(run, 0);
      expect(run.outputs.decision).toBe('skipped');
      expect(run.summaries[0]).toMatch(/^## model-canary plan \(dry run: nothing was changed\)/);
      expect(run.log).toContain('model-canary post: nothing pending');
      const deployments = await admin.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace });
      expect(deployments.items).toEqual([]);
    },
    RUN_MS,
  );

  it(
    'push to main: the first version becomes stable, the next push is canaried and promoted',
    async () => {
      // The example's max-p95-ms (120) is a user's goal on a GPU cluster, not this machine's: here
      // the same unchanged model measured 127 ms once and 137 ms the next run through the API
      // server's proxy on a busy 2-core machine. So the first version is held to a bound no
      // healthy run comes near, and the second to twice what the first measured a minute earlier
      // on the same path (the two runs above differed by 8 %; 2× leaves room for a busier
      // minute): the absolute limit is still exercised, at a value taken from this machine.
      let maxP95Ms = FIRST_VERSION_MAX_P95_MS;
      for (const message of ['first version', 'second version']) {
        const workflow = adaptWorkflow(
          'canary.yml',
          { ...local, 'max-p95-ms': String(maxP95Ms) },
          CREDENTIAL_INPUTS,
          [DOCKER_LOGIN],
        );
        const sha = commit(workspace, message);
        const run = await act(workflow, 'push', { ref: 'refs/heads/main', after: sha });
        expectRun(run, 0);
        expect(run.outputs.decision).toBe('promoted');
        expect(run.outputs.image).toMatch(new RegExp(`^${image}@sha256:[0-9a-f]{64}$`));
        expect(await registryDigest(imagePath, sha)).toBe(run.outputs.digest);
        const summary = run.summaries.at(-1)!;
        expect(summary).toMatch(/^## model-canary: ✅ promoted/);
        expect(summary).toContain('```mermaid\nxychart-beta');
        expect(summaryShape(summary)).toMatchSnapshot(message);
        promotedSha = sha;
        promotedImage = run.outputs.image!;
        const measuredP95 = Number(run.outputs['p95-ms']);
        expect(measuredP95).toBeGreaterThan(0);
        maxP95Ms = Math.ceil(2 * measuredP95);
      }
      const apps = admin.makeApiClient(AppsV1Api);
      const stable = await apps.readNamespacedDeployment({ name: 'tiny-mlp', namespace });
      // Stable runs the promoted image pinned by digest (`repository[:tag]@sha256:…`).
      expect(stable.spec?.template.spec?.containers[0]?.image).toMatch(
        new RegExp(`^${image}(:[\\w.-]+)?@${promotedImage.split('@')[1]}$`),
      );
      const canary = await apps
        .readNamespacedDeployment({ name: 'tiny-mlp-canary', namespace })
        .catch(() => undefined);
      expect(canary).toBeUndefined();
    },
    3 * RUN_MS,
  );

  it(
    'pull request: two pushes leave one sticky comment; closing it deletes every preview object',
    async () => {
      const workflow = adaptWorkflow('preview.yml', local, CREDENTIAL_INPUTS, [DOCKER_LOGIN]);
      const pullRequest = (sha: string, action: string) => ({
        action,
        number: PR,
        pull_request: {
          number: PR,
          state: action === 'closed' ? 'closed' : 'open',
          head: { ref: 'feature/faster', sha },
          base: { ref: 'main' },
        },
      });
      for (const [message, action] of [
        ['preview push 1', 'opened'],
        ['preview push 2', 'synchronize'],
      ] as const) {
        const sha = commit(workspace, message);
        const run = await act(workflow, 'pull_request', pullRequest(sha, action));
        expectRun(run, 0);
        expect(run.outputs.decision).toBe('preview');
        expect(run.outputs['preview-url']).toBeTruthy();
        expect(summaryShape(run.summaries.at(-1)!)).toMatchSnapshot(message);
      }
      const comments = github
        .issueComments(PR)
        .filter((c) => c.body.includes(previewCommentMarker('tiny-mlp')));
      expect(comments).toHaveLength(1);
      const previews = github.deployments().filter((d) => d.environment === `preview/pr-${PR}`);
      expect(previews).toHaveLength(2);
      for (const deployment of previews) {
        expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
      }

      const closed = await act(workflow, 'pull_request', pullRequest(commit(workspace, 'close'), 'closed'));
      expectRun(closed, 0);
      const selector = `${LABELS.preview}=pr-${PR}`;
      const apps = admin.makeApiClient(AppsV1Api);
      const core = admin.makeApiClient(CoreV1Api);
      expect((await apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await core.listNamespacedService({ namespace, labelSelector: selector })).items).toEqual([]);
      for (const deployment of github.deployments().filter((d) => d.environment === `preview/pr-${PR}`)) {
        expect(deployment.statuses.at(-1)!.state).toBe('inactive');
      }
      expect(github.problems()).toEqual([]);
    },
    4 * RUN_MS,
  );

  it(
    'release tag: the verified digest gets v1.2.3, v1.2 and v1 without a build, and is deployed',
    async () => {
      expect(promotedSha).not.toBe('');
      const verified = await registryDigest(imagePath, promotedSha);
      const workflow = adaptWorkflow('release.yml', local, CREDENTIAL_INPUTS, [DOCKER_LOGIN]);
      // The tag points at the commit the canary verified (later commits were the PR's).
      checkout(workspace, promotedSha);
      const run = await act(workflow, 'push', { ref: 'refs/tags/v1.2.3', after: promotedSha });
      expectRun(run, 0);
      expect(run.log).not.toMatch(/model-canary: build\b/);
      expect(run.log).toMatch(/model-canary: tag-release/);
      for (const tag of ['v1.2.3', 'v1.2', 'v1']) expect(await registryDigest(imagePath, tag)).toBe(verified);
      expect(run.outputs.digest).toBe(verified);
      expect(summaryShape(run.summaries.at(-1)!)).toMatchSnapshot();
      const production = github.deployments().filter((d) => d.environment === 'production');
      expect(production.at(-1)!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
      expect(github.problems()).toEqual([]);
    },
    2 * RUN_MS,
  );
});
