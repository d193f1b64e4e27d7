/** The cluster section: which cluster (kubeconfig, context) and namespace the rollout goes to. */
import { parse as parseYaml } from 'yaml';
import { isDnsLabel } from '../kube/names.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';

export interface ClusterSettings {
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

/**
 * The kubeconfig client-node falls back to when input kubeconfig is empty: the pod's service
 * account, or the file at KUBECONFIG / ~/.kube/config (`text` undefined when it does not exist).
 */
export type DefaultKubeconfig = { inCluster: true } | { inCluster: false; path: string; text?: string };

/**
 * Reads kubeconfig, context and namespace. The kubeconfig that will be used (the input, else
 * `fallback`) is checked to name a context whose cluster and user it defines, so an unusable one
 * fails here, before anything is built, rather than at the first API call after the push.
 */
export function parseCluster(
  read: InputReader,
  fallback?: DefaultKubeconfig,
  dryRun = false,
): ClusterSettings {
  const kubeconfig = read.optional('kubeconfig');
  const context = read.optional('context');
  if (kubeconfig !== undefined) checkKubeconfig(read, { text: kubeconfig, where: 'the kubeconfig' }, context);
  else if (fallback !== undefined && !fallback.inCluster) {
    const where = `the kubeconfig at ${fallback.path} (input kubeconfig is empty)`;
    if (fallback.text !== undefined) checkKubeconfig(read, { text: fallback.text, where }, context);
    else if (!dryRun) {
      read.problem(
        'kubeconfig',
        `is empty, this runner is not in a cluster, and there is no kubeconfig at ${fallback.path}; ` +
          'pass the kubeconfig content as a secret (kubeconfig: ${{ secrets.KUBECONFIG }}) or set KUBECONFIG',
      );
    }
  }
  const namespace = read.text('namespace');
  if (!isDnsLabel(namespace)) {
    read.problem(
      'namespace',
      `expected an RFC 1123 label (lower-case letters, digits and '-', at most 63); got '${namespace}'`,
    );
  }
  return withoutUndefined<ClusterSettings>({ kubeconfig, context, namespace });
}

interface NamedEntry {
  name?: unknown;
  context?: { cluster?: unknown; user?: unknown } | null;
  cluster?: { server?: unknown } | null;
}

/** Names of a kubeconfig list's entries (clusters, users, contexts), ignoring malformed ones. */
function namesOf(list: unknown): string[] {
  return Array.isArray(list)
    ? (list as NamedEntry[])
        .map((entry) => entry?.name)
        .filter((name): name is string => typeof name === 'string')
    : [];
}

function checkKubeconfig(
  read: InputReader,
  file: { text: string; where: string },
  context: string | undefined,
): void {
  const { where } = file;
  let document: unknown;
  try {
    document = parseYaml(file.text);
  } catch {
    // The YAML error would quote the content, which holds credentials.
    read.problem('kubeconfig', `${where} is not valid YAML; paste the whole kubeconfig file (as a secret)`);
    return;
  }
  const config = document as {
    clusters?: unknown;
    users?: unknown;
    contexts?: unknown;
    'current-context'?: unknown;
  } | null;
  if (config === null || typeof config !== 'object' || !Array.isArray(config.clusters)) {
    read.problem(
      'kubeconfig',
      `${where} is not a kubeconfig (no clusters list); paste the whole kubeconfig file`,
    );
    return;
  }
  const contexts = namesOf(config.contexts);
  const listed = contexts.join(', ') || 'no contexts';
  const current = typeof config['current-context'] === 'string' ? config['current-context'] : '';
  const chosen = context ?? current;
  if (chosen === '') {
    read.problem(
      'kubeconfig',
      `${where} has no current-context; set input context to one of its contexts (${listed}), or set current-context in it`,
    );
    return;
  }
  if (!contexts.includes(chosen)) {
    read.problem(
      context !== undefined ? 'context' : 'kubeconfig',
      context !== undefined
        ? `'${context}' is not in ${where} (it has: ${listed})`
        : `${where}: its current-context '${current}' is not one of its contexts (${listed}); set input context or fix current-context`,
    );
    return;
  }
  const entry = (config.contexts as NamedEntry[]).find((c) => c?.name === chosen)?.context;
  const clusterName = typeof entry?.cluster === 'string' ? entry.cluster : '';
  const userName = typeof entry?.user === 'string' ? entry.user : '';
  const input = context !== undefined ? 'context' : 'kubeconfig';
  const clusters = namesOf(config.clusters);
  if (!clusters.includes(clusterName)) {
    read.problem(
      input,
      `context '${chosen}' names cluster '${clusterName}', which ${where} does not define (its clusters: ${clusters.join(', ') || 'none'}); fix the context's cluster or add that cluster`,
    );
  } else {
    const server = (config.clusters as NamedEntry[]).find((c) => c?.name === clusterName)?.cluster?.server;
    if (typeof server !== 'string' || server === '') {
      read.problem(
        input,
        `cluster '${clusterName}' of context '${chosen}' has no server address in ${where}; add its server (https://host:port)`,
      );
    }
  }
  const users = namesOf(config.users);
  if (!users.includes(userName)) {
    read.problem(
      input,
      `context '${chosen}' names user '${userName}', which ${where} does not define (its users: ${users.join(', ') || 'none'}); fix the context's user or add that user`,
    );
  }
}
