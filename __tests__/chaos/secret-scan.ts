/**
 * The secret scan of issue #15: a first version and a canary of a model, pushed through
 * `node dist/index.js` on the local cluster with a secret in every place a workflow puts one, then
 * every trace of the two jobs searched for those secrets. Shared by secret-scan.test.ts and the
 * reliability benchmark (`secret_hits`).
 *
 * Secrets: the private registry's login (localhost:5443) as registry-username/registry-password; a
 * build secret that a step of the Dockerfile reads; the kubeconfig's admin client key, plus a token
 * and an exec plugin's environment value in users it does not use; a GitHub token; HF_TOKEN in the
 * environment. Searched, for each value and PLANTED_MARK (a partial echo):
 * - the log of both steps (less the `::add-mask::` commands the runner consumes), GITHUB_OUTPUT,
 *   GITHUB_STATE, the step summary, GITHUB_ENV, and the JSON report;
 * - every file the jobs left under their TMPDIR and RUNNER_TEMP (a Docker config of ours left behind
 *   holds the login);
 * - the command line of every process, sampled every 200 ms while the jobs run;
 * - every object in the test namespace: Deployments, ReplicaSets, Pods, Services, Endpoints, Secrets,
 *   ConfigMaps, Leases, Events, ServiceAccounts. The pull Secret the action makes holds the login by
 *   design: it is checked to be a kubernetes.io/dockerconfigjson Secret labelled ours that holds
 *   exactly that login, and only its data is left out of the search;
 * - every manifest, config and layer blob of the pushed images and their build cache (the base
 *   image's layers excepted: they were not produced here).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LABELS, MANAGED_BY_VALUE } from '../../src/kube/labels.ts';
import { RegistrySession } from '../../src/registry/client.ts';
import { PLANTED_MARK } from '../fixtures/bad-inputs.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  KUBECONFIG_PATH,
  localStackStep,
  PYTHON_BASE_IMAGE,
  REPO_ROOT,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { runActionJob, type ActionJob } from '../support/runner-step.ts';

const PRIVATE_REGISTRY = 'localhost:5443';
const LOGIN_DIR = join(REPO_ROOT, '.cluster/registry-auth');
const CA_FILE = join(LOGIN_DIR, 'ca.crt');
const TARGET = 'secretscan';
const SAMPLE_EVERY_MS = 200;

/** The tiny chat model's Dockerfile, with a step that reads the build secret as a package index token would. */
const DOCKERFILE = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
RUN --mount=type=secret,id=pip_index_token,required=true test -s /run/secrets/pip_index_token
COPY --from=model weights.json /app/weights.json
COPY --from=model server.py /app/server.py
USER 1000
EXPOSE 8000
CMD ["python3", "/app/server.py", "/app/weights.json"]
`;

/** What the scan found, and what shows it looked where it says. */
export interface SecretScan {
  /** `<where>: <which secret>`, once per place and secret. */
  hits: string[];
  /** Each job's decision, in order (first version, canary). */
  decisions: (string | undefined)[];
  /** Distinct command lines sampled, and how many of them ran buildctl. */
  commandLines: number;
  buildctlCommandLines: number;
  /** Objects read from the namespace, and blobs read from the registry. */
  objects: number;
  blobs: number;
  /** Why the pull Secret is not as the design says (empty when it is). */
  pullSecretWrongs: string[];
  /** The jobs' logs, for a failure to print. */
  logs: string;
}

interface Login {
  username: string;
  password: string;
}

/** The secrets a job is given, by name. */
function plantedSecrets(login: Login, adminKey: string): Record<string, string> {
  const keyBody = Buffer.from(adminKey, 'base64').toString('utf8').split('\n')[1] ?? '';
  return {
    'registry-password': login.password,
    'registry login as a Docker config auth': Buffer.from(`${login.username}:${login.password}`).toString(
      'base64',
    ),
    'build-secrets': `${PLANTED_MARK}BuildSecret5Tz8`,
    'kubeconfig client-key-data': adminKey,
    'kubeconfig client key (decoded)': keyBody,
    'kubeconfig token': `${PLANTED_MARK}KubeToken3Hv6Yp1`,
    'kubeconfig exec env': `${PLANTED_MARK}ExecEnv9Ls2`,
    'github-token': `ghs_${PLANTED_MARK}GitHubToken4Kd9Lw0Zr`,
    HF_TOKEN: `hf_${PLANTED_MARK}HubToken8Nq3`,
  };
}

/** The admin kubeconfig with two more users (and contexts) whose credentials it never uses. */
function kubeconfigWithPlantedUsers(secrets: Record<string, string>): string {
  const config = parseYaml(readFileSync(KUBECONFIG_PATH, 'utf8')) as {
    clusters: { name: string }[];
    users: unknown[];
    contexts: unknown[];
  };
  const cluster = config.clusters[0]!.name;
  config.users.push(
    { name: 'ci-token', user: { token: secrets['kubeconfig token'] } },
    {
      name: 'ci-plugin',
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'get-token',
          env: [{ name: 'CLUSTER_TOKEN', value: secrets['kubeconfig exec env'] }],
        },
      },
    },
  );
  config.contexts.push(
    { name: 'ci-token', context: { cluster, user: 'ci-token' } },
    { name: 'ci-plugin', context: { cluster, user: 'ci-plugin' } },
  );
  return stringifyYaml(config);
}

/** `<where>: <secret>` for each secret (or PLANTED_MARK) in `text`. */
function hitsIn(where: string, text: string | Buffer, secrets: Record<string, string>): string[] {
  const found = Object.entries(secrets)
    .filter(([, value]) => value !== '' && text.indexOf(value) >= 0)
    .map(([secret]) => `${where}: ${secret}`);
  if (found.length === 0 && text.indexOf(PLANTED_MARK) >= 0) found.push(`${where}: part of a planted secret`);
  return found;
}

/** Every file under `folder`, by path. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Samples `ps -eo args` until `stop` resolves; returns the distinct command lines seen. */
async function sampleCommandLines(stop: Promise<unknown>): Promise<Set<string>> {
  const lines = new Set<string>();
  let done = false;
  void stop.finally(() => (done = true));
  while (!done) {
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 });
    for (const line of stdout.split('\n')) lines.add(line);
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
  }
  return lines;
}

/** GET from the private registry with its login, over its TLS. */
function privateRegistryGet(
  login: Login,
  path: string,
  accept: string,
): Promise<{ type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: 'localhost',
        port: 5443,
        path: `/v2/${path}`,
        ca: readFileSync(CA_FILE),
        auth: `${login.username}:${login.password}`,
        headers: { accept },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`GET ${path}: ${response.statusCode}`));
          else resolve({ type: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
        });
      },
    );
    call.on('error', reject);
    call.end();
  });
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface BlobDescriptor {
  mediaType?: string;
  digest: string;
}

/**
 * Every manifest and blob under `reference` (an index, its manifests and attestations, each
 * manifest's config and layers), blobs uncompressed; `skip` holds digests not to read.
 */
async function registryContents(
  login: Login,
  repository: string,
  reference: string,
  skip: ReadonlySet<string>,
): Promise<{ where: string; bytes: Buffer }[]> {
  const found: { where: string; bytes: Buffer }[] = [];
  const manifests = [reference];
  for (let next = manifests.pop(); next !== undefined; next = manifests.pop()) {
    const { body } = await privateRegistryGet(
      login,
      `${repository}/manifests/${next}`,
      MANIFEST_TYPES.join(', '),
    );
    found.push({ where: `manifest ${repository}@${next}`, bytes: body });
    const document = JSON.parse(body.toString('utf8')) as {
      manifests?: BlobDescriptor[];
      config?: BlobDescriptor;
      layers?: BlobDescriptor[];
    };
    // BuildKit's registry cache is an index whose entries are its layers and cache config, not manifests.
    const entries = document.manifests ?? [];
    const isManifest = (entry: BlobDescriptor) => MANIFEST_TYPES.includes(entry.mediaType ?? '');
    for (const entry of entries.filter(isManifest)) manifests.push(entry.digest);
    const blobs = [
      ...(document.config ? [document.config] : []),
      ...(document.layers ?? []),
      ...entries.filter((entry) => !isManifest(entry)),
    ];
    for (const blob of blobs) {
      if (skip.has(blob.digest)) continue;
      const { body: bytes } = await privateRegistryGet(login, `${repository}/blobs/${blob.digest}`, '*/*');
      const type = blob.mediaType ?? '';
      const plain = type.endsWith('gzip')
        ? gunzipSync(bytes)
        : type.endsWith('zstd')
          ? zstdDecompressSync(bytes)
          : bytes;
      found.push({ where: `blob ${repository}@${blob.digest} (${type})`, bytes: plain });
    }
  }
  return found;
}

/** Every object of the kinds the action writes or causes, in `namespace`. */
async function namespaceObjects(config: KubeConfig, namespace: string) {
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const coordination = config.makeApiClient(CoordinationV1Api);
  const lists = await Promise.all([
    apps.listNamespacedDeployment({ namespace }),
    apps.listNamespacedReplicaSet({ namespace }),
    core.listNamespacedPod({ namespace }),
    core.listNamespacedService({ namespace }),
    core.listNamespacedEndpoints({ namespace }),
    core.listNamespacedSecret({ namespace }),
    core.listNamespacedConfigMap({ namespace }),
    coordination.listNamespacedLease({ namespace }),
    core.listNamespacedEvent({ namespace }),
    core.listNamespacedServiceAccount({ namespace }),
  ]);
  const kinds = [
    'Deployment',
    'ReplicaSet',
    'Pod',
    'Service',
    'Endpoints',
    'Secret',
    'ConfigMap',
    'Lease',
    'Event',
    'ServiceAccount',
  ];
  return lists.flatMap((list, index) =>
    (list.items as { metadata?: { name?: string } }[]).map((item) => ({ kind: kinds[index]!, item })),
  );
}

/** Why `secret` is not the pull Secret the design says it is: ours, dockerconfigjson, exactly the login. */
function pullSecretWrongs(secret: V1Secret | undefined, login: Login): string[] {
  if (secret === undefined)
    return [`no Secret ${TARGET}-registry: the pods could not have pulled from ${PRIVATE_REGISTRY}`];
  const wrongs: string[] = [];
  if (secret.type !== 'kubernetes.io/dockerconfigjson') wrongs.push(`its type is ${secret.type}`);
  if (secret.metadata?.labels?.[LABELS.managedBy] !== MANAGED_BY_VALUE)
    wrongs.push('it is not labelled ours');
  const config = JSON.parse(
    Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8') || '{}',
  ) as {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  };
  const registries = Object.keys(config.auths ?? {});
  if (JSON.stringify(registries) !== JSON.stringify([PRIVATE_REGISTRY]))
    wrongs.push(`it holds logins for ${registries.join(', ') || 'nothing'}`);
  const entry = config.auths?.[PRIVATE_REGISTRY];
  const auth = entry?.auth ?? Buffer.from(`${entry?.username}:${entry?.password}`).toString('base64');
  if (auth !== Buffer.from(`${login.username}:${login.password}`).toString('base64'))
    wrongs.push('it does not hold the login the job was given');
  return wrongs;
}

/** Runs the two jobs and the scan; the namespace is deleted afterwards. */
export async function runSecretScan(): Promise<SecretScan> {
  const config = await requireLocalCluster();
  const login: Login = {
    username: readFileSync(join(LOGIN_DIR, 'username'), 'utf8').trim(),
    password: readFileSync(join(LOGIN_DIR, 'password'), 'utf8').trim(),
  };
  const adminKey =
    (
      parseYaml(readFileSync(KUBECONFIG_PATH, 'utf8')) as {
        users: { user: Record<string, string> }[];
      }
    ).users[0]!.user['client-key-data'] ?? '';
  const secrets = plantedSecrets(login, adminKey);
  const namespace = await createTestNamespace(config, 'secret-scan');
  const root = mkdtempSync(join(tmpdir(), 'model-canary-secret-scan-'));
  try {
    const workspace = join(root, 'workspace');
    mkdirSync(join(workspace, 'model'), { recursive: true });
    for (const file of ['server.py', 'weights.json'])
      cpSync(join(REPO_ROOT, 'examples/models/tiny-chat', file), join(workspace, 'model', file));
    cpSync(join(REPO_ROOT, 'examples/models/payloads/tiny-chat.jsonl'), join(workspace, 'requests.jsonl'));
    writeFileSync(join(workspace, 'Dockerfile'), DOCKERFILE);
    const repository = `model-canary/test/${TARGET}-${Date.now().toString(36)}`;
    const local = localStackStep(namespace, TARGET);
    const jobs: ActionJob[] = [];
    const traces: { where: string; text: string }[] = [];
    const stepTemp: string[] = [];
    let commandLines = new Set<string>();
    for (const [index, label] of ['first version', 'canary'].entries()) {
      const temp = join(root, `tmp-${index}`);
      const runnerTemp = join(root, `runner-temp-${index}`);
      mkdirSync(temp);
      mkdirSync(runnerTemp);
      stepTemp.push(temp, runnerTemp);
      const job = runActionJob({
        workspace,
        sha: Buffer.from(`${TARGET}-${label}-${Date.now()}`).toString('hex').padEnd(40, '0').slice(0, 40),
        runId: 7000 + index,
        extraEnv: {
          ...local.env,
          TMPDIR: temp,
          RUNNER_TEMP: runnerTemp,
          NODE_EXTRA_CA_CERTS: CA_FILE,
          GITHUB_API_URL: 'http://127.0.0.1:9',
          HF_TOKEN: secrets['HF_TOKEN'],
        },
        inputs: {
          ...local.inputs,
          model: 'model',
          dockerfile: 'Dockerfile',
          image: `${PRIVATE_REGISTRY}/${repository}`,
          'registry-username': login.username,
          'registry-password': login.password,
          'build-args': `BASE_IMAGE=${PYTHON_BASE_IMAGE}`,
          'build-secrets': `pip_index_token=${secrets['build-secrets']}`,
          kubeconfig: kubeconfigWithPlantedUsers(secrets),
          'probe-protocol': 'openai',
          'probe-payload': 'requests.jsonl',
          'github-token': secrets['github-token']!,
        },
      });
      const [finished, seen] = await Promise.all([job, sampleCommandLines(job)]);
      commandLines = new Set([...commandLines, ...seen]);
      jobs.push(finished);
      const shown = (output: string) => output.replace(/^::add-mask::.*$/gm, '');
      traces.push(
        { where: `${label}: main step log`, text: shown(finished.output) },
        { where: `${label}: post step log`, text: shown(finished.post.output) },
        { where: `${label}: GITHUB_OUTPUT`, text: readFileSync(finished.step.outputFile, 'utf8') },
        { where: `${label}: GITHUB_STATE`, text: readFileSync(finished.step.stateFile, 'utf8') },
        { where: `${label}: GITHUB_ENV`, text: readFileSync(finished.step.env['GITHUB_ENV']!, 'utf8') },
        { where: `${label}: step summary`, text: finished.summary },
      );
      const report = finished.outputs['report'];
      if (report !== undefined)
        traces.push({ where: `${label}: JSON report`, text: readFileSync(report, 'utf8') });
    }
    const hits: string[] = [];
    for (const { where, text } of traces) hits.push(...hitsIn(where, text, secrets));
    for (const folder of stepTemp) {
      for (const file of filesUnder(folder))
        hits.push(...hitsIn(`file left behind: ${file}`, readFileSync(file), secrets));
    }
    for (const line of commandLines)
      hits.push(...hitsIn(`command line: ${line.slice(0, 120)}`, line, secrets));

    const objects = await namespaceObjects(config, namespace);
    const pullSecret = objects.find(
      ({ kind, item }) => kind === 'Secret' && item.metadata?.name === `${TARGET}-registry`,
    )?.item as V1Secret | undefined;
    for (const { kind, item } of objects) {
      // Only the pull Secret's data holds the login, by design (checked by pullSecretWrongs).
      const searched = item === pullSecret ? { ...pullSecret, data: undefined } : item;
      hits.push(...hitsIn(`${kind} ${namespace}/${item.metadata?.name}`, JSON.stringify(searched), secrets));
    }

    const base = await new RegistrySession(PYTHON_BASE_IMAGE.replace(/:[^:/]+$/, '')).imageManifest(
      PYTHON_BASE_IMAGE.slice(PYTHON_BASE_IMAGE.lastIndexOf(':') + 1),
    );
    const baseLayers = new Set(base.layers.map((layer) => layer.digest));
    const references = [
      ...jobs.map((job) => job.outputs['digest']).filter((digest): digest is string => digest !== undefined),
      'buildcache',
    ];
    let blobs = 0;
    for (const reference of references) {
      for (const { where, bytes } of await registryContents(login, repository, reference, baseLayers)) {
        blobs += 1;
        hits.push(...hitsIn(where, bytes, secrets));
      }
    }
    return {
      hits: [...new Set(hits)],
      decisions: jobs.map((job) => job.outputs['decision']),
      commandLines: commandLines.size,
      buildctlCommandLines: [...commandLines].filter((line) => /buildctl .* build /.test(line)).length,
      objects: objects.length,
      blobs,
      pullSecretWrongs: pullSecretWrongs(pullSecret, login),
      logs: jobs.map((job) => job.output.slice(-4000)).join('\n----\n'),
    };
  } finally {
    await deleteTestNamespace(config, namespace);
    rmSync(root, { recursive: true, force: true });
  }
}
