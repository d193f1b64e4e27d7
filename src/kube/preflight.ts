/**
 * Checks made before any change: the namespace exists (or is created), RBAC allows every verb a
 * rollout uses, and enough GPUs of the asked kind are free. Each failure is a ClusterError naming
 * what is missing, raised before the cluster has been touched.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import type { ObjectNames } from '../plan.ts';
import { apiMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import { AUTOSCALER_RESOURCES } from './autoscaler.ts';
import { GPU_PRODUCT_LABEL, LABELS } from './labels.ts';
import { parseQuantity } from './quantities.ts';

export interface AccessNeed {
  group: string;
  resource: string;
  /** e.g. `scale` of deployments. */
  subresource?: string;
  verbs: string[];
  /** The objects the verbs are used on, when their names are known (a Role may grant only these). */
  names?: string[];
}

/**
 * Every verb a rollout uses in the target namespace. Verbs on an object of a known name are asked
 * for that name, so a Role that grants them with resourceNames (examples/rbac) passes; creating
 * and listing by label have no name to restrict.
 */
export function rolloutAccessNeeds(
  router: { kind: 'replicas' } | { kind: 'gateway-api'; route: string },
  objects: ObjectNames,
): AccessNeed[] {
  const deployments = [objects.stableDeployment, objects.canaryDeployment];
  const services = [...new Set([objects.service, objects.stableService, objects.canaryService])];
  return [
    {
      group: 'apps',
      resource: 'deployments',
      verbs: ['get', 'watch', 'patch', 'delete'],
      names: deployments,
    },
    { group: 'apps', resource: 'deployments', verbs: ['create', 'list'] },
    // gpu-budget shift resizes an arm through its scale subresource, never re-rendering stable.
    { group: 'apps', resource: 'deployments', subresource: 'scale', verbs: ['update'], names: deployments },
    // An autoscaler of stable owns its replicas (src/kube/autoscaler.ts); no KEDA installed is fine.
    ...AUTOSCALER_RESOURCES.map((resource) => ({
      group: resource.group,
      resource: resource.plural,
      verbs: ['list'],
    })),
    { group: '', resource: 'services', verbs: ['get', 'patch', 'delete'], names: services },
    { group: '', resource: 'services', verbs: ['create', 'list'] },
    { group: '', resource: 'pods', verbs: ['list', 'watch'] },
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      verbs: ['get', 'update', 'delete'],
      names: [objects.lease],
    },
    { group: 'coordination.k8s.io', resource: 'leases', verbs: ['create'] },
    ...(router.kind === 'gateway-api'
      ? [
          {
            group: 'gateway.networking.k8s.io',
            resource: 'httproutes',
            verbs: ['get', 'patch'],
            names: [router.route],
          },
          { group: 'gateway.networking.k8s.io', resource: 'httproutes', verbs: ['list'] },
        ]
      : []),
  ];
}

/** The namespace exists, or is created; a ClusterError says which when neither works. */
export async function ensureNamespace(cluster: Cluster, namespace: string): Promise<'existed' | 'created'> {
  try {
    if (await unlessNotFound(cluster.core.readNamespace({ name: namespace }))) return 'existed';
  } catch (error) {
    // Reading namespaces is often forbidden to namespace-scoped users; access checks decide then.
    if (statusOf(error) === 403) return 'existed';
    throw new ClusterError(`namespace/${namespace}`, `could not be read: ${apiMessage(error)}`);
  }
  try {
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
    return 'created';
  } catch (error) {
    if (statusOf(error) === 409) return 'existed';
    throw new ClusterError(
      `namespace/${namespace}`,
      `does not exist and could not be created: ${apiMessage(error)}. Create it, or grant create on namespaces.`,
    );
  }
}

/** Asks the API server (SelfSubjectAccessReview) for each verb (on each named object); fails listing every denied one. */
export async function checkAccess(cluster: Cluster, namespace: string, needs: AccessNeed[]): Promise<void> {
  const checks = needs.flatMap((need) =>
    need.verbs.flatMap((verb) => (need.names ?? [undefined]).map((name) => ({ ...need, verb, name }))),
  );
  const answers = await Promise.all(
    checks.map(async (check) => {
      const review = await cluster.authorization.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              namespace,
              group: check.group,
              resource: check.resource,
              ...(check.subresource !== undefined ? { subresource: check.subresource } : {}),
              verb: check.verb,
              ...(check.name !== undefined ? { name: check.name } : {}),
            },
          },
        },
      });
      return { check, allowed: review.status?.allowed === true };
    }),
  );
  const denied = answers.filter((answer) => !answer.allowed).map(({ check }) => check);
  if (denied.length > 0) {
    const list = denied
      .map(
        (d) =>
          `${d.verb} ${d.group === '' ? '' : `${d.group}/`}${d.resource}${d.subresource !== undefined ? `/${d.subresource}` : ''}${d.name !== undefined ? ` ${d.name}` : ''}`,
      )
      .join(', ');
    throw new ClusterError(
      `namespace/${namespace}`,
      `the kubeconfig's user may not: ${list}. Grant these in a Role bound to it (examples/rbac has one).`,
    );
  }
}

export interface GpuCapacity {
  resource: string;
  /** Allocatable on nodes that match the selector. */
  allocatable: number;
  /** Requested by other pods not yet finished on those nodes. */
  requested: number;
  /** Held on those nodes by the pods this deploy replaces (`ours`), so free for it to reuse. */
  heldByTarget: number;
  free: number;
  nodes: string[];
}

/**
 * The pods a deploy replaces in place: their GPUs come back to it. A canary left by a killed
 * attempt of the same target is one; the re-run applies over it rather than beside it.
 */
export interface OwnPods {
  namespace: string;
  labels: Record<string, string>;
}

function isOwn(pod: V1Pod, own: OwnPods | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (
    own !== undefined &&
    pod.metadata?.namespace === own.namespace &&
    Object.entries(own.labels).every(([key, value]) => labels[key] === value) &&
    // A preview's pods carry every label of the production target's, and one more.
    labels[LABELS.preview] === own.labels[LABELS.preview]
  );
}

/** Units of a resource as the API server writes them (`4`, `2k`); none when absent or unreadable. */
function quantity(value: string | undefined): number {
  return (value === undefined ? undefined : parseQuantity(value)) ?? 0;
}

/** Pure: free units of an extended resource on the nodes matching a selector, `own` pods' counted as free. */
export function gpuCapacity(
  nodes: V1Node[],
  pods: V1Pod[],
  resource: string,
  nodeSelector: Record<string, string>,
  own?: OwnPods,
): GpuCapacity {
  const matching = nodes.filter(
    (node) =>
      quantity(node.status?.allocatable?.[resource]) > 0 &&
      node.spec?.unschedulable !== true &&
      Object.entries(nodeSelector).every(([key, value]) => node.metadata?.labels?.[key] === value),
  );
  const names = new Set(matching.map((node) => node.metadata?.name ?? ''));
  const allocatable = matching.reduce((sum, node) => sum + quantity(node.status?.allocatable?.[resource]), 0);
  const holding = pods.filter(
    (pod) =>
      names.has(pod.spec?.nodeName ?? '') && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''),
  );
  const units = (list: V1Pod[]): number =>
    list
      .flatMap((pod) => pod.spec?.containers ?? [])
      .reduce(
        (sum, c) => sum + quantity(c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource]),
        0,
      );
  const requested = units(holding.filter((pod) => !isOwn(pod, own)));
  const heldByTarget = units(holding.filter((pod) => isOwn(pod, own)));
  return { resource, allocatable, requested, heldByTarget, free: allocatable - requested, nodes: [...names] };
}

/**
 * Enough free units of `resource` for `needed`, on nodes matching the selector (and stable's GPU
 * product when pinned), counting what the `own` pods hold as free. Listing nodes needs cluster-wide
 * read access: without it the check is skipped with a warning rather than failing a user whose
 * Role is namespace-scoped.
 */
export async function checkGpuCapacity(
  cluster: Cluster,
  resource: string,
  needed: number,
  nodeSelector: Record<string, string>,
  warn: (line: string) => void,
  own?: OwnPods,
): Promise<GpuCapacity | undefined> {
  if (needed <= 0) return undefined;
  const capacity = await readGpuCapacity(cluster, resource, nodeSelector, warn, own);
  if (capacity === undefined) return undefined;
  if (capacity.free < needed)
    throw new ClusterError(resource, capacityShortfall(capacity, needed, nodeSelector));
  return capacity;
}

/** Pure: why `needed` units do not fit in `capacity`, naming the nodes and what holds their GPUs. */
export function capacityShortfall(
  capacity: GpuCapacity,
  needed: number,
  nodeSelector: Record<string, string>,
): string {
  const selector = Object.entries(nodeSelector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return (
    `${needed} needed but only ${Math.max(0, capacity.free)} free (${capacity.allocatable} allocatable, ` +
    `${capacity.requested} requested by other pods` +
    `${capacity.heldByTarget > 0 ? `, ${capacity.heldByTarget} held by this target's own pods and counted free` : ''}) on ${capacity.nodes.length} node(s)` +
    `${selector ? ` matching ${selector}` : ''}${capacity.nodes.length === 0 ? ` (no node offers ${capacity.resource})` : ''}`
  );
}

/**
 * Free units of `resource` on the nodes matching the selector, the `own` pods' counted as free;
 * undefined, with a warning, when the user may not list nodes and pods cluster-wide.
 */
export async function readGpuCapacity(
  cluster: Cluster,
  resource: string,
  nodeSelector: Record<string, string>,
  warn: (line: string) => void,
  own?: OwnPods,
): Promise<GpuCapacity | undefined> {
  let nodes: V1Node[];
  let pods: V1Pod[];
  try {
    nodes = (await cluster.core.listNode()).items;
    pods = (
      await cluster.core.listPodForAllNamespaces({
        fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      })
    ).items;
  } catch (error) {
    if (statusOf(error) === 403) {
      warn(`Cannot list nodes and pods cluster-wide, so free ${resource} was not checked before deploying.`);
      return undefined;
    }
    throw new ClusterError('nodes', `could not be listed: ${apiMessage(error)}`);
  }
  return gpuCapacity(nodes, pods, resource, nodeSelector, own);
}

/** The `nvidia.com/gpu.product` label of the nodes stable's pods run on, when they share one. */
export async function stableGpuProduct(
  cluster: Cluster,
  namespace: string,
  podSelector: string,
): Promise<string | undefined> {
  const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: podSelector })).items;
  const nodeNames = [...new Set(pods.map((pod) => pod.spec?.nodeName).filter((n): n is string => !!n))];
  const products = new Set<string>();
  for (const nodeName of nodeNames) {
    const node = await unlessNotFound(cluster.core.readNode({ name: nodeName })).catch(() => undefined);
    const product = node?.metadata?.labels?.[GPU_PRODUCT_LABEL];
    if (product !== undefined) products.add(product);
  }
  return products.size === 1 ? [...products][0] : undefined;
}
