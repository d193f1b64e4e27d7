/** The cluster section: which cluster (kubeconfig, context) and namespace the rollout goes to. */
import { parse as parseYaml } from 'yaml';
import { isDnsLabel } from '../kube/names.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';

export interface ClusterSettings {
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

/** Reads kubeconfig (checked to be one, holding the context), context and namespace. */
export function parseCluster(read: InputReader): ClusterSettings {
  const kubeconfig = read.optional('kubeconfig');
  const context = read.optional('context');
  if (kubeconfig !== undefined) checkKubeconfig(read, kubeconfig, context);
  const namespace = read.text('namespace');
  if (!isDnsLabel(namespace)) {
    read.problem(
      'namespace',
      `expected an RFC 1123 label (lower-case letters, digits and '-', at most 63); got '${namespace}'`,
    );
  }
  return withoutUndefined<ClusterSettings>({ kubeconfig, context, namespace });
}

function checkKubeconfig(read: InputReader, kubeconfig: string, context: string | undefined): void {
  let document: unknown;
  try {
    document = parseYaml(kubeconfig);
  } catch {
    // The YAML error would quote the content, which holds credentials.
    read.problem('kubeconfig', 'is not valid YAML; paste the whole kubeconfig file (as a secret)');
    return;
  }
  const config = document as { clusters?: unknown; contexts?: { name?: string }[] } | null;
  if (config === null || typeof config !== 'object' || !Array.isArray(config.clusters)) {
    read.problem('kubeconfig', 'is not a kubeconfig (no clusters list); paste the whole kubeconfig file');
    return;
  }
  if (context !== undefined) {
    const names = (config.contexts ?? []).map((c) => c.name).filter((n) => typeof n === 'string');
    if (!names.includes(context)) {
      read.problem(
        'context',
        `'${context}' is not in the kubeconfig (it has: ${names.join(', ') || 'no contexts'})`,
      );
    }
  }
}
