/**
 * The one source of truth for how model-canary marks what it owns in a cluster: label and
 * annotation keys, the server-side-apply field manager, and the Lease that serialises runs.
 * Clean-up (post step, cleanup mode, re-runs) finds objects by these labels only.
 */

export const FIELD_MANAGER = 'model-canary';
/**
 * Takes stable's replicas off our apply when an autoscaler owns them: applied once with the count
 * in force, so dropping the field from ours leaves it as it is instead of resetting it to 1
 * (Kubernetes' server-side apply docs, "Transferring ownership").
 */
export const HANDOVER_FIELD_MANAGER = 'model-canary-handover';
export const MANAGED_BY_VALUE = 'model-canary';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  /** The deployment target (input `name`), shared by stable, canary and their services. */
  target: 'model-canary.dev/target',
  /** `stable` or `canary`: which arm a pod or an arm Service belongs to. */
  track: 'model-canary.dev/track',
  /** `pr-<number>` on everything a preview created, so `cleanup` deletes by label. */
  preview: 'model-canary.dev/preview',
} as const;

export const ANNOTATIONS = {
  model: 'model-canary.dev/model',
  imageDigest: 'model-canary.dev/image-digest',
  commit: 'model-canary.dev/commit',
  /** The stable image before the last promotion: `revert` returns to it without a rebuild. */
  previousImage: 'model-canary.dev/previous-image',
  run: 'model-canary.dev/run',
  /** On a user's HTTPRoute while we split its traffic: the backendRefs to put back afterwards. */
  originalBackends: 'model-canary.dev/original-backends',
  /**
   * On a canary Deployment a run paused (input pause-after): the record `mode: promote` or
   * `mode: revert` finishes it from (src/kube/pause.ts), in a later job that has no step state.
   */
  paused: 'model-canary.dev/paused',
  /**
   * On the canary Deployment: the rollout's GPU budget (JSON: mode, stable's replicas before it,
   * replica slots, autoscaler), so a promotion or an undo in any later run keeps to it.
   */
  gpuBudget: 'model-canary.dev/gpu-budget',
  /**
   * On the target's Lease: the holder's record of pending changes (JSON), written ahead of each
   * change, so a run whose runner died (no post step) is undone by the next run on the target.
   */
  pending: 'model-canary.dev/pending',
} as const;

/**
 * The annotations the usual Prometheus set-ups (the community Helm chart's `kubernetes-pods` job)
 * scrape a pod by; a pod template that sets them keeps its own.
 */
export const SCRAPE_ANNOTATIONS = {
  scrape: 'prometheus.io/scrape',
  port: 'prometheus.io/port',
  path: 'prometheus.io/path',
} as const;

/** The Prometheus Operator's PodMonitor, applied when its CRDs are installed. */
export const POD_MONITOR = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor' } as const;

/** The GPU product label (NVIDIA GPU feature discovery); the canary is pinned to stable's value. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** The taint key GPU node pools carry; every GPU pod tolerates it. */
export const GPU_TAINT_KEY = 'nvidia.com/gpu';

export type Track = 'stable' | 'canary';

/** Labels common to every object of one target (and preview, when there is one). */
export function ownerLabels(target: string, preview?: string): Record<string, string> {
  return {
    [LABELS.name]: target,
    [LABELS.managedBy]: MANAGED_BY_VALUE,
    [LABELS.target]: target,
    ...(preview !== undefined ? { [LABELS.preview]: preview } : {}),
  };
}

/** Label selector string for everything of a target, e.g. for clean-up. */
export function ownerSelector(target: string, preview?: string): string {
  return Object.entries(ownerLabels(target, preview))
    .filter(([key]) => key !== LABELS.name)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Labels of one arm's pods (and of its Deployment): the owner labels plus the track. */
export function trackLabels(target: string, track: Track, preview?: string): Record<string, string> {
  return { ...ownerLabels(target, preview), [LABELS.track]: track };
}

/** Label selector string for one arm's pods. */
export function trackSelector(target: string, track: Track, preview?: string): string {
  return `${ownerSelector(target, preview)},${LABELS.track}=${track}`;
}
