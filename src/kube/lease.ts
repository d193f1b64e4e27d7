/**
 * A coordination.k8s.io Lease per target, so two workflow runs never change one target at the
 * same time. The holder is the workflow run (`repository/runId/attempt`); the lease is renewed
 * while we work, a second run waits up to a bound and then fails naming the holder, and a lease
 * whose holder stopped renewing is taken over. A later attempt of the same run takes over at once:
 * GitHub never runs two attempts of one run together.
 *
 * Clocks of different runners disagree, so, as client-go's leader election does, expiry is judged
 * by this run's own clock: from when it saw the holder or renewTime last change. A renewal that
 * fails is retried with backoff; the lease counts as lost only when a read that succeeded shows
 * another holder, and a run that could not renew within the lease's duration may no longer
 * change anything (`assertHeld`), since another run may by then have taken over.
 *
 * The Lease also carries its holder's record of pending changes (annotation
 * `model-canary.dev/pending`, see kube/session.ts): it outlives the runner, so whoever takes the
 * Lease next finds what a run that died left half-done (`inherited`). A Lease with a record is
 * kept on release; one without is deleted.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { apiMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import { ANNOTATIONS, LABELS, MANAGED_BY_VALUE } from './labels.ts';

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
  /** Set when a read showed another holder: whoever holds it now. */
  readonly lostTo: string | undefined;
  /** The record of pending changes the Lease carried when this run took it (an earlier holder's). */
  readonly inherited: string | undefined;
  /**
   * Writes (or, with undefined, removes) this run's record of pending changes on the Lease, in turn
   * with the renewals; throws a ClusterError when it could not, or when the Lease is no longer ours.
   */
  record(text: string | undefined): Promise<void>;
  /**
   * Throws (a ClusterError naming the Lease) unless the lease is still ours: not lost, and renewed
   * within its duration. Called before every change, reverts included.
   */
  assertHeld(): void;
  /**
   * Stops renewing and deletes the lease if it is still ours, unless `keepRecord` (default: the
   * lease carries a record of pending changes): then it stays for the post step or the next run.
   */
  release(options?: { keepRecord?: boolean }): Promise<void>;
}

const DEFAULT_DURATION_SECONDS = 30;
const DEFAULT_WAIT_SECONDS = 600;
const RETRY_MS = 1000;
/** First wait before a failed renewal is tried again; doubled each time, up to 2 s (or a renewal period). */
const RENEW_BACKOFF_MS = 200;
const RENEW_BACKOFF_MAX_MS = 2000;

/** What this run saw of another holder's lease, and when (by its own clock) that last changed. */
export interface LeaseObservation {
  holder: string;
  renewTime: string;
  observedAt: number;
}

/** Pure: the observation after reading `lease` at `now`; the same one when holder and renewTime are unchanged. */
export function observeLease(
  previous: LeaseObservation | undefined,
  lease: V1Lease,
  now: number,
): LeaseObservation {
  const holder = lease.spec?.holderIdentity ?? '';
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const renewTime = renewed === undefined ? '' : new Date(renewed).toISOString();
  if (previous !== undefined && previous.holder === holder && previous.renewTime === renewTime)
    return previous;
  return { holder, renewTime, observedAt: now };
}

/**
 * Pure: the lease is free for `holder` at `now` — no holder, ours, an earlier attempt of our run,
 * or unchanged for its whole duration since this run observed it (the holder's renewTime, written
 * by another runner's clock, is only compared with itself).
 */
export function leaseAvailable(
  lease: V1Lease,
  holder: string,
  observation: LeaseObservation,
  now: number,
): boolean {
  const current = lease.spec?.holderIdentity ?? '';
  if (current === '' || current === holder) return true;
  if (sameRunEarlierAttempt(current, holder)) return true;
  const duration = lease.spec?.leaseDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  return observation.observedAt + duration * 1000 <= now;
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

/** A Lease `holder` acquires and renews now, labelled as ours (with `annotations`, e.g. its record). */
function newLease(
  { namespace, name, holder, labels }: Pick<LeaseOptions, 'namespace' | 'name' | 'holder' | 'labels'>,
  duration: number,
  annotations: Record<string, string> = {},
): V1Lease {
  const now = new V1MicroTime();
  return {
    metadata: { name, namespace, labels: { ...labels, [LABELS.managedBy]: MANAGED_BY_VALUE }, annotations },
    spec: { holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: now, renewTime: now },
  };
}

/** Takes the target's Lease, waiting for another holder up to the bound; renews it until released. */
export async function acquireLease(cluster: Cluster, options: LeaseOptions): Promise<HeldLease> {
  const duration = options.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  const waitUntil = Date.now() + (options.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
  const log = options.log ?? (() => undefined);
  const { namespace, name, holder } = options;
  const where = `Lease ${namespace}/${name}`;
  let announced = '';
  let observation: LeaseObservation | undefined;
  for (;;) {
    const existing = await unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
    const now = new V1MicroTime();
    if (existing !== undefined) observation = observeLease(observation, existing, Date.now());
    try {
      if (existing === undefined) {
        const created = await cluster.coordination.createNamespacedLease({
          namespace,
          body: newLease({ namespace, name, holder, labels: options.labels }, duration),
        });
        return renew(cluster, created, duration, log, options.labels);
      }
      if (leaseAvailable(existing, holder, observation!, Date.now())) {
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
          log(`${where}: took over from ${previous} (not renewed for ${duration}s, or an earlier attempt)`);
        return renew(cluster, taken, duration, log, options.labels);
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

/**
 * Renews the lease every third of its duration until released. A failed renewal is retried with
 * backoff (0.2 s doubling, at most 2 s apart) until one succeeds; the lease is lost only when a read
 * shows another holder (a lease deleted under us is created again).
 */
function renew(
  cluster: Cluster,
  lease: V1Lease,
  duration: number,
  log: (line: string) => void,
  labels: Record<string, string> = {},
): HeldLease {
  let current = lease;
  let lostTo: string | undefined;
  let renewedAt = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const name = lease.metadata!.name!;
  const namespace = lease.metadata!.namespace!;
  const holder = lease.spec!.holderIdentity!;
  const inherited = lease.metadata?.annotations?.[ANNOTATIONS.pending];
  const where = `Lease ${namespace}/${name}`;
  const periodMs = Math.max(1000, (duration * 1000) / 3);
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
  // Renewals and record writes replace the same object: one at a time, each on the copy the last left.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(write: () => Promise<T>): Promise<T> => {
    const next = turn.then(write);
    turn = next.catch(() => undefined);
    return next;
  };

  /** Replaces the lease with `annotations` (default: as they are) and a fresh renewTime. */
  const replace = async (annotations = current.metadata?.annotations): Promise<void> => {
    current = await cluster.coordination.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...current,
        metadata: { ...current.metadata, annotations: annotations ?? {} },
        spec: { ...current.spec, renewTime: new V1MicroTime() },
      },
    });
    renewedAt = Date.now();
  };

  /**
   * After a failed write: reads the lease and learns who holds it. 'ours' (our copy is now the fresh
   * one), 'lost', 'gone' (deleted under us), or 'unknown' when it could not be read.
   */
  const reread = async (error: unknown): Promise<'ours' | 'lost' | 'gone' | 'unknown'> => {
    let seen: V1Lease | undefined;
    try {
      seen = await unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
    } catch {
      return 'unknown';
    }
    if (seen === undefined) return 'gone';
    if (seen.spec?.holderIdentity !== holder) {
      lostTo = seen.spec?.holderIdentity || 'nobody';
      log(`${where} was lost to ${lostTo}: ${apiMessage(error)}`);
      return 'lost';
    }
    current = seen;
    return 'ours';
  };

  /** Creates the lease again, ours, with our copy's annotations (the record among them). */
  const recreate = async (): Promise<void> => {
    current = await cluster.coordination.createNamespacedLease({
      namespace,
      body: newLease({ namespace, name, holder, labels }, duration, current.metadata?.annotations),
    });
    renewedAt = Date.now();
  };

  /** One renewal; false when it failed. Learns from a read who holds the lease when it did. */
  const renewOnce = async (): Promise<boolean> => {
    try {
      await replace();
      return true;
    } catch (error) {
      const seen = await reread(error);
      // Unreadable too (API server away): nothing learnt, retried.
      if (seen === 'unknown') log(`${where}: renewal failed (${apiMessage(error)}); retrying`);
      if (seen === 'gone') await recreate().catch(() => undefined);
      // 'ours': an update conflicted with a stale copy; the fresh one is renewed next time.
      return false;
    }
  };

  const record = async (text: string | undefined): Promise<void> => {
    for (let tries = 1; ; tries++) {
      if (lostTo !== undefined)
        throw new ClusterError(where, `was taken by ${lostTo}; this run changes nothing more`);
      const others = Object.entries(current.metadata?.annotations ?? {}).filter(
        ([key]) => key !== ANNOTATIONS.pending,
      );
      const annotations = Object.fromEntries(
        text === undefined ? others : [...others, [ANNOTATIONS.pending, text]],
      );
      try {
        await replace(annotations);
        return;
      } catch (error) {
        const seen = tries < 3 ? await reread(error) : 'unknown';
        if (seen === 'gone') await recreate().catch(() => undefined);
        // 'lost' ends at the top of the loop, naming the new holder.
        if (seen !== 'unknown') continue;
        throw new ClusterError(
          where,
          `could not be given this run's record of pending changes (${apiMessage(error)}); nothing was changed after it`,
        );
      }
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped && lostTo === undefined) {
      await pause(periodMs);
      // Until one succeeds, never a whole period apart: after an API server restart the Lease is
      // renewed within seconds, before its duration runs out.
      for (let backoff = RENEW_BACKOFF_MS; !stopped && lostTo === undefined && !(await inTurn(renewOnce));) {
        await pause(backoff);
        backoff = Math.min(backoff * 2, RENEW_BACKOFF_MAX_MS, periodMs);
      }
    }
  };
  const renewing = loop();

  return {
    holder,
    get lostTo() {
      return lostTo;
    },
    inherited,
    record: (text) => inTurn(() => record(text)),
    assertHeld() {
      if (lostTo !== undefined)
        throw new ClusterError(where, `was taken by ${lostTo}; this run changes nothing more`);
      const silentMs = Date.now() - renewedAt;
      if (silentMs > duration * 1000) {
        throw new ClusterError(
          where,
          `could not be renewed for ${Math.round(silentMs / 1000)}s (its duration is ${duration}s), so another run ` +
            'may hold it now; this run changes nothing more (the next run, or the post step, finishes the undo)',
        );
      }
    },
    async release({ keepRecord } = {}) {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await renewing;
      await turn;
      if (lostTo !== undefined) return;
      if (keepRecord ?? current.metadata?.annotations?.[ANNOTATIONS.pending] !== undefined) {
        log(`${where} kept: it records changes still to undo`);
        return;
      }
      // A 409 means our copy is stale: a renewal whose answer was lost did change it. Read it
      // again, and delete it only while it is still ours, so the next run need not wait it out.
      for (let tries = 1; ; tries++) {
        try {
          await cluster.coordination.deleteNamespacedLease({
            name,
            namespace,
            body: { preconditions: { resourceVersion: current.metadata?.resourceVersion } },
          });
          return;
        } catch (error) {
          if (statusOf(error) === 404) return;
          if (statusOf(error) !== 409) throw error;
        }
        const seen = await unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
        if (seen === undefined || seen.spec?.holderIdentity !== holder || tries >= 3) return;
        current = seen;
      }
    },
  };
}

/**
 * Deletes the target's Lease when `holder` holds it: what the post step does for a main step killed
 * while it held the Lease with nothing unfinished. True when it was deleted; false when another run
 * holds it, or it is gone.
 */
export async function giveBackLease(
  cluster: Cluster,
  { namespace, name, holder }: Pick<LeaseOptions, 'namespace' | 'name' | 'holder'>,
): Promise<boolean> {
  const lease = await unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
  if (lease === undefined || lease.spec?.holderIdentity !== holder) return false;
  try {
    await cluster.coordination.deleteNamespacedLease({
      name,
      namespace,
      body: { preconditions: { uid: lease.metadata?.uid, resourceVersion: lease.metadata?.resourceVersion } },
    });
    return true;
  } catch (error) {
    // Gone, or changed since it was read (then it is not ours to delete any more).
    if (statusOf(error) === 404 || statusOf(error) === 409) return false;
    throw new ClusterError(`Lease ${namespace}/${name}`, `could not be given back: ${apiMessage(error)}`);
  }
}
