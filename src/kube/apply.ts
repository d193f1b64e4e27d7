/**
 * Server-side apply and delete, with our field manager. A conflict on an object we created (our
 * managed-by label) means someone edited our fields by hand: we take them back. A conflict on an
 * object someone else created is theirs to resolve, so it stops the run with both names.
 */
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { apiMessage, serverMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import { FIELD_MANAGER, LABELS, MANAGED_BY_VALUE } from './labels.ts';

/** `Kind namespace/name`, the way errors and the log name an object. */
export function describeObject(object: KubernetesObject): string {
  const namespace = object.metadata?.namespace;
  return `${object.kind ?? 'object'} ${namespace !== undefined ? `${namespace}/` : ''}${object.metadata?.name ?? '?'}`;
}

/** Field managers named in a server-side apply conflict message. */
export function conflictingManagers(message: string): string[] {
  return [...new Set([...message.matchAll(/conflicts? with "([^"]+)"/g)].map((match) => match[1]!))];
}

/** Applies one object with server-side apply as `model-canary`; returns what the server stored. */
export async function applyObject<T extends KubernetesObject>(cluster: Cluster, object: T): Promise<T> {
  const apply = (force: boolean): Promise<T> =>
    cluster.objects.patch(object, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
  try {
    return await apply(false);
  } catch (error) {
    if (statusOf(error) !== 409) throw asClusterError(object, 'apply', error);
    const existing = await unlessNotFound(cluster.objects.read(headerOf(object)));
    const managers = conflictingManagers(serverMessage(error));
    if (existing?.metadata?.labels?.[LABELS.managedBy] !== MANAGED_BY_VALUE) {
      throw new ClusterError(
        describeObject(object),
        `exists and is managed by ${managers.map((m) => `"${m}"`).join(', ') || 'another field manager'}, ` +
          `not by model-canary (${serverMessage(error)}). Rename the target (input name) or remove that object.`,
      );
    }
    try {
      return await apply(true);
    } catch (forced) {
      throw asClusterError(object, 'apply', forced);
    }
  }
}

/** Deletes one object; an object already gone counts as deleted. */
export async function deleteObject(cluster: Cluster, object: KubernetesObject): Promise<boolean> {
  try {
    await cluster.objects.delete(headerOf(object), undefined, undefined, undefined, undefined, 'Background');
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw asClusterError(object, 'delete', error);
  }
}

function headerOf(
  object: KubernetesObject,
): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: object.metadata?.name ?? '',
      ...(object.metadata?.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
    },
  };
}

function asClusterError(object: KubernetesObject, verb: string, error: unknown): ClusterError {
  if (error instanceof ClusterError) return error;
  const status = statusOf(error);
  const hint = status === 403 ? ' (RBAC: the kubeconfig user may not do this)' : '';
  return new ClusterError(describeObject(object), `${verb} failed: ${apiMessage(error)}${hint}`);
}
