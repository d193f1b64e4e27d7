/**
 * A team's own set-up, through `node dist/index.js` on the local cluster: the image goes to the
 * private registry (localhost:5443: TLS from its own CA, a login; the node trusts the CA but holds
 * no login), the only credentials are a `docker login` made before the action (a Docker config, no
 * credential inputs), and the pods start from the team's pod template (env from a Secret, a cache
 * volume, a sidecar, a ServiceAccount, an annotation). The first version, a canary and a release
 * of it must all work, the pods pulling through the Secret the action makes. The canary runs behind
 * a forwarding proxy (HTTPS_PROXY/HTTP_PROXY), as on a corporate runner.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY_VALUE } from '../../src/kube/labels.ts';
import { startForwardingProxy } from '../support/forwarding-proxy.ts';
import { pushJob, shaOf } from './action-job.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  PRIVATE_REGISTRY,
  PRIVATE_REGISTRY_CA,
  privateRegistryLogin,
  REGISTRY,
  REPO_ROOT,
  requireLocalCluster,
} from './local-cluster.ts';

const TARGET = 'teamfit';
const API_KEY = 'planted-api-key-7f3a9c';
const SIDECAR_IMAGE = `${REGISTRY}/model-canary/debian:bookworm`;

/** The team's pod template: everything in it but what the action owns must reach both arms. */
const POD_TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ignored
spec:
  template:
    metadata:
      annotations:
        team.example.com/owner: ml-platform
    spec:
      serviceAccountName: model-server
      containers:
        - name: log-shipper
          image: ${SIDECAR_IMAGE}
          command: ['sleep', 'infinity']
          resources: { requests: { cpu: 10m, memory: 16Mi } }
        - name: model
          envFrom:
            - secretRef:
                name: model-secrets
          volumeMounts:
            - name: model-cache
              mountPath: /var/cache/models
      volumes:
        - name: model-cache
          emptyDir: { sizeLimit: 1Gi }
`;

let config: KubeConfig;
let namespace: string;
let workspace: string;
let dockerConfig: string;
let login: { username: string; password: string };
const repository = `${PRIVATE_REGISTRY}/model-canary/test/teamfit-${Date.now().toString(36)}`;

beforeAll(async () => {
  config = await requireLocalCluster();
  login = privateRegistryLogin();
  namespace = await createTestNamespace(config, 'teamfit');
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'model-server' } } });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'model-secrets' }, stringData: { API_KEY } },
  });
  // The team's repository: the model, its request and the pod template (paths must stay inside it).
  workspace = mkdtempSync(join(tmpdir(), 'teamfit-workspace-'));
  cpSync(join(REPO_ROOT, 'examples/models/tiny-mlp'), join(workspace, 'model'), { recursive: true });
  cpSync(join(REPO_ROOT, 'examples/models/payloads/tiny-mlp-v2.json'), join(workspace, 'request.json'));
  mkdirSync(join(workspace, 'deploy'));
  writeFileSync(join(workspace, 'deploy/pod.yaml'), POD_TEMPLATE);
  // What `docker login localhost:5443` leaves behind, in a folder of this test's own.
  dockerConfig = mkdtempSync(join(tmpdir(), 'teamfit-docker-'));
  const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
  writeFileSync(
    join(dockerConfig, 'config.json'),
    JSON.stringify({ auths: { [PRIVATE_REGISTRY]: { auth } } }),
    { mode: 0o600 },
  );
});

afterAll(async () => {
  if (namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** One push of the team's workflow: no credential inputs, the login in DOCKER_CONFIG. */
function push(
  label: string,
  sha: string,
  extra: { inputs?: Record<string, string>; ref?: string; env?: Record<string, string> } = {},
) {
  return pushJob(
    namespace,
    TARGET,
    label,
    {
      model: 'model',
      image: repository,
      'base-image': `${REGISTRY}/model-canary/mlserver:1.7.1`,
      'probe-payload': 'request.json',
      'pod-template': 'deploy/pod.yaml',
      env: 'TEAM_FLAG=on',
      // 99 % (the default) needs 299 agreeing answers, as many as these 15 s windows hold when
      // nothing is late; on a busy machine a release once got 280 and was inconclusive. The
      // answers gate has its own test (answers-gate); here 98 % needs half as many.
      'min-agreement': '98%',
      ...extra.inputs,
    },
    {
      workspace,
      sha,
      env: {
        DOCKER_CONFIG: dockerConfig,
        // The registry's CA, named as curl and Go read it (the registry client trusts it beside
        // Node's own CAs; NODE_EXTRA_CA_CERTS would do as well).
        SSL_CERT_FILE: PRIVATE_REGISTRY_CA,
        ...(extra.ref !== undefined ? { GITHUB_REF: extra.ref } : {}),
        ...extra.env,
      },
    },
  );
}

/** What the job printed, less the mask commands the runner consumes (they carry the secrets to hide). */
function printed(job: { output: string; summary: string }): string {
  return (job.output + job.summary).replace(/^::add-mask::.*$/gm, '');
}

/** The stable Deployment as the cluster holds it. */
async function stableDeployment(): Promise<V1Deployment> {
  return config.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name: TARGET });
}

/** Everything of the team's template that must survive, and what the action owns. */
function expectTeamTemplate(deployment: V1Deployment, image: string): void {
  const pod = deployment.spec!.template;
  const containers = pod.spec!.containers;
  const model = containers.find((container) => container.name === 'model')!;
  expect({
    annotation: pod.metadata?.annotations?.['team.example.com/owner'],
    serviceAccount: pod.spec!.serviceAccountName,
    pullSecrets: pod.spec!.imagePullSecrets?.map((secret) => secret.name),
    containers: containers.map((container) => container.name).sort(),
    sidecarImage: containers.find((container) => container.name === 'log-shipper')?.image,
    modelImage: model.image,
    envFrom: model.envFrom?.map((source) => source.secretRef?.name),
    env: model.env?.find((variable) => variable.name === 'TEAM_FLAG')?.value,
    mounts: model.volumeMounts?.map((mount) => mount.mountPath),
    volumes: pod.spec!.volumes?.map((volume) => volume.name),
    gpus: model.resources?.limits?.['nvidia.com/gpu'],
  }).toEqual({
    annotation: 'ml-platform',
    serviceAccount: 'model-server',
    pullSecrets: [`${TARGET}-registry`],
    containers: ['log-shipper', 'model'],
    sidecarImage: SIDECAR_IMAGE,
    modelImage: image,
    envFrom: ['model-secrets'],
    env: 'on',
    mounts: expect.arrayContaining(['/var/cache/models']),
    volumes: expect.arrayContaining(['model-cache']),
    gpus: '1',
  });
}

/** The digest a tag of the private registry names, asked with the login over its TLS. */
function privateDigest(tag: string): Promise<string | undefined> {
  const path = repository.slice(PRIVATE_REGISTRY.length);
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: 'localhost',
        port: 5443,
        method: 'HEAD',
        path: `/v2${path}/manifests/${tag}`,
        ca: readFileSync(PRIVATE_REGISTRY_CA),
        auth: `${login.username}:${login.password}`,
        headers: {
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
          ].join(', '),
        },
      },
      (response) => {
        response.resume();
        const digest = response.headers['docker-content-digest'];
        resolve(response.statusCode === 200 && typeof digest === 'string' ? digest : undefined);
      },
    );
    call.on('error', reject);
    call.end();
  });
}

describe('a team’s private registry, docker login and pod template', () => {
  const first = shaOf('teamfit-first');
  const second = shaOf('teamfit-second');

  it('deploys the first version from the private registry through the pull Secret it makes, keeping the template', async () => {
    const job = await push('first', first);
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['promoted', 0, job.output]);
    expect(printed(job)).not.toContain(login.password);

    const secret = await config
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ namespace, name: `${TARGET}-registry` });
    expect([secret.type, secret.metadata?.labels?.[LABELS.managedBy]]).toEqual([
      'kubernetes.io/dockerconfigjson',
      MANAGED_BY_VALUE,
    ]);
    expectTeamTemplate(await stableDeployment(), `${repository}:${first}@${await privateDigest(first)}`);

    // The node really needs that Secret: the same image without it is refused (pull Always: the
    // node holds the image now, and would start it from its cache without asking the registry).
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'no-pull-secret' },
        spec: {
          containers: [{ name: 'model', image: `${repository}:${first}`, imagePullPolicy: 'Always' }],
          restartPolicy: 'Never',
          // The node's GPU taint, as the action's pods tolerate it.
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
        },
      },
    });
    const refused = await eventually('the pull without a Secret to be refused', 120, async () => {
      const pod = await core.readNamespacedPod({ namespace, name: 'no-pull-secret' });
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      return waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff'
        ? waiting
        : undefined;
    });
    expect(refused.message ?? '').toMatch(/401|unauthorized|authorization/i);
    await core.deleteNamespacedPod({ namespace, name: 'no-pull-secret', gracePeriodSeconds: 0 });
  });

  it('canaries and promotes the next commit with the same template and Secret, behind the runner’s proxy', async () => {
    // A corporate proxy on the runner: every request of the action (API server, registries,
    // probes) must go through it.
    const proxy = await startForwardingProxy();
    let job: Awaited<ReturnType<typeof push>>;
    try {
      job = await push('second', second, { env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url } });
    } finally {
      await proxy.close();
    }
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['promoted', 0, job.output]);
    const apiServer = new URL(config.getCurrentCluster()!.server).host;
    expect(proxy.seen).toEqual(
      expect.arrayContaining([`CONNECT ${apiServer}`, `CONNECT ${PRIVATE_REGISTRY}`]),
    );
    const where = `via proxy ${proxy.url}`;
    expect(job.log).toContain(
      `probe target canary: https://${apiServer}/api/v1/namespaces/${namespace}/services/`,
    );
    expect(
      job.log.split('\n').filter((line) => line.includes('probe target ') && line.endsWith(where)),
    ).toHaveLength(2);
    // Promoted: stable runs the digest the canary ran.
    expectTeamTemplate(await stableDeployment(), `${repository}@${await privateDigest(second)}`);
  });

  it('releases the promoted commit with the runner’s login alone: v1.4.2, then v1.4 and v1 once promoted', async () => {
    const job = await push('release', second, { inputs: { mode: 'release' }, ref: 'refs/tags/v1.4.2' });
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['promoted', 0, job.output]);
    const built = await privateDigest(second);
    expect(built).toMatch(/^sha256:/);
    expect(await Promise.all(['v1.4.2', 'v1.4', 'v1'].map(privateDigest))).toEqual([built, built, built]);
    expect(printed(job)).not.toContain(login.password);
  });
});
