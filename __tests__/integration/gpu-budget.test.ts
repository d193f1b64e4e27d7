/**
 * gpu-budget and autoscalers on the local cluster (one node, 4 fake nvidia.com/gpu): a stable of
 * 3 and then of 4 replicas × 1 GPU fills the node; canary steps 25,50 and the promotion must keep
 * the GPUs in use (sampled every second through the API, terminating pods counted) within what
 * stable held. A revert under shift must end with stable's replicas ready; a stable whose replicas
 * a HorizontalPodAutoscaler holds must keep that count, second by second, through a promotion.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../../src/kube/labels.ts';
import {
  deployCanary,
  promoteCanary,
  removeTarget,
  setCanaryWeight,
  undoChanges,
} from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import { freeGpus, gpusInUse, sampleGpus } from '../support/gpu-use.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  requireLocalCluster,
} from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;
const targets: string[] = [];

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'gpu-budget');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
}, 300_000);

afterEach(async () => {
  // Each case fills the node on its own: what the last one ran goes, and its GPUs come back.
  for (const name of targets.splice(0)) {
    await removeTarget(recordedContext(config, fixtureSettings({ namespace, name })));
  }
  await eventually('the GPUs of the last case to be free', 120, async () =>
    (await gpusInUse(config, namespace)) === 0 ? true : undefined,
  );
}, 180_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** How long the node may take to give back GPUs an earlier test's deleted namespace still holds. */
const FREE_NODE_WAIT_MS = 150_000;

/**
 * The node's 4 GPUs must all be free: another test's pods would make every figure here wrong. A
 * test that ran just before may still be deleting its namespace (its pods terminating hold their
 * GPUs), so this waits for them first, and fails naming the holders only if they stay.
 */
async function requireFreeNode(): Promise<void> {
  const deadline = Date.now() + FREE_NODE_WAIT_MS;
  for (;;) {
    const { free, holders } = await freeGpus(config);
    if (free >= 4) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${4 - free} of the node's GPUs are still held by ${holders.join(', ')} after ${FREE_NODE_WAIT_MS / 1000} s; free them first`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** A stable of `replicas` × 1 GPU running v1, deployed as a first version. */
async function stableOf(name: string, replicas: number): Promise<void> {
  targets.push(name);
  const first = recordedContext(config, fixtureSettings({ namespace, name, replicas: String(replicas) }));
  await promoteCanary(first, await deployCanary(first, v1.reference));
}

async function stableDeployment(name: string) {
  return config.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name });
}

describe('gpu-budget on a node whose GPUs stable fills', () => {
  it.each([3, 4])(
    'stable of %i replicas: steps 25,50 and the promotion stay within its GPUs (auto picks shift)',
    async (replicas) => {
      await requireFreeNode();
      const name = `fill-${replicas}`;
      await stableOf(name, replicas);
      const settings = fixtureSettings({
        namespace,
        name,
        replicas: String(replicas),
        'canary-steps': '25,50',
      });
      const ctx = recordedContext(config, settings);
      const sampler = sampleGpus(config, namespace);
      let samples: number[];
      try {
        let canary = await deployCanary(ctx, v2.reference);
        canary = await setCanaryWeight(ctx, canary, 50);
        expect(canary.budget).toMatchObject({
          mode: 'shift',
          stableReplicas: replicas,
          replicaSlots: replicas,
        });
        expect(canary.stableReplicas + canary.canaryReplicas).toBe(replicas);
        await promoteCanary(ctx, canary);
      } finally {
        samples = await sampler.stop();
      }
      process.stdout.write(`GPUs in use, one sample a second (budget ${replicas}): ${samples.join(' ')}\n`);
      expect(samples.length).toBeGreaterThan(5);
      expect(Math.max(...samples)).toBeLessThanOrEqual(replicas);
      expect(ctx.lines.join('\n')).toMatch(/GPU budget shift: auto: \d GPU\(s\) free, \d needed/);
      const stable = await stableDeployment(name);
      expect(stable.spec!.template.spec!.containers[0]!.image).toBe(v2.pinned);
      expect(stable.spec!.replicas).toBe(replicas);
      expect(stable.status!.availableReplicas).toBe(replicas);
    },
    600_000,
  );

  it('a revert under shift ends with stable’s original replicas ready, within its GPUs', async () => {
    await requireFreeNode();
    const name = 'revert-shift';
    await stableOf(name, 4);
    const settings = fixtureSettings({
      namespace,
      name,
      replicas: '4',
      'canary-steps': '25,50',
      'gpu-budget': 'shift',
    });
    const ctx = recordedContext(config, settings);
    const sampler = sampleGpus(config, namespace);
    let samples: number[];
    try {
      const canary = await setCanaryWeight(ctx, await deployCanary(ctx, v2.reference), 50);
      expect({ stable: canary.stableReplicas, canary: canary.canaryReplicas }).toEqual({
        stable: 2,
        canary: 2,
      });
      await undoChanges(
        ctx,
        { namespace, target: name, changes: ['canary'], router: 'replicas' },
        'the test reverts at 50%',
      );
    } finally {
      samples = await sampler.stop();
    }
    expect(Math.max(...samples)).toBeLessThanOrEqual(4);
    const stable = await stableDeployment(name);
    expect(stable.spec!.template.spec!.containers[0]!.image).toBe(v1.reference);
    expect(stable.spec!.replicas).toBe(4);
    expect(stable.status!.availableReplicas).toBe(4);
    expect(ctx.lines.join('\n')).toMatch(/stable returns to the 4 replica\(s\) it had/);
    const canaries = await config.makeApiClient(AppsV1Api).listNamespacedDeployment({
      namespace,
      labelSelector: `model-canary.dev/target=${name},model-canary.dev/track=canary`,
    });
    expect(canaries.items).toEqual([]);
  }, 600_000);
});

describe('an autoscaler owns stable’s replicas', () => {
  it('an HPA holding 2 replicas keeps them, second by second, through steps and a promotion', async () => {
    await requireFreeNode();
    const name = 'hpa';
    await stableOf(name, 2);
    // min = max = 2: the HPA controller holds 2 replicas without any metrics API.
    await config.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'autoscaling',
      version: 'v2',
      namespace,
      plural: 'horizontalpodautoscalers',
      body: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'hpa-of-stable' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 2,
          maxReplicas: 2,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
    });
    // The input says 1: were it applied, stable would drop to 1 until the HPA put it back.
    const settings = fixtureSettings({ namespace, name, replicas: '1', 'canary-steps': '25,50' });
    const ctx = recordedContext(config, settings);
    const counts: number[] = [];
    const watch = setInterval(() => {
      // A read that fails is no sample (the API server was busy), not a count.
      void stableDeployment(name).then(
        (d) => counts.push(d.spec!.replicas ?? -1),
        () => undefined,
      );
    }, 1000);
    try {
      let canary = await deployCanary(ctx, v2.reference);
      expect(canary.budget).toMatchObject({
        mode: 'spare',
        autoscaler: { kind: 'HorizontalPodAutoscaler', name: 'hpa-of-stable' },
      });
      // Sized from the autoscaler's 2 replicas: 25% and 50% of 2 are one pod each.
      expect(canary.canaryReplicas).toBe(1);
      canary = await setCanaryWeight(ctx, canary, 50);
      await promoteCanary(ctx, canary);
      // Long enough for the HPA controller (15 s sync) to have put back a count we changed.
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    } finally {
      clearInterval(watch);
    }
    expect(counts.length).toBeGreaterThan(10);
    expect([...new Set(counts)]).toEqual([2]);
    expect(ctx.lines.join('\n')).toMatch(/HorizontalPodAutoscaler .*\/hpa-of-stable owns stable's replicas/);
    const stable = await stableDeployment(name);
    expect(stable.spec!.template.spec!.containers[0]!.image).toBe(v2.pinned);
    expect(stable.status!.availableReplicas).toBe(2);
    // Our apply no longer owns the field: the autoscaler's writes are never fought.
    const ours = stable.metadata!.managedFields!.filter(
      (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply',
    );
    expect(ours.some((f) => JSON.stringify(f.fieldsV1).includes('"f:replicas"'))).toBe(false);
  }, 600_000);
});
