/**
 * Server-side apply and delete, with our field manager. Only objects with our managed-by label are
 * ours: on those our fields win over hand edits (a forced apply) and they may be deleted, each
 * pinned by its uid. An object of our name that someone else created stops the run naming its
 * manager, unless input `adopt` hands it to us.
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

/** True when the object carries our managed-by label: only such objects are ours to force or delete. */
export function isOurs(object: KubernetesObject | undefined): boolean {
  return object?.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY_VALUE;
}

/** Who manages an object: its managed-by label, else its field managers (quoted, for messages). */
export function managersOf(object: KubernetesObject): string {
  const label = object.metadata?.labels?.[LABELS.managedBy];
  const managers =
    label !== undefined && label !== ''
      ? [label]
      : [...new Set((object.metadata?.managedFields ?? []).map((entry) => entry.manager ?? ''))].filter(
          (name) => name !== '',
        );
  return managers.map((name) => `"${name}"`).join(', ') || 'another tool';
}

export interface ApplyOptions {
  /** Input `adopt`: an object of this name that another manager made is taken over. */
  adopt?: boolean;
}

/**
 * Applies one object with server-side apply as `model-canary`; returns what the server stored.
 * An existing object must be ours (or `adopt` set): our fields then win over hand edits (force),
 * and its uid is a precondition, so an object deleted and re-created by someone else since we read
 * it is not taken.
 */
export async function applyObject<T extends KubernetesObject>(
  cluster: Cluster,
  object: T,
  options: ApplyOptions = {},
): Promise<T> {
  const apply = (body: T, force: boolean): Promise<T> =>
    cluster.objects.patch(body, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
  let existing: KubernetesObject | undefined;
  try {
    existing = await unlessNotFound(cluster.objects.read(headerOf(object)));
  } catch (error) {
    throw asClusterError(object, 'read', error);
  }
  if (existing !== undefined && !isOurs(existing) && options.adopt !== true) throw notOurs(object, existing);
  try {
    if (existing === undefined) return await apply(object, false);
    return await apply({ ...object, metadata: { ...object.metadata, uid: existing.metadata?.uid } }, true);
  } catch (error) {
    // Created by someone else since we read: a conflict with their fields.
    if (statusOf(error) === 409 && existing === undefined) {
      const managers = conflictingManagers(serverMessage(error));
      throw new ClusterError(
        describeObject(object),
        `exists and is managed by ${managers.map((m) => `"${m}"`).join(', ') || 'another field manager'}, ` +
          `not by model-canary (${serverMessage(error)}). Rename the target (input name), remove that object, ` +
          'or set input adopt: true to take it over.',
      );
    }
    throw asClusterError(object, 'apply', error);
  }
}

/** The error for an object of our name that another manager made. */
export function notOurs(object: KubernetesObject, existing: KubernetesObject): ClusterError {
  return new ClusterError(
    describeObject(object),
    `exists and is managed by ${managersOf(existing)}, not by model-canary (no ${LABELS.managedBy}=${MANAGED_BY_VALUE} ` +
      'label). Rename the target (input name), remove that object, or set input adopt: true to take it over.',
  );
}

/**
 * Deletes one object of ours, as listed: it must carry our managed-by label, and its uid is a
 * precondition, so an object re-created under its name since it was listed is never deleted. An
 * object already gone counts as deleted.
 */
export async function deleteObject(cluster: Cluster, object: KubernetesObject): Promise<boolean> {
  const uid = object.metadata?.uid;
  if (!isOurs(object) || uid === undefined) {
    throw new ClusterError(
      describeObject(object),
      `not deleted: only an object listed with its uid and the ${LABELS.managedBy}=${MANAGED_BY_VALUE} label is ours to delete`,
    );
  }
  try {
    await cluster.objects.delete(headerOf(object), undefined, undefined, undefined, undefined, 'Background', {
      preconditions: { uid },
    });
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
