/**
 * A rollout session: the target's Lease held, a rollout context on one connection, and the record
 * of pending changes written ahead of each change, twice: to `journal` (the step state, where the
 * post step finds it) and onto the Lease (where the next run finds it when the runner died and no
 * post step ran). main.ts opens one before the first stage that changes the cluster, and undoes or
 * closes it at the end; the post step opens one on the record a killed run left. Opening a session
 * on a Lease that still records another run's unfinished changes undoes them first.
 */
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import type { Cluster } from './cluster.ts';
import { ANNOTATIONS } from './labels.ts';
import { acquireLease, type HeldLease } from './lease.ts';
import type { ServingSpec } from './manifests.ts';
import {
  recordChange,
  undoChanges,
  type PendingChanges,
  type RolloutChange,
  type RolloutContext,
} from './rollout.ts';

/** How long a run waits for another run's Lease on the same target before failing. */
const LEASE_WAIT_SECONDS = 600;

export interface SessionOptions {
  cluster: Cluster;
  plan: Plan;
  settings: Settings;
  /** How the pods serve; a record from a killed run brings its own. */
  serving: ServingSpec;
  /** Lease holder identity (runIdentity of the run; the killed run's own for the post step). */
  holder: string;
  /**
   * Keeps the record of pending changes where the post step reads it: from before the Lease is asked
   * for until it is given back (empty when nothing is pending), undefined once the session closed.
   */
  journal: (record: PendingChanges | undefined) => void;
  /** A record left by an earlier, killed main step, to undo. */
  pending?: PendingChanges;
  waitSeconds?: number;
  log: (line: string) => void;
  warn: (line: string) => void;
}

/** Changes of a run that died, found on the Lease and undone before this run went on. */
export interface OrphanRecovery {
  holder: string;
  changes: PendingChanges['changes'];
}

export interface RolloutSession {
  readonly ctx: RolloutContext;
  readonly lease: HeldLease;
  /** What is pending now: the changes made and not yet finished. */
  pending(): PendingChanges;
  /** The changes are finished work (promoted, preview up, removed): nothing is left to undo. */
  settle(): Promise<void>;
  /** Set when opening the session undid an earlier run's unfinished changes (its record on the Lease). */
  readonly recovered: OrphanRecovery | undefined;
  /** Undoes the pending changes, if any (undoChanges); true when there were some. */
  undo(cause: string): Promise<boolean>;
  /** Gives the Lease back and says how many API requests the session made. */
  close(): Promise<void>;
}

/** Takes the target's Lease (creating the namespace on a first deploy) and starts the record. */
export async function openRolloutSession(options: SessionOptions): Promise<RolloutSession> {
  const { cluster, plan, holder, log } = options;
  const serving = options.pending?.serving ?? options.serving;
  const empty: PendingChanges = {
    namespace: plan.namespace,
    target: plan.target,
    changes: [],
    holder,
    serving,
  };
  // Before the Lease is asked for: a step killed from now on leaves its post step a record, empty
  // or not, and the post step gives back the Lease it may hold.
  if (options.pending === undefined) options.journal(empty);
  const leaseOptions = {
    namespace: plan.namespace,
    name: plan.objects.lease,
    holder,
    labels: plan.labels,
    waitSeconds: options.waitSeconds ?? LEASE_WAIT_SECONDS,
    log,
  };
  const lease = await acquireLease(cluster, leaseOptions).catch(async (error: unknown) => {
    // The namespace may not exist yet on a first deploy: the Lease lives in it.
    if (!(error instanceof ClusterError) || !/not found/i.test(error.message)) throw error;
    await cluster.core.createNamespace({ body: { metadata: { name: plan.namespace } } });
    log(`namespace ${plan.namespace} created`);
    return acquireLease(cluster, leaseOptions);
  });
  log(`Lease ${plan.namespace}/${plan.objects.lease} held by ${holder}`);

  let record = options.pending ?? empty;
  const onChange = async (change: RolloutChange): Promise<void> => {
    // Every change, an undo's too, only while the Lease is surely ours: else another run may be
    // changing the target, and the next run (or the post step) undoes ours from the record.
    lease.assertHeld();
    const next = recordChange(record, change);
    if (next !== record) {
      options.journal(next);
      await lease.record(JSON.stringify(next));
    }
    record = next;
  };
  const contextFor = (servingOf: ServingSpec): RolloutContext => ({
    cluster,
    plan,
    settings: options.settings,
    serving: servingOf,
    log,
    warn: options.warn,
    onChange,
  });
  const ctx = contextFor(serving);
  const settle = async (): Promise<void> => {
    record = empty;
    options.journal(empty);
    await lease.record(undefined);
  };

  // A record on the Lease that the step state did not bring: a run that died (no post step) left
  // it, and its holder's Lease ran out before ours was granted. Undone from that record, first,
  // recorded as this run's own pending work meanwhile (a kill now leaves it to our post step).
  const leaseName = `Lease ${plan.namespace}/${plan.objects.lease}`;
  const orphan = options.pending === undefined ? orphanRecord(lease, holder, leaseName) : undefined;
  if (orphan !== undefined) {
    options.warn(
      `${plan.namespace}/${plan.target}: run ${orphan.holder} left ${orphan.changes.join(', ')} unfinished ` +
        '(it stopped without undoing them, its Lease ran out); undoing them before this run goes on',
    );
    record = { ...orphan, holder };
    await undoChanges(contextFor(orphan.serving ?? serving), record, `run ${orphan.holder} did not finish`);
    await settle();
  }

  return {
    ctx,
    lease,
    pending: () => record,
    settle,
    recovered: orphan !== undefined ? { holder: orphan.holder, changes: orphan.changes } : undefined,
    async undo(cause) {
      if (record.changes.length === 0) return false;
      lease.assertHeld();
      await undoChanges(ctx, record, cause);
      await settle();
      return true;
    },
    async close() {
      const keepRecord = record.changes.length > 0;
      await lease.release({ keepRecord });
      // What is left for the post step: the record when it keeps the Lease, else nothing.
      if (!keepRecord) options.journal(undefined);
      log(`${cluster.requests} Kubernetes API requests in this run`);
    },
  };
}

/**
 * The record of unfinished changes the Lease carried when this run took it, when it is another
 * run's and not empty; one that cannot be read is reported, never guessed at.
 */
export function orphanRecord(
  lease: Pick<HeldLease, 'inherited'>,
  holder: string,
  leaseName: string,
): (PendingChanges & { holder: string }) | undefined {
  if (lease.inherited === undefined) return undefined;
  let record: PendingChanges;
  try {
    record = JSON.parse(lease.inherited) as PendingChanges;
  } catch {
    throw new ClusterError(
      leaseName,
      `carries a record of pending changes that is not JSON (annotation ${ANNOTATIONS.pending}); ` +
        'check the target by hand, then delete the Lease',
    );
  }
  if (record.holder === holder || !Array.isArray(record.changes) || record.changes.length === 0)
    return undefined;
  return { ...record, holder: record.holder ?? 'an earlier run' };
}
