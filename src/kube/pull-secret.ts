/**
 * The image pull secret both arms reference: input image-pull-secret when the user names one, else
 * a `kubernetes.io/dockerconfigjson` Secret the action makes from the credentials it pushed with,
 * when the registry refuses anonymous pulls. Ours carries our labels, is applied with server-side
 * apply, and goes with the target. Its content is written to the API server only, never logged.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { Plan } from '../plan.ts';
import type { Settings } from '../inputs/settings.ts';
import { unlessNotFound, statusOf, type Cluster } from './cluster.ts';
import { LABELS, MANAGED_BY_VALUE, ownerLabels } from './labels.ts';

/** Credentials for the image's registry that the kubelet can use (no refresh tokens). */
export interface PullCredentials {
  /** Registry host[:port], as in the image reference (`docker.io` for Docker Hub). */
  registry: string;
  username: string;
  password: string;
}

/** The name of the Secret the action makes for a target. */
export function pullSecretName(plan: Pick<Plan, 'target'>): string {
  return `${plan.target}-registry`;
}

/** Pure: the Secret a node pulls the image with, in the format `docker login` writes. */
export function renderPullSecret(
  plan: Plan,
  credentials: PullCredentials,
): V1Secret & { apiVersion: string; kind: string } {
  const server = credentials.registry === 'docker.io' ? 'https://index.docker.io/v1/' : credentials.registry;
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  const config = {
    auths: { [server]: { username: credentials.username, password: credentials.password, auth } },
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: {
      name: pullSecretName(plan),
      namespace: plan.namespace,
      labels: ownerLabels(plan.target, plan.preview),
    },
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  };
}

/**
 * The pull secrets the arms reference now: input image-pull-secret, else ours when it exists (made
 * by this run or an earlier one: stable may pull with it), else none.
 */
export async function pullSecretsOf(
  cluster: Cluster,
  plan: Plan,
  settings: Pick<Settings, 'workload'>,
): Promise<string[]> {
  if (settings.workload.imagePullSecret !== undefined) return [settings.workload.imagePullSecret];
  const ours = await ourPullSecret(cluster, plan);
  return ours !== undefined ? [pullSecretName(plan)] : [];
}

/** Our Secret of the target, when it exists and carries our label; a user's Secret of that name is never ours. */
export async function ourPullSecret(cluster: Cluster, plan: Plan): Promise<V1Secret | undefined> {
  try {
    const secret = await unlessNotFound(
      cluster.core.readNamespacedSecret({ namespace: plan.namespace, name: pullSecretName(plan) }),
    );
    return secret?.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY_VALUE ? secret : undefined;
  } catch (error) {
    // A Role without `get secrets` never let the action make one either.
    if (statusOf(error) === 403) return undefined;
    throw error;
  }
}
