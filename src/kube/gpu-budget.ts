/**
 * Pure: the GPU budget of a canary rollout (input gpu-budget) and the replica moves that keep to
 * it. `spare` adds the canary on free GPUs beside stable; `shift` moves replicas from stable to the
 * canary, so both arms together never hold more than stable held (plus max-extra-gpus). Budgets
 * are counted in replica slots (GPUs ÷ gpus per replica): every pod of a target asks the same GPUs.
 * A move that frees slots (a scale-down) is always made, and its pods gone, before one that takes
 * them, so the GPUs in use never exceed the budget in between; stable never drops below one ready
 * replica. docs/architecture.md ("The GPU budget") tells the whole sequence.
 */
import type { GpuBudget } from '../inputs/traffic.ts';
import { canaryReplicasFor } from './manifests.ts';

/** What owns stable's replica count instead of us. */
export interface Autoscaler {
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  name: string;
}

/** The budget of one rollout, as resolved after the pre-flight; kept on the canary Deployment. */
export interface BudgetDecision {
  mode: 'spare' | 'shift';
  /** Why this mode: what `auto` found, or that an autoscaler owns stable's replicas. */
  reason: string;
  /** Stable's replicas before the run: what a revert restores. */
  stableReplicas: number;
  /** Pods both arms may hold at once: stable's plus the largest canary (spare) or plus the extra (shift). */
  replicaSlots: number;
  /** Stable's replicas belong to this autoscaler: the rollout never changes them. */
  autoscaler?: Autoscaler;
}

/** Replicas of both arms at one moment. */
export interface ArmReplicas {
  stable: number;
  canary: number;
}

/** One scale of one arm; a scale-down waits until the pods are gone, a scale-up until they serve. */
export interface ReplicaMove {
  track: 'stable' | 'canary';
  replicas: number;
}

/** What the pre-flight saw, for resolving `auto` and refusing a budget that cannot work. */
export interface BudgetFacts {
  asked: GpuBudget;
  steps: readonly number[];
  /** Stable's current replicas (the autoscaler's count when one owns them). */
  stableReplicas: number;
  gpusPerReplica: number;
  /** GPUs each of stable's pods holds now (its Deployment's): shift lends only like for like. */
  stableGpusPerReplica: number;
  maxExtraGpus: number;
  /** Free GPUs the pre-flight counted for the canary; undefined when it could not count them. */
  freeGpus?: number;
  autoscaler?: Autoscaler;
}

/** The largest canary of the steps under `spare`: what the pre-flight must find room for. */
export function largestSpareCanary(stableReplicas: number, steps: readonly number[]): number {
  return Math.max(...steps.map((weight) => canaryReplicasFor(stableReplicas, weight)));
}

/**
 * Resolves the budget, or says why none works (a message the caller raises naming the input).
 * `auto` is `spare` when the free GPUs hold the largest canary, else `shift`; an autoscaler owns
 * stable's replicas, so it takes `spare`; CPU pods need no GPU and take `spare`.
 */
export function decideBudget(facts: BudgetFacts): BudgetDecision | { refused: string } {
  const { stableReplicas: stable, gpusPerReplica: gpus, steps } = facts;
  const largest = largestSpareCanary(stable, steps);
  const spare = (reason: string): BudgetDecision => ({
    mode: 'spare',
    reason,
    stableReplicas: stable,
    replicaSlots: stable + largest,
    ...(facts.autoscaler !== undefined ? { autoscaler: facts.autoscaler } : {}),
  });
  if (gpus === 0) return spare('the pods ask for no GPU');
  const needed = largest * gpus;
  if (facts.autoscaler !== undefined) {
    const owner = `${facts.autoscaler.kind} ${facts.autoscaler.name}`;
    if (facts.asked === 'shift') {
      return {
        refused:
          `gpu-budget shift takes replicas from stable, but ${owner} owns stable's replicas. ` +
          `Use gpu-budget spare (or auto) with ${needed} GPU(s) free for the canary.`,
      };
    }
    return spare(`${owner} owns stable's replicas, so the canary is added beside them`);
  }
  // At most what the user allows, and no more than is free when the pre-flight could count it.
  const extra = Math.min(
    Math.floor(facts.maxExtraGpus / gpus),
    facts.freeGpus === undefined ? Infinity : Math.floor(Math.max(0, facts.freeGpus) / gpus),
  );
  const shift = (reason: string): BudgetDecision | { refused: string } => {
    if (facts.stableGpusPerReplica !== gpus) {
      return {
        refused:
          `gpu-budget shift lends stable's pods to the canary like for like, but stable's hold ` +
          `${facts.stableGpusPerReplica} GPU(s) each and the canary's ask ${gpus} (input gpus). ` +
          `Free ${needed} GPU(s) for gpu-budget spare, or keep gpus as stable has it.`,
      };
    }
    if (stable + extra < 2) {
      return {
        refused:
          `gpu-budget shift: a stable of ${stable} replica cannot give one up and keep serving. ` +
          `Set max-extra-gpus to at least ${gpus}, free ${needed} GPU(s) for gpu-budget spare, or run more stable replicas.`,
      };
    }
    return { mode: 'shift', reason, stableReplicas: stable, replicaSlots: stable + extra };
  };
  if (facts.asked === 'spare') return spare('gpu-budget spare');
  if (facts.asked === 'shift') return shift('gpu-budget shift');
  if (facts.freeGpus === undefined) {
    return shift('auto: free GPUs could not be counted (no cluster-wide pod list), so stable lends its own');
  }
  return facts.freeGpus >= needed
    ? spare(`auto: ${facts.freeGpus} GPU(s) free, ${needed} needed for the largest canary step`)
    : shift(`auto: ${facts.freeGpus} GPU(s) free, ${needed} needed for the largest canary step`);
}

/**
 * Both arms' replicas at a canary weight. `spare`: stable keeps its replicas, the canary is
 * round(stable × w), at least 1. `shift`: the same canary (capped so stable keeps one), and stable
 * gives up what the slots cannot hold, so the canary's share of pods is close to w.
 */
export function stepReplicas(budget: BudgetDecision, weightPercent: number): ArmReplicas {
  const wanted = canaryReplicasFor(budget.stableReplicas, weightPercent);
  if (budget.mode === 'spare') return { stable: budget.stableReplicas, canary: wanted };
  const canary = Math.min(wanted, budget.replicaSlots - 1);
  return { stable: Math.min(budget.stableReplicas, budget.replicaSlots - canary), canary };
}

/** Scale-downs first (their pods gone before anything grows), then scale-ups; unchanged arms left out. */
export function movesBetween(from: ArmReplicas, to: ArmReplicas): ReplicaMove[] {
  const tracks = ['stable', 'canary'] as const;
  const down = tracks.filter((track) => to[track] < from[track]);
  const up = tracks.filter((track) => to[track] > from[track]);
  return [...down, ...up].map((track) => ({ track, replicas: to[track] }));
}

/** How stable's Deployment may replace its pods: a surge pod needs a free slot, else one goes first. */
export interface RollingUpdate {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * Stable's switch to another image within the slots (promotion, or a revert of one): which moves
 * come first and how its pods are replaced. A Deployment's rolling update starts the next new pod
 * as soon as an old one begins terminating, and the old one holds its GPU until it is gone: where
 * GPUs outside the budget are free, the new pod takes one. `strict` (shift, whose stable is ours
 * to resize) therefore rolls a single stable pod, with a surge slot: stable first lends its other
 * pods (the canary serves the same image beside it), or, alone in full slots, takes a slot from the
 * canary. Otherwise (spare, or an autoscaler's replicas) a free slot gives a surge pod and full
 * slots replace one pod at a time; a lone pod with no slot to free surges, or the target would stop
 * serving.
 */
export function switchImage(
  current: ArmReplicas,
  slots: number,
  strict: boolean,
): { before: ReplicaMove[]; rollingUpdate: RollingUpdate } {
  const surge = { maxSurge: 1, maxUnavailable: 0 };
  const full = current.stable + current.canary >= slots;
  if (strict && current.stable >= 2) {
    return { before: [{ track: 'stable', replicas: 1 }], rollingUpdate: surge };
  }
  if (!full) return { before: [], rollingUpdate: surge };
  if (current.stable >= 2) return { before: [], rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
  if (current.canary >= 1) {
    return { before: [{ track: 'canary', replicas: current.canary - 1 }], rollingUpdate: surge };
  }
  return { before: [], rollingUpdate: surge };
}

/**
 * The moves that bring stable back to `stableReplicas` within the slots, taking them from the
 * canary one pod at a time when none is free (so serving capacity stays as it was), growing
 * stable by every free slot at once. The canary is removed after these.
 */
export function restoreStableMoves(
  current: ArmReplicas,
  stableReplicas: number,
  slots: number,
): ReplicaMove[] {
  const moves: ReplicaMove[] = [];
  let { stable, canary } = current;
  // Never fewer slots than what the target holds now, or than stable held: a record may be older.
  const limit = Math.max(slots, stable + canary, stableReplicas);
  while (stable < stableReplicas) {
    const free = limit - stable - canary;
    if (free > 0) {
      stable += Math.min(free, stableReplicas - stable);
      moves.push({ track: 'stable', replicas: stable });
    } else {
      canary -= 1;
      moves.push({ track: 'canary', replicas: canary });
    }
  }
  return moves;
}
