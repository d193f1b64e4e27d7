/**
 * examples/rbac/model-canary.yaml against the real API server's RBAC: applied in a fresh
 * namespace, then, as the ServiceAccount (a token from the TokenRequest API), every verb the action
 * uses must be allowed (on the target's objects by name) and a sample of everything else denied —
 * other objects of the namespace and pods cluster-wide among them — asked of the API server with
 * SelfSubjectAccessReview, the same check the action's preflight makes, and confirmed with real calls.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { rolloutAccessNeeds } from '../../src/kube/preflight.ts';
import { pullSecretName } from '../../src/kube/pull-secret.ts';
import { objectNames } from '../../src/plan.ts';
import { createTestNamespace, deleteTestNamespace, REPO_ROOT, requireLocalCluster } from './local-cluster.ts';

const EXAMPLE = join(REPO_ROOT, 'examples/rbac/model-canary.yaml');
const EXAMPLE_NAMESPACE = 'ml-serving';

interface Access {
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  /** The object's name, for verbs the Role grants on named objects only. */
  name?: string;
  /** Cluster-scoped question (nodes, or pods in every namespace). */
  clusterWide?: boolean;
}

/** The example's target (input name) and the names of its objects. */
const OBJECTS = objectNames('resnet');
const named = (group: string, resource: string, verbs: string[], names: string[]): Access[] =>
  verbs.flatMap((verb) => names.map((name) => ({ group, resource, verb, name })));

/** What the action does in its namespace, stage by stage (see the comments in the example). */
const NEEDED: Access[] = [
  ...named(
    'apps',
    'deployments',
    ['get', 'watch', 'patch', 'delete'],
    [OBJECTS.stableDeployment, OBJECTS.canaryDeployment],
  ),
  ...['create', 'list'].map((verb) => ({ group: 'apps', resource: 'deployments', verb })),
  // gpu-budget resizes each arm through its scale subresource.
  ...[OBJECTS.stableDeployment, OBJECTS.canaryDeployment].map((name) => ({
    group: 'apps',
    resource: 'deployments',
    subresource: 'scale',
    verb: 'update',
    name,
  })),
  // An autoscaler of stable owns its replicas: found by listing (src/kube/autoscaler.ts).
  { group: 'autoscaling', resource: 'horizontalpodautoscalers', verb: 'list' },
  { group: 'keda.sh', resource: 'scaledobjects', verb: 'list' },
  ...named(
    '',
    'services',
    ['get', 'patch', 'delete'],
    [OBJECTS.service, OBJECTS.stableService, OBJECTS.canaryService],
  ),
  ...['create', 'list'].map((verb) => ({ group: '', resource: 'services', verb })),
  ...['get', 'create'].map((verb) => ({ group: '', resource: 'services', subresource: 'proxy', verb })),
  ...['get', 'list', 'watch'].map((verb) => ({ group: '', resource: 'pods', verb })),
  ...named('coordination.k8s.io', 'leases', ['get', 'update', 'delete'], [OBJECTS.lease]),
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'create' },
  ...named('gateway.networking.k8s.io', 'httproutes', ['get', 'patch'], ['resnet']),
  { group: 'gateway.networking.k8s.io', resource: 'httproutes', verb: 'list' },
  // The target's PodMonitor where the Prometheus Operator runs (docs/metrics.md).
  ...named('monitoring.coreos.com', 'podmonitors', ['get', 'patch', 'delete'], [OBJECTS.service]),
  ...['create', 'list'].map((verb) => ({ group: 'monitoring.coreos.com', resource: 'podmonitors', verb })),
  // The image pull Secret made when the registry refuses anonymous pulls (src/kube/pull-secret.ts).
  ...named('', 'secrets', ['get', 'patch', 'delete'], [pullSecretName({ target: 'resnet' })]),
  { group: '', resource: 'secrets', verb: 'create' },
  // GPU product of stable's nodes (optional ClusterRole): nodes, read-only.
  { group: '', resource: 'nodes', verb: 'list', clusterWide: true },
  { group: '', resource: 'nodes', verb: 'get', clusterWide: true },
  // Every authenticated user may ask what it may do (system:basic-user); the preflight relies on it.
  { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', verb: 'create', clusterWide: true },
];

/** A sample of what the action never does and so must not be able to do. */
const DENIED: Access[] = [
  { group: '', resource: 'namespaces', verb: 'delete', clusterWide: true },
  { group: '', resource: 'namespaces', verb: 'create', clusterWide: true },
  { group: '', resource: 'secrets', verb: 'get' },
  { group: '', resource: 'secrets', verb: 'list' },
  { group: '', resource: 'configmaps', verb: 'create' },
  { group: '', resource: 'pods', verb: 'create' },
  { group: '', resource: 'pods', verb: 'delete' },
  { group: '', resource: 'pods', subresource: 'exec', verb: 'create' },
  { group: '', resource: 'pods', subresource: 'log', verb: 'get' },
  { group: '', resource: 'services', verb: 'update' },
  { group: 'apps', resource: 'deployments', verb: 'update' },
  { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'update', name: 'someone-elses' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers', verb: 'patch' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers', verb: 'get' },
  { group: 'keda.sh', resource: 'scaledobjects', verb: 'patch' },
  { group: 'apps', resource: 'deployments', verb: 'deletecollection' },
  { group: 'apps', resource: 'daemonsets', verb: 'create' },
  { group: 'apps', resource: 'statefulsets', verb: 'patch' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'patch' },
  { group: 'gateway.networking.k8s.io', resource: 'httproutes', verb: 'delete' },
  { group: 'gateway.networking.k8s.io', resource: 'gateways', verb: 'patch' },
  { group: 'rbac.authorization.k8s.io', resource: 'roles', verb: 'create' },
  { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'bind', clusterWide: true },
  { group: '', resource: 'nodes', verb: 'patch', clusterWide: true },
  { group: '', resource: 'nodes', verb: 'delete', clusterWide: true },
  { group: '', resource: 'serviceaccounts', subresource: 'token', verb: 'create' },
  { group: 'apps', resource: 'deployments', verb: 'list', clusterWide: true },
  // Nothing of the namespace that is not the target's, and no pod list anywhere else.
  { group: 'apps', resource: 'deployments', verb: 'patch', name: 'someone-elses' },
  { group: 'apps', resource: 'deployments', verb: 'delete', name: 'someone-elses' },
  { group: '', resource: 'services', verb: 'delete', name: 'someone-elses' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', name: 'someone-elses' },
  { group: 'gateway.networking.k8s.io', resource: 'httproutes', verb: 'patch', name: 'someone-elses' },
  { group: '', resource: 'pods', verb: 'list', clusterWide: true },
];

function describeAccess(access: Access): string {
  const resource = `${access.group === '' ? '' : `${access.group}/`}${access.resource}${access.subresource ? `/${access.subresource}` : ''}`;
  return `${access.verb} ${resource}${access.name !== undefined ? ` ${access.name}` : ''}${access.clusterWide ? ' (cluster-wide)' : ''}`;
}

/** The example's objects, moved into `namespace`; cluster-scoped names get the namespace as suffix. */
function exampleObjects(namespace: string): KubernetesObject[] {
  const text = readFileSync(EXAMPLE, 'utf8');
  return parseAllDocuments(text).map((document) => {
    const object = document.toJS() as KubernetesObject & {
      subjects?: { namespace?: string }[];
      roleRef?: { kind: string; name: string };
    };
    const clusterScoped = object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding';
    if (clusterScoped) object.metadata!.name = `${object.metadata!.name}-${namespace}`;
    else object.metadata!.namespace = namespace;
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
    if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = `${object.roleRef.name}-${namespace}`;
    return object;
  });
}

describe('examples/rbac: least privilege on the real API server', () => {
  let admin: KubeConfig;
  let namespace: string;
  let serviceAccount: KubeConfig;
  const clusterScopedNames: { kind: string; name: string }[] = [];

  beforeAll(async () => {
    admin = await requireLocalCluster();
    namespace = await createTestNamespace(admin, 'rbac');
    const objects = KubernetesObjectApi.makeApiClient(admin);
    for (const object of exampleObjects(namespace)) {
      await objects.create(object);
      if (object.metadata?.namespace === undefined) {
        clusterScopedNames.push({ kind: object.kind!, name: object.metadata!.name! });
      }
    }
    const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: 'model-canary',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = admin.getCurrentCluster()!;
    serviceAccount = new KubeConfig();
    serviceAccount.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'model-canary', token: token.status!.token }],
      contexts: [{ name: 'model-canary', cluster: cluster.name, user: 'model-canary', namespace }],
      currentContext: 'model-canary',
    });
  });

  afterAll(async () => {
    const rbac = admin?.makeApiClient(RbacAuthorizationV1Api);
    for (const { kind, name } of clusterScopedNames) {
      if (kind === 'ClusterRole') await rbac?.deleteClusterRole({ name }).catch(() => undefined);
      else await rbac?.deleteClusterRoleBinding({ name }).catch(() => undefined);
    }
    if (namespace) await deleteTestNamespace(admin, namespace);
  });

  async function allowed(access: Access): Promise<boolean> {
    const review = await serviceAccount.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            group: access.group,
            resource: access.resource,
            verb: access.verb,
            ...(access.subresource !== undefined ? { subresource: access.subresource } : {}),
            ...(access.name !== undefined ? { name: access.name } : {}),
            ...(access.clusterWide ? {} : { namespace }),
          },
        },
      },
    });
    return review.status?.allowed === true;
  }

  it('the API server knows us as the ServiceAccount', async () => {
    // Guards the rest: were the token the admin's, every "denied" below would fail loudly instead.
    const review = await serviceAccount
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:model-canary`);
  });

  it('allows every verb the action uses', async () => {
    const answers = await Promise.all(
      NEEDED.map(async (access) => [describeAccess(access), await allowed(access)]),
    );
    expect(answers.filter(([, ok]) => !ok).map(([what]) => what)).toEqual([]);
  });

  it('denies what the action never does', async () => {
    const answers = await Promise.all(
      DENIED.map(async (access) => [describeAccess(access), await allowed(access)]),
    );
    expect(answers.filter(([, ok]) => ok).map(([what]) => what)).toEqual([]);
  });

  it('grants no more verbs on the action resources than it uses (rules review)', async () => {
    const review = await serviceAccount.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({
      body: { spec: { namespace } },
    });
    const granted = new Set<string>();
    for (const rule of review.status?.resourceRules ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) granted.add(`${verb} ${group === '' ? '' : `${group}/`}${resource}`);
        }
      }
    }
    // Default grants to every authenticated user (discovery, self reviews) are not ours to judge.
    const ours = [...granted].filter((rule) => !/selfsubject|tokenreviews|subjectaccessreviews/.test(rule));
    const needed = new Set(
      NEEDED.filter((a) => !a.clusterWide || a.resource !== 'selfsubjectaccessreviews').map(
        (access) =>
          `${access.verb} ${access.group === '' ? '' : `${access.group}/`}${access.resource}${access.subresource ? `/${access.subresource}` : ''}`,
      ),
    );
    expect(ours).toEqual(
      expect.arrayContaining([
        'patch apps/deployments',
        'create services/proxy',
        'update coordination.k8s.io/leases',
      ]),
    );
    expect(ours.filter((rule) => !needed.has(rule)).sort()).toEqual([]);
  });

  it("covers every verb the action's own preflight asks for", () => {
    const preflight = rolloutAccessNeeds({ kind: 'gateway-api', route: 'resnet' }, OBJECTS).flatMap((need) =>
      need.verbs.flatMap((verb) =>
        (need.names ?? [undefined]).map((name) =>
          describeAccess({
            group: need.group,
            resource: need.resource,
            ...(need.subresource !== undefined ? { subresource: need.subresource } : {}),
            verb,
            ...(name !== undefined ? { name } : {}),
          }),
        ),
      ),
    );
    const needed = new Set(NEEDED.map(describeAccess));
    expect(preflight.filter((what) => !needed.has(what))).toEqual([]);
  });

  it('works for real calls: a Lease is created and pods listed, a Secret read is refused', async () => {
    const lease = await serviceAccount.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace,
      body: { metadata: { name: 'model-canary-rbac-probe' }, spec: { holderIdentity: 'rbac-test' } },
    });
    expect(lease.metadata?.name).toBe('model-canary-rbac-probe');
    const core = serviceAccount.makeApiClient(CoreV1Api);
    await expect(core.listNamespacedPod({ namespace })).resolves.toBeDefined();
    await expect(core.listNode()).resolves.toBeDefined();
    await expect(core.listPodForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
    await expect(core.deleteNamespace({ name: namespace })).rejects.toMatchObject({ code: 403 });
  });

  it('is written for one namespace the user replaces', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const namespaces = [...text.matchAll(/namespace: (\S+)/g)].map((m) => m[1]);
    expect(new Set(namespaces)).toEqual(new Set([EXAMPLE_NAMESPACE]));
  });
});
