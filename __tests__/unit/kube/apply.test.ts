/**
 * Ownership of what we apply and delete, against a stand-in API that records every request: only
 * objects with our managed-by label (or adopted) are forced or deleted, each pinned by its uid.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiException, type KubernetesObject, type V1DeleteOptions } from '@kubernetes/client-node';
import { ClusterError } from '../../../src/errors.ts';
import { applyObject, deleteObject } from '../../../src/kube/apply.ts';
import type { Cluster } from '../../../src/kube/cluster.ts';
import { LABELS, ownerLabels } from '../../../src/kube/labels.ts';
import { v2Serving } from '../../../src/kube/manifests.ts';
import {
  checkOwnership,
  removeCanary,
  removeTarget,
  type RolloutContext,
} from '../../../src/kube/rollout.ts';
import { fixtureSettings } from '../../fixtures/rollout/rollout-context.ts';
import { planRun } from '../../../src/plan.ts';

type Stored = KubernetesObject & { metadata: { name: string; namespace: string; uid: string } };

/** What a stand-in API server holds and what it was asked to do. */
function standInCluster(stored: Stored[]) {
  const patches: { body: KubernetesObject; force: boolean | undefined }[] = [];
  const deletes: { name: string; options: V1DeleteOptions | undefined }[] = [];
  const find = (kind: string | undefined, name: string) =>
    stored.find((object) => object.kind === kind && object.metadata.name === name);
  const notFound = () => new ApiException(404, 'not found', {}, {});
  /** `a=b,c=d` equality selectors, as the server applies them. */
  const matching = (kind: string, selector: string) =>
    stored.filter(
      (object) =>
        object.kind === kind &&
        selector.split(',').every((term) => {
          const [key, value] = term.split('=');
          return object.metadata.labels?.[key!] === value;
        }),
    );
  const cluster = {
    objects: {
      read: async (header: KubernetesObject) =>
        find(header.kind, header.metadata!.name!) ?? Promise.reject(notFound()),
      patch: async (body: KubernetesObject, _p: unknown, _d: unknown, _m: unknown, force?: boolean) => {
        patches.push({ body, force });
        return body;
      },
      delete: async (header: KubernetesObject, ...rest: unknown[]) => {
        deletes.push({ name: header.metadata!.name!, options: rest[5] as V1DeleteOptions | undefined });
        return {};
      },
    },
    apps: {
      readNamespacedDeployment: async ({ name }: { name: string }) =>
        find('Deployment', name) ?? Promise.reject(notFound()),
      listNamespacedDeployment: async ({ labelSelector }: { labelSelector: string }) => ({
        items: matching('Deployment', labelSelector),
      }),
    },
    core: {
      readNamespacedService: async ({ name }: { name: string }) =>
        find('Service', name) ?? Promise.reject(notFound()),
      listNamespacedService: async ({ labelSelector }: { labelSelector: string }) => ({
        items: matching('Service', labelSelector),
      }),
      readNamespacedSecret: async ({ name }: { name: string }) =>
        find('Secret', name) ?? Promise.reject(notFound()),
    },
  } as unknown as Cluster;
  return { cluster, patches, deletes };
}

const ours = (kind: string, name: string, uid: string, extra: Record<string, string> = {}): Stored => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  metadata: { name, namespace: 'ml', uid, labels: { ...ownerLabels('resnet'), ...extra } },
});
/** A Helm release's Deployment that carries our target label, as a copy-paste would. */
const helms = (kind: string, name: string, uid: string): Stored => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  metadata: {
    name,
    namespace: 'ml',
    uid,
    labels: { [LABELS.managedBy]: 'Helm', [LABELS.target]: 'resnet', [LABELS.track]: 'canary' },
  },
});
const kubectls = (kind: string, name: string, uid: string): Stored => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, namespace: 'ml', uid, managedFields: [{ manager: 'kubectl-client-side-apply' }] },
});
const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'resnet', namespace: 'ml', labels: ownerLabels('resnet') },
};

describe('applyObject', () => {
  it("stops on someone else's object of our name, naming its manager, and changes nothing", async () => {
    for (const [existing, manager] of [
      [helms('Service', 'resnet', 'u1'), '"Helm"'],
      [kubectls('Service', 'resnet', 'u1'), '"kubectl-client-side-apply"'],
    ] as const) {
      const { cluster, patches } = standInCluster([existing]);
      const failure = await applyObject(cluster, SERVICE).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ClusterError);
      expect((failure as Error).message).toContain(
        `Service ml/resnet: exists and is managed by ${manager}, not by model-canary`,
      );
      expect((failure as Error).message).toContain('adopt: true');
      expect(patches).toEqual([]);
    }
  });

  it('forces our fields onto our own object, pinned by its uid', async () => {
    const { cluster, patches } = standInCluster([ours('Service', 'resnet', 'uid-ours')]);
    await applyObject(cluster, SERVICE);
    expect(patches).toEqual([
      { body: { ...SERVICE, metadata: { ...SERVICE.metadata, uid: 'uid-ours' } }, force: true },
    ]);
  });

  it('takes over a foreign object with adopt, pinned by its uid; creates a new one without force', async () => {
    const adopted = standInCluster([helms('Service', 'resnet', 'uid-helm')]);
    await applyObject(adopted.cluster, SERVICE, { adopt: true });
    expect(adopted.patches[0]).toMatchObject({ body: { metadata: { uid: 'uid-helm' } }, force: true });
    const created = standInCluster([]);
    await applyObject(created.cluster, SERVICE);
    expect(created.patches).toEqual([{ body: SERVICE, force: false }]);
  });
});

describe('deleteObject', () => {
  it('deletes an object of ours with its uid as a precondition', async () => {
    const { cluster, deletes } = standInCluster([]);
    await deleteObject(cluster, ours('Deployment', 'resnet-canary', 'uid-7'));
    expect(deletes).toEqual([{ name: 'resnet-canary', options: { preconditions: { uid: 'uid-7' } } }]);
  });

  it('refuses an object without our label, or without the uid it was listed with', async () => {
    const { cluster, deletes } = standInCluster([]);
    await expect(deleteObject(cluster, helms('Deployment', 'resnet-canary', 'u'))).rejects.toThrow(
      /not deleted/,
    );
    const unlisted = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: ownerLabels('resnet') },
    };
    await expect(deleteObject(cluster, unlisted)).rejects.toThrow(/not deleted/);
    expect(deletes).toEqual([]);
  });
});

function contextOn(cluster: Cluster, inputs: Record<string, string> = {}): RolloutContext {
  const settings = fixtureSettings({ name: 'resnet', namespace: 'ml', ...inputs });
  return {
    cluster,
    plan: planRun(settings),
    settings,
    serving: v2Serving('resnet'),
    log: () => undefined,
    warn: () => undefined,
  };
}

describe('removing a target or its canary', () => {
  it("deletes only what carries our managed-by label, not a Helm object with our target's labels", async () => {
    const stored = [
      ours('Deployment', 'resnet', 'a', { [LABELS.track]: 'stable' }),
      ours('Deployment', 'resnet-canary', 'b', { [LABELS.track]: 'canary' }),
      ours('Service', 'resnet-canary', 'c', { [LABELS.track]: 'canary' }),
      helms('Deployment', 'helm-resnet', 'd'),
      helms('Service', 'helm-resnet', 'e'),
    ];
    const canary = standInCluster(stored);
    await removeCanary(contextOn(canary.cluster), { kind: 'replicas' });
    expect(canary.deletes.map((d) => d.name)).toEqual(['resnet-canary', 'resnet-canary']);
    const target = standInCluster(stored);
    await removeTarget(contextOn(target.cluster));
    expect(target.deletes.map((d) => d.name).sort()).toEqual(['resnet', 'resnet-canary', 'resnet-canary']);
    expect(target.deletes.every((d) => d.options?.preconditions?.uid !== undefined)).toBe(true);
  });
});

describe('checkOwnership', () => {
  it("refuses someone else's Deployment of our name as stable, unless adopt", async () => {
    const { cluster } = standInCluster([kubectls('Deployment', 'resnet', 'u')]);
    await expect(checkOwnership(contextOn(cluster))).rejects.toThrow(
      /Deployment ml\/resnet: exists and is managed by "kubectl-client-side-apply", not by model-canary/,
    );
    await expect(checkOwnership(contextOn(cluster, { adopt: 'true' }))).resolves.toBeUndefined();
    const mine = standInCluster([ours('Deployment', 'resnet', 'u'), ours('Service', 'resnet', 'v')]);
    await expect(checkOwnership(contextOn(mine.cluster))).resolves.toBeUndefined();
  });
});
