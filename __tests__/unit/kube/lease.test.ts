/**
 * Renewing the target's Lease against a stand-in coordination API whose answers a test scripts,
 * on jest's fake clock: failed renewals are retried with backoff, the lease is lost only when a
 * read shows another holder, and once it is not surely ours no change (an undo's included) is made.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { ClusterError } from '../../../src/errors.ts';
import type { Cluster } from '../../../src/kube/cluster.ts';
import { acquireLease, giveBackLease } from '../../../src/kube/lease.ts';
import { ANNOTATIONS } from '../../../src/kube/labels.ts';
import { v2Serving } from '../../../src/kube/manifests.ts';
import { openRolloutSession, orphanRecord } from '../../../src/kube/session.ts';
import { planRun } from '../../../src/plan.ts';
import { fixtureSettings } from '../../fixtures/rollout/rollout-context.ts';

type Answer = 'ok' | 'fail' | { holder: string };

/** A Lease store whose next replace and read answers are taken from the scripts (then `ok`). */
function standIn() {
  let stored: V1Lease | undefined;
  const script = { replace: [] as Answer[], read: [] as Answer[] };
  const calls = { replace: 0, read: 0, delete: 0 };
  const unavailable = () => new ApiException(503, 'unavailable', {}, {});
  const coordination = {
    readNamespacedLease: async () => {
      calls.read++;
      const answer = script.read.shift() ?? 'ok';
      if (answer === 'fail') throw unavailable();
      if (stored === undefined) throw new ApiException(404, 'not found', {}, {});
      return typeof answer === 'object'
        ? { ...stored, spec: { ...stored.spec, holderIdentity: answer.holder } }
        : stored;
    },
    createNamespacedLease: async ({ body }: { body: V1Lease }) =>
      (stored = { ...body, metadata: { ...body.metadata, resourceVersion: '1' } }),
    replaceNamespacedLease: async ({ body }: { body: V1Lease }) => {
      calls.replace++;
      const answer = script.replace.shift() ?? 'ok';
      if (answer === 'fail') throw unavailable();
      return (stored = body);
    },
    deleteNamespacedLease: async () => {
      calls.delete++;
      stored = undefined;
      return {};
    },
  };
  const pendingOnLease = () => stored?.metadata?.annotations?.[ANNOTATIONS.pending];
  return { cluster: { coordination, requests: 0 } as unknown as Cluster, script, calls, pendingOnLease };
}

const OPTIONS = { namespace: 'ml', name: 'model-canary-resnet', holder: 'o/r/1/1', durationSeconds: 3 };

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('renewing the Lease', () => {
  it('retries a failed renewal with backoff, and a failed read loses nothing', async () => {
    const { cluster, script, calls } = standIn();
    const lease = await acquireLease(cluster, OPTIONS);
    script.replace.push('fail', 'fail');
    script.read.push('fail', 'fail');
    // The renewal is due after a third of the duration; two retries follow at 200 and 400 ms.
    await jest.advanceTimersByTimeAsync(1000 + 200 + 400);
    expect(calls.replace).toBe(3);
    expect(lease.lostTo).toBeUndefined();
    expect(() => lease.assertHeld()).not.toThrow();
    await lease.release();
  });

  it('counts the lease lost only when a read that succeeded shows another holder', async () => {
    const { cluster, script } = standIn();
    const lease = await acquireLease(cluster, OPTIONS);
    script.replace.push('fail');
    script.read.push({ holder: 'o/r/2/1' });
    await jest.advanceTimersByTimeAsync(1000);
    expect(lease.lostTo).toBe('o/r/2/1');
    expect(() => lease.assertHeld()).toThrow(/Lease ml\/model-canary-resnet: was taken by o\/r\/2\/1/);
    await lease.release();
  });

  it('is no longer surely ours once no renewal succeeded for its duration', async () => {
    const { cluster, script } = standIn();
    const lease = await acquireLease(cluster, OPTIONS);
    script.replace.push(...Array<Answer>(40).fill('fail'));
    script.read.push(...Array<Answer>(40).fill('fail'));
    await jest.advanceTimersByTimeAsync(2500);
    expect(() => lease.assertHeld()).not.toThrow();
    await jest.advanceTimersByTimeAsync(1000);
    expect(lease.lostTo).toBeUndefined();
    expect(() => lease.assertHeld()).toThrow(/could not be renewed for \d+s \(its duration is 3s\)/);
    await lease.release();
  });
});

describe('a rollout session whose Lease is lost', () => {
  it('makes no change, an undo included', async () => {
    const { cluster, script } = standIn();
    const settings = fixtureSettings({ name: 'resnet', namespace: 'ml' });
    const session = await openRolloutSession({
      cluster,
      plan: planRun(settings),
      settings,
      serving: v2Serving('resnet'),
      holder: 'o/r/1/1',
      journal: () => undefined,
      log: () => undefined,
      warn: () => undefined,
    });
    await session.ctx.onChange!({ action: 'apply Deployment ml/resnet-canary', pending: 'canary', at: 0 });
    script.replace.push('fail');
    script.read.push({ holder: 'o/r/2/1' });
    // The default duration is 30 s: the renewal is due after 10 s.
    await jest.advanceTimersByTimeAsync(10_000);
    // The stand-in cluster has no Deployments API: any change the undo tried would fail otherwise.
    const undo = session.undo('the analysis failed');
    await expect(undo).rejects.toThrow(ClusterError);
    await expect(undo).rejects.toThrow(/was taken by o\/r\/2\/1/);
    expect(session.pending().changes).toEqual(['canary']);
    await session.close();
  });
});

describe('the record of pending changes on the Lease', () => {
  const sessionOn = (cluster: Cluster, journal: (record: unknown) => void = () => undefined) => {
    const settings = fixtureSettings({ name: 'resnet', namespace: 'ml' });
    return openRolloutSession({
      cluster,
      plan: planRun(settings),
      settings,
      serving: v2Serving('resnet'),
      holder: 'o/r/1/1',
      journal,
      log: () => undefined,
      warn: () => undefined,
    });
  };

  it('is written before each change, to the step state and then the Lease, and cleared when settled', async () => {
    const { cluster, pendingOnLease, calls } = standIn();
    const journal: unknown[] = [];
    const session = await sessionOn(cluster, (record) => journal.push(record));
    // Written empty before the Lease was asked for: a kill now still tells the post step to give it back.
    expect(journal).toEqual([expect.objectContaining({ changes: [], holder: 'o/r/1/1' })]);
    expect(pendingOnLease()).toBeUndefined();
    await session.ctx.onChange!({ action: 'apply Service ml/resnet-canary', pending: 'canary', at: 0 });
    const written = JSON.parse(pendingOnLease()!);
    expect(written).toMatchObject({
      namespace: 'ml',
      target: 'resnet',
      changes: ['canary'],
      holder: 'o/r/1/1',
    });
    expect(journal.at(-1)).toEqual(written);
    // A further scale step of the same canary adds nothing: no write.
    const writes = calls.replace;
    await session.ctx.onChange!({
      action: 'scale Deployment ml/resnet-canary to 2',
      pending: 'canary',
      at: 1,
    });
    expect(calls.replace).toBe(writes);
    await session.settle();
    expect(pendingOnLease()).toBeUndefined();
    expect(journal.at(-1)).toMatchObject({ changes: [] });
    await session.close();
    expect(calls.delete).toBe(1);
    expect(journal.at(-1)).toBeUndefined();
  });

  it('keeps the Lease, with its record, when the session closes with changes still pending', async () => {
    const { cluster, pendingOnLease, calls } = standIn();
    const journal: unknown[] = [];
    const session = await sessionOn(cluster, (record) => journal.push(record));
    await session.ctx.onChange!({ action: 'apply Deployment ml/resnet-canary', pending: 'canary', at: 0 });
    await session.close();
    expect(calls.delete).toBe(0);
    expect(JSON.parse(pendingOnLease()!).changes).toEqual(['canary']);
    // The step state keeps it too, for the post step.
    expect(journal.at(-1)).toMatchObject({ changes: ['canary'] });
  });

  it("is written again on a fresh copy after a conflict, and refused once the Lease is another run's", async () => {
    const { cluster, script, pendingOnLease } = standIn();
    const session = await sessionOn(cluster);
    script.replace.push('fail');
    await session.ctx.onChange!({ action: 'apply Deployment ml/resnet-canary', pending: 'canary', at: 0 });
    expect(JSON.parse(pendingOnLease()!).changes).toEqual(['canary']);

    script.replace.push('fail');
    script.read.push({ holder: 'o/r/2/1' });
    const change = session.ctx.onChange!({ action: 'apply Service ml/resnet', pending: 'promotion', at: 1 });
    await expect(change).rejects.toThrow(/Lease ml\/model-canary-resnet: was taken by o\/r\/2\/1/);
    // Not recorded, so not made: the record still says what was done.
    expect(session.pending().changes).toEqual(['canary']);
    await session.close();
  });
});

describe('a record an earlier run left on the Lease', () => {
  const LEASE = 'Lease ml/model-canary-resnet';
  const record = (holder: string, changes: string[]) =>
    JSON.stringify({ namespace: 'ml', target: 'resnet', changes, holder });

  it("is another run's unfinished work only when it names another holder and some change", () => {
    expect(
      orphanRecord({ inherited: record('o/r/1/1', ['canary', 'promotion']) }, 'o/r/2/1', LEASE),
    ).toMatchObject({
      holder: 'o/r/1/1',
      changes: ['canary', 'promotion'],
    });
    // An earlier attempt of the same run is another holder too: a re-run after SIGKILL recovers it.
    expect(orphanRecord({ inherited: record('o/r/1/1', ['first']) }, 'o/r/1/2', LEASE)?.changes).toEqual([
      'first',
    ]);
    expect(orphanRecord({ inherited: record('o/r/1/1', ['canary']) }, 'o/r/1/1', LEASE)).toBeUndefined();
    expect(orphanRecord({ inherited: record('o/r/1/1', []) }, 'o/r/2/1', LEASE)).toBeUndefined();
    expect(orphanRecord({ inherited: undefined }, 'o/r/2/1', LEASE)).toBeUndefined();
  });

  it('that cannot be read stops the run, naming the annotation', () => {
    expect(() => orphanRecord({ inherited: '{"changes": [' }, 'o/r/2/1', LEASE)).toThrow(
      /^Lease ml\/model-canary-resnet: .*model-canary\.dev\/pending.*delete the Lease/,
    );
  });
});

describe('giving back the Lease a killed main step held', () => {
  it('deletes it only while that step is its holder', async () => {
    const { cluster, calls } = standIn();
    const held = await acquireLease(cluster, OPTIONS);
    const target = { namespace: 'ml', name: 'model-canary-resnet' };
    expect(await giveBackLease(cluster, { ...target, holder: 'o/r/2/1' })).toBe(false);
    expect(calls.delete).toBe(0);
    expect(await giveBackLease(cluster, { ...target, holder: 'o/r/1/1' })).toBe(true);
    expect(calls.delete).toBe(1);
    // Gone now: nothing more to give back.
    expect(await giveBackLease(cluster, { ...target, holder: 'o/r/1/1' })).toBe(false);
    await held.release();
  });
});
