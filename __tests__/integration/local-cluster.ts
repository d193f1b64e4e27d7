/**
 * How integration tests reach the real local stack that `npm run cluster:up` starts: the admin
 * kubeconfig, the registry and BuildKit. A missing stack fails the test with what to run, never a
 * silent skip.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const KUBECONFIG_PATH = join(REPO_ROOT, '.cluster/kubeconfig');
export const REGISTRY = 'localhost:5000';
/** The registry that needs a login (hack/lib/registry-auth.sh): TLS from its own CA, htpasswd. */
export const PRIVATE_REGISTRY = 'localhost:5443';
const PRIVATE_REGISTRY_FILES = join(REPO_ROOT, '.cluster/registry-auth');
/** The private registry's CA certificate (the node's containerd and BuildKit trust it already). */
export const PRIVATE_REGISTRY_CA = join(PRIVATE_REGISTRY_FILES, 'ca.crt');

/** The private registry's login, as `docker login` would be given it. */
export function privateRegistryLogin(): { username: string; password: string } {
  return {
    username: readFileSync(join(PRIVATE_REGISTRY_FILES, 'username'), 'utf8').trim(),
    password: readFileSync(join(PRIVATE_REGISTRY_FILES, 'password'), 'utf8').trim(),
  };
}
export const BUILDKIT_HOST = 'unix:///run/model-canary/buildkitd.sock';
export const PYTHON_BASE_IMAGE = `${REGISTRY}/model-canary/python:3.11-bookworm`;
/** The local Prometheus (hack/lib/prometheus.sh), scraping the cluster's annotated pods every 2 s. */
export const PROMETHEUS_URL = 'http://127.0.0.1:9090';
/** kubectl, buildctl and friends built by hack/ (the peers in benchmarks, never the action itself). */
export const CACHE_BIN = join(homedir(), '.cache/model-canary/bin');

const NOT_RUNNING = 'The local cluster is not running: run `npm run cluster:up` first (see hack/README.md).';

/** The admin KubeConfig of the local cluster; throws with the command to run when it is down. */
export function localKubeConfig(): KubeConfig {
  if (!existsSync(KUBECONFIG_PATH)) throw new Error(`${NOT_RUNNING} (${KUBECONFIG_PATH} is missing)`);
  const config = new KubeConfig();
  config.loadFromFile(KUBECONFIG_PATH);
  return config;
}

/** Checks that the API server answers, so a dead cluster fails once with a clear message. */
export async function requireLocalCluster(): Promise<KubeConfig> {
  const config = localKubeConfig();
  try {
    await config.makeApiClient(CoreV1Api).listNamespace({ limit: 1 });
  } catch (error) {
    throw new Error(`${NOT_RUNNING} (the API server did not answer: ${(error as Error).message})`, {
      cause: error,
    });
  }
  return config;
}

/** Checks that the local Prometheus answers, so a missing one fails once with what to run. */
export async function requirePrometheus(): Promise<string> {
  const ready = await fetch(`${PROMETHEUS_URL}/-/ready`).then(
    (response) => response.ok,
    () => false,
  );
  if (!ready)
    throw new Error(
      `Prometheus does not answer at ${PROMETHEUS_URL}: run \`npm run cluster:up\` (hack/lib/prometheus.sh)`,
    );
  return PROMETHEUS_URL;
}

/** A fresh namespace for one test file, labelled so a crashed run's leftovers are easy to find. */
export async function createTestNamespace(config: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await config.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { 'model-canary.dev/test': prefix } } },
  });
  return name;
}

/** Deletes a test namespace without waiting for its finalizers. */
export async function deleteTestNamespace(config: KubeConfig, name: string): Promise<void> {
  await config
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}

/**
 * The inputs and runner variables of one push on the local stack, as __tests__/integration/action-job.ts
 * and the chaos tests run the action: the local BuildKit (buildctl on PATH) and plain-HTTP registry,
 * the admin kubeconfig, one GPU, short probe windows. A test's own inputs go over these.
 */
export function localStackStep(
  namespace: string,
  target: string,
): { inputs: Record<string, string>; env: NodeJS.ProcessEnv } {
  return {
    inputs: {
      name: target,
      namespace,
      image: `${REGISTRY}/model-canary/test/${target}`,
      builder: 'buildctl',
      'buildkit-host': BUILDKIT_HOST,
      kubeconfig: readFileSync(KUBECONFIG_PATH, 'utf8'),
      gpus: '1',
      'probe-rate': '50',
      'probe-duration': '15s',
      warmup: '3s',
    },
    env: { PATH: `${dirname(buildctlPath())}:${process.env['PATH']}` },
  };
}

/** The buildctl that `npm run cluster:up` built under CACHE_BIN. */
export function buildctlPath(): string {
  const dir = readdirSync(CACHE_BIN).find((entry) => entry.startsWith('buildkit-'));
  if (dir === undefined) throw new Error(`buildctl is not built under ${CACHE_BIN}: run npm run cluster:up`);
  return join(CACHE_BIN, dir, 'buildctl');
}

/**
 * Builds the Dockerfile in `context` with the local BuildKit (BUILDKIT_HOST from the environment
 * when set) and pushes the image as `name` to the plain-HTTP local registry; `options` are extra
 * buildctl arguments (build args, attestations). Returns the pushed image's digest.
 */
export async function buildAndPush(context: string, name: string, options: string[] = []): Promise<string> {
  const metadata = join(mkdtempSync(join(tmpdir(), 'buildctl-metadata-')), 'metadata.json');
  await promisify(execFile)(
    buildctlPath(),
    [
      '--addr',
      process.env['BUILDKIT_HOST'] ?? BUILDKIT_HOST,
      'build',
      '--frontend',
      'dockerfile.v0',
      '--local',
      `context=${context}`,
      '--local',
      `dockerfile=${context}`,
      ...options,
      '--output',
      `type=image,name=${name},push=true,registry.insecure=true`,
      '--metadata-file',
      metadata,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, string>)['containerimage.digest']!;
}

/** Polls `check` until it returns a value; integration waits are bounded and say what they waited for. */
export async function eventually<T>(
  what: string,
  seconds: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
