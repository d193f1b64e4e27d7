/**
 * A rollout session: the target's Lease held, a rollout context on one connection, and the record
 * of pending changes written ahead of each change (to `journal`, which keeps it where the post step
 * finds it). main.ts opens one before the first stage that changes the cluster, and undoes or
 * closes it at the end; the post step opens one on the record a killed run left.
 */
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import type { Cluster } from './cluster.ts';
import { acquireLease, type HeldLease } from './lease.ts';
import type { ServingSpec } from './manifests.ts';
import { recordChange, undoChanges, type PendingChanges, type RolloutContext } from './rollout.ts';

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
  /** Keeps the record of pending changes (undefined: nothing pending) where the post step reads it. */
  journal: (record: PendingChanges | undefined) => void;
  /** A record left by an earlier, killed main step, to undo. */
  pending?: PendingChanges;
  waitSeconds?: number;
  log: (line: string) => void;
  warn: (line: string) => void;
}

export interface RolloutSession {
  readonly ctx: RolloutContext;
  readonly lease: HeldLease;
  /** What is pending now: the changes made and not yet finished. */
  pending(): PendingChanges;
  /** The changes are finished work (promoted, preview up, removed): nothing is left to undo. */
  settle(): void;
  /** Undoes the pending changes, if any (undoChanges); true when there were some. */
  undo(cause: string): Promise<boolean>;
  /** Gives the Lease back and says how many API requests the session made. */
  close(): Promise<void>;
}

/** Takes the target's Lease (creating the namespace on a first deploy) and starts the record. */
export async function openRolloutSession(options: SessionOptions): Promise<RolloutSession> {
  const { cluster, plan, holder, log } = options;
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

  const serving = options.pending?.serving ?? options.serving;
  const empty: PendingChanges = {
    namespace: plan.namespace,
    target: plan.target,
    changes: [],
    holder,
    serving,
  };
  let record = options.pending ?? empty;
  const ctx: RolloutContext = {
    cluster,
    plan,
    settings: options.settings,
    serving,
    log,
    warn: options.warn,
    onChange: (change) => {
      // Every change, an undo's too, only while the Lease is surely ours: else another run may be
      // changing the target, and the next run (or the post step) undoes ours from the record.
      lease.assertHeld();
      const next = recordChange(record, change);
      if (next !== record) options.journal(next);
      record = next;
    },
  };
  const settle = () => {
    record = empty;
    options.journal(undefined);
  };
  return {
    ctx,
    lease,
    pending: () => record,
    settle,
    async undo(cause) {
      if (record.changes.length === 0) return false;
      lease.assertHeld();
      await undoChanges(ctx, record, cause);
      settle();
      return true;
    },
    async close() {
      await lease.release();
      log(`${cluster.requests} Kubernetes API requests in this run`);
    },
  };
}
