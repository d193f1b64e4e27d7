/**
 * Two runs on one target never interleave: each takes the target's Lease before changing
 * anything, so one run's changes all come before the other's. A run that cannot get the Lease in
 * time fails naming the holder; a stale Lease, or one held by an earlier attempt of the same
 * workflow run, is taken over at once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ClusterError } from '../../src/errors.ts';
import { statusOf } from '../../src/kube/cluster.ts';
import { acquireLease } from '../../src/kube/lease.ts';
import { runIdentity } from '../../src/kube/manifests.ts';
import { deployCanary, promoteCanary, type RolloutChange } from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'rollout-lease');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

interface RunLog {
  holder: string;
  holderSeenAfterAcquire: string | undefined;
  changes: RolloutChange[];
}

/** One whole run as the stages do it: Lease, deploy, promote, release. */
async function wholeRun(runId: number, image: string): Promise<RunLog> {
  const settings = fixtureSettings({ namespace, name: 'shared' }, runId);
  const ctx = recordedContext(config, settings);
  const holder = runIdentity(settings.run);
  const lease = await acquireLease(ctx.cluster, {
    namespace,
    name: ctx.plan.objects.lease,
    holder,
    waitSeconds: 240,
    durationSeconds: 15,
  });
  const seen = await ctx.cluster.coordination.readNamespacedLease({
    name: ctx.plan.objects.lease,
    namespace,
  });
  try {
    await promoteCanary(ctx, await deployCanary(ctx, image));
  } finally {
    await lease.release();
  }
  return { holder, holderSeenAfterAcquire: seen.spec?.holderIdentity, changes: ctx.changes };
}

describe('the Lease on a target', () => {
  it('keeps two runs started together from interleaving', async () => {
    const [a, b] = await Promise.all([wholeRun(101, v1.reference), wholeRun(102, v2.reference)]);
    expect(a.holderSeenAfterAcquire).toBe(a.holder);
    expect(b.holderSeenAfterAcquire).toBe(b.holder);
    expect(a.changes.length).toBeGreaterThan(0);
    expect(b.changes.length).toBeGreaterThan(0);
    const [first, second] = a.changes[0]!.at < b.changes[0]!.at ? [a, b] : [b, a];
    // Every change of the second run comes after the last change of the first.
    expect(second.changes[0]!.at).toBeGreaterThanOrEqual(first.changes.at(-1)!.at);
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: 'shared' }));
    const stable = await ctx.cluster.apps.readNamespacedDeployment({ name: 'shared', namespace });
    // The run that went second promoted its image over the first's.
    const expected = second === b ? v2.pinned : v1.pinned;
    expect(stable.spec!.template.spec!.containers[0]!.image).toBe(expected);
    await expect(
      ctx.cluster.coordination.readNamespacedLease({ name: ctx.plan.objects.lease, namespace }),
    ).rejects.toMatchObject({ status: 404 });
  }, 300_000);

  it('fails a run that waited its bound, naming the holder', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: 'held' }));
    const held = await acquireLease(ctx.cluster, {
      namespace,
      name: 'model-canary-held',
      holder: 'org/repo/7/1',
    });
    try {
      const started = Date.now();
      const failure = await acquireLease(ctx.cluster, {
        namespace,
        name: 'model-canary-held',
        holder: 'org/repo/8/1',
        waitSeconds: 3,
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ClusterError);
      expect((failure as Error).message).toMatch(/is held by org\/repo\/7\/1; waited 3s/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    } finally {
      await held.release();
    }
  }, 60_000);

  /**
   * Takes Lease `name` as org/repo/9/1, changes it behind the held copy (renewed by `holder`), then
   * releases it; the Lease as it is afterwards, or the error reading it.
   */
  async function releaseAfterChange(name: string, holder: string): Promise<unknown> {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name }));
    const where = { namespace, name: `model-canary-${name}` };
    const held = await acquireLease(ctx.cluster, { ...where, holder: 'org/repo/9/1' });
    const seen = await ctx.cluster.coordination.readNamespacedLease(where);
    await ctx.cluster.coordination.replaceNamespacedLease({
      ...where,
      body: { ...seen, spec: { ...seen.spec, holderIdentity: holder, renewTime: new V1MicroTime() } },
    });
    await held.release();
    return ctx.cluster.coordination.readNamespacedLease(where).catch((error: unknown) => error);
  }

  it('is deleted on release even when a renewal changed it behind our copy', async () => {
    // As a renewal whose answer the connection lost: the Lease changed, our copy did not see it.
    expect(statusOf(await releaseAfterChange('lost-answer', 'org/repo/9/1'))).toBe(404);
  }, 60_000);

  it('is left alone on release once another run holds it', async () => {
    const after = (await releaseAfterChange('taken-meanwhile', 'org/repo/11/1')) as V1Lease;
    expect(after.spec?.holderIdentity).toBe('org/repo/11/1');
  }, 60_000);

  it('takes over a stale Lease and one held by an earlier attempt of the same run', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: 'stale' }));
    const long = new V1MicroTime(Date.now() - 120_000);
    await ctx.cluster.coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'model-canary-stale' },
        spec: {
          holderIdentity: 'org/repo/1/1',
          leaseDurationSeconds: 2,
          acquireTime: long,
          renewTime: long,
        },
      },
    });
    // Expiry is judged by our own clock: the Lease is taken once it stayed unchanged for its
    // duration while we watched, however old its renewTime reads.
    const taken = await acquireLease(ctx.cluster, {
      namespace,
      name: 'model-canary-stale',
      holder: 'org/repo/2/1',
      waitSeconds: 10,
    });
    // An attempt 2 of run 2 does not wait for attempt 1's fresh Lease: that attempt is over.
    const started = Date.now();
    const retaken = await acquireLease(ctx.cluster, {
      namespace,
      name: 'model-canary-stale',
      holder: 'org/repo/2/2',
      waitSeconds: 5,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    const lease = await ctx.cluster.coordination.readNamespacedLease({
      name: 'model-canary-stale',
      namespace,
    });
    expect(lease.spec?.holderIdentity).toBe('org/repo/2/2');
    expect(lease.spec?.leaseTransitions).toBe(2);
    expect(taken.lostTo).toBeUndefined();
    await retaken.release();
    await taken.release();
  }, 60_000);
});
