/**
 * A coordination.k8s.io Lease per target, so two workflow runs never change one target at the
 * same time. The holder is the workflow run (`repository/runId/attempt`); the lease is renewed
 * while we work, a second run waits up to a bound and then fails naming the holder, and a lease
 * whose holder stopped renewing (past its duration) is taken over. A later attempt of the same
 * run takes over at once: GitHub never runs two attempts of one run together.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { apiMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import { LABELS, MANAGED_BY_VALUE } from './labels.ts';

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** `repository/runId/attempt`. */
  holder: string;
  labels?: Record<string, string>;
  /** How long the lease stays ours without renewal. */
  durationSeconds?: number;
  /** How long to wait for another holder before failing. */
  waitSeconds?: number;
  log?: (line: string) => void;
}

export interface HeldLease {
  readonly holder: string;
  /** Set when a renewal found the lease taken: whoever holds it now. */
  readonly lostTo: string | undefined;
  /** Stops renewing and deletes the lease if it is still ours. */
  release(): Promise<void>;
}

const DEFAULT_DURATION_SECONDS = 30;
const DEFAULT_WAIT_SECONDS = 600;
const RETRY_MS = 1000;

/** Pure: the lease is free for `holder` at time `now` (no holder, ours, expired, or an earlier attempt of our run). */
export function leaseAvailable(lease: V1Lease, holder: string, now: number): boolean {
  const current = lease.spec?.holderIdentity ?? '';
  if (current === '' || current === holder) return true;
  if (sameRunEarlierAttempt(current, holder)) return true;
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const duration = lease.spec?.leaseDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  return renewed === undefined || new Date(renewed).getTime() + duration * 1000 < now;
}

/** Pure: `a` is `repo/run/n`, `b` is `repo/run/m` with m > n. */
export function sameRunEarlierAttempt(a: string, b: string): boolean {
  const split = (id: string): [string, number] => {
    const slash = id.lastIndexOf('/');
    return [id.slice(0, slash), Number(id.slice(slash + 1))];
  };
  const [runA, attemptA] = split(a);
  const [runB, attemptB] = split(b);
  return runA === runB && Number.isFinite(attemptA) && Number.isFinite(attemptB) && attemptA < attemptB;
}

/** Takes the target's Lease, waiting for another holder up to the bound; renews it until released. */
export async function acquireLease(cluster: Cluster, options: LeaseOptions): Promise<HeldLease> {
  const duration = options.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  const waitUntil = Date.now() + (options.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
  const log = options.log ?? (() => undefined);
  const { namespace, name, holder } = options;
  const where = `Lease ${namespace}/${name}`;
  let announced = '';
  for (;;) {
    const existing = await unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
    const now = new V1MicroTime();
    try {
      if (existing === undefined) {
        const created = await cluster.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: {
              name,
              namespace,
              labels: { ...options.labels, [LABELS.managedBy]: MANAGED_BY_VALUE },
            },
            spec: {
              holderIdentity: holder,
              leaseDurationSeconds: duration,
              acquireTime: now,
              renewTime: now,
            },
          },
        });
        return renew(cluster, created, duration, log);
      }
      if (leaseAvailable(existing, holder, now.getTime())) {
        const previous = existing.spec?.holderIdentity ?? '';
        const taken = await cluster.coordination.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...existing,
            spec: {
              ...existing.spec,
              holderIdentity: holder,
              leaseDurationSeconds: duration,
              acquireTime: previous === holder ? (existing.spec?.acquireTime ?? now) : now,
              renewTime: now,
              leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + (previous === holder ? 0 : 1),
            },
          },
        });
        if (previous !== '' && previous !== holder)
          log(`${where}: took over from ${previous} (expired or an earlier attempt)`);
        return renew(cluster, taken, duration, log);
      }
    } catch (error) {
      // 409: another run created or updated the lease between our read and write; read again.
      if (statusOf(error) !== 409) throw new ClusterError(where, `could not be taken: ${apiMessage(error)}`);
    }
    const other = existing?.spec?.holderIdentity ?? 'another run';
    if (Date.now() >= waitUntil) {
      throw new ClusterError(
        where,
        `is held by ${other}; waited ${options.waitSeconds ?? DEFAULT_WAIT_SECONDS}s for it. Another run is ` +
          'deploying this target; re-run when it has finished.',
      );
    }
    if (announced !== other) {
      log(
        `${where} is held by ${other}; waiting for it (up to ${options.waitSeconds ?? DEFAULT_WAIT_SECONDS}s)`,
      );
      announced = other;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function renew(cluster: Cluster, lease: V1Lease, duration: number, log: (line: string) => void): HeldLease {
  let current = lease;
  let lostTo: string | undefined;
  const name = lease.metadata!.name!;
  const namespace = lease.metadata!.namespace!;
  const holder = lease.spec!.holderIdentity!;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = (async () => {
        try {
          current = await cluster.coordination.replaceNamespacedLease({
            name,
            namespace,
            body: { ...current, spec: { ...current.spec, renewTime: new V1MicroTime() } },
          });
        } catch (error) {
          const now = await unlessNotFound(
            cluster.coordination.readNamespacedLease({ name, namespace }),
          ).catch(() => undefined);
          if (now?.spec?.holderIdentity !== holder) {
            lostTo = now?.spec?.holderIdentity ?? 'nobody (deleted)';
            log(`Lease ${namespace}/${name} was lost to ${lostTo}: ${apiMessage(error)}`);
            clearInterval(timer);
          } else if (now !== undefined) current = now;
        }
      })();
    },
    Math.max(1000, (duration * 1000) / 3),
  );
  timer.unref();
  return {
    holder,
    get lostTo() {
      return lostTo;
    },
    async release() {
      clearInterval(timer);
      await renewing;
      if (lostTo !== undefined) return;
      try {
        await cluster.coordination.deleteNamespacedLease({
          name,
          namespace,
          body: { preconditions: { resourceVersion: current.metadata?.resourceVersion } },
        });
      } catch (error) {
        if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
      }
    },
  };
}
