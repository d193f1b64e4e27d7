/**
 * How integration tests reach the real local stack that `npm run cluster:up` starts: the admin
 * kubeconfig, the registry and BuildKit. A missing stack fails the test with what to run, never a
 * silent skip.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const KUBECONFIG_PATH = join(REPO_ROOT, '.cluster/kubeconfig');
export const REGISTRY = 'localhost:5000';
export const BUILDKIT_HOST = 'unix:///run/model-canary/buildkitd.sock';
export const PYTHON_BASE_IMAGE = `${REGISTRY}/model-canary/python:3.11-bookworm`;
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
