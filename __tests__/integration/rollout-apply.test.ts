/**
 * Server-side apply as field manager `model-canary` against the local API server: a conflict on
 * an object someone else owns stops with both names, a conflict on one of ours (edited by hand)
 * is taken back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from '../../src/errors.ts';
import { applyObject } from '../../src/kube/apply.ts';
import { Cluster } from '../../src/kube/cluster.ts';
import { FIELD_MANAGER } from '../../src/kube/labels.ts';
import { renderService, v2Serving } from '../../src/kube/manifests.ts';
import { planRun } from '../../src/plan.ts';
import { fixtureSettings } from '../fixtures/rollout/rollout-context.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let cluster: Cluster;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'rollout-apply');
  cluster = new Cluster({ config });
}, 60_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** Applies a Service's port 8080 as another field manager, the way `kubectl apply --server-side --force-conflicts` would. */
async function applyAs(
  manager: string,
  name: string,
  targetPort: number,
  labels: Record<string, string> = {},
) {
  await cluster.objects.patch(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: { ports: [{ name: 'http', port: 8080, targetPort, protocol: 'TCP' }] },
    },
    undefined,
    undefined,
    manager,
    true,
    PatchStrategy.ServerSideApply,
  );
}

describe('server-side apply with our field manager', () => {
  it("stops on someone else's object, naming it and its manager", async () => {
    await applyAs('platform-team', 'taken', 9000);
    const plan = planRun(fixtureSettings({ namespace, name: 'taken' }));
    const failure = await applyObject(
      cluster,
      renderService(plan, v2Serving('taken'), 'user', 'replicas'),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClusterError);
    expect((failure as ClusterError).object).toBe(`Service ${namespace}/taken`);
    expect((failure as Error).message).toMatch(/managed by "platform-team", not by model-canary/);
    const service = await cluster.core.readNamespacedService({ name: 'taken', namespace });
    expect(service.spec!.ports![0]!.targetPort).toBe(9000);
  });

  it('takes back the fields of our own object that someone edited by hand', async () => {
    const plan = planRun(fixtureSettings({ namespace, name: 'ours' }));
    const ours = renderService(plan, v2Serving('ours'), 'user', 'replicas');
    await applyObject(cluster, ours);
    await applyAs('kubectl-edit', 'ours', 9999, ours.metadata!.labels);
    const edited = await cluster.core.readNamespacedService({ name: 'ours', namespace });
    expect(edited.spec!.ports![0]!.targetPort).toBe(9999);
    await applyObject(cluster, ours);
    const service = await cluster.core.readNamespacedService({ name: 'ours', namespace });
    expect(service.spec!.ports![0]!.targetPort).toBe('http');
    expect(service.metadata!.managedFields!.some((field) => field.manager === FIELD_MANAGER)).toBe(true);
  });
});
