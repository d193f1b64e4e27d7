/**
 * The one source of truth for how model-canary marks what it owns in a cluster: label and
 * annotation keys, the server-side-apply field manager, and the Lease that serialises runs.
 * Clean-up (post step, cleanup mode, re-runs) finds objects by these labels only.
 */

export const FIELD_MANAGER = 'model-canary';
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
} as const;

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
