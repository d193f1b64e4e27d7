/**
 * Pure: Settings → Plan. What a run will do is decided here, from values only: object names,
 * labels, the image reference and its tags, traffic steps and the ordered stages. Stages then carry
 * the plan out, reading the probe and gate inputs from the settings; `dry-run` prints both and stops.
 */
import type { Mode, Settings } from './inputs/settings.ts';
import { ownerLabels } from './kube/labels.ts';
import { podTemplateOverrides } from './kube/pod-spec.ts';

/** The stages the modes run (docs/architecture.md lists them per mode). */
export type StageName =
  | 'build'
  | 'deploy-canary'
  | 'deploy-preview'
  | 'analyse'
  | 'decide'
  | 'report-preview'
  | 'cleanup'
  | 'promote'
  | 'revert'
  | 'tag-release';

/** The mode table of the README: which stages each mode runs, in order. */
export const STAGES_BY_MODE: Readonly<Record<Mode, readonly StageName[]>> = {
  canary: ['build', 'deploy-canary', 'analyse', 'decide'],
  preview: ['build', 'deploy-preview', 'analyse', 'report-preview'],
  cleanup: ['cleanup'],
  promote: ['promote'],
  revert: ['revert'],
  release: ['tag-release', 'deploy-canary', 'analyse', 'decide'],
};

/**
 * Stages that change the cluster: main.ts takes the target's Lease and starts the record of pending
 * changes before the first of them. `decide` changes it too, within the session deploy-canary's opened.
 */
export const STAGES_CHANGING_THE_CLUSTER: ReadonlySet<StageName> = new Set<StageName>([
  'deploy-canary',
  'deploy-preview',
  'cleanup',
  'promote',
  'revert',
]);

export interface ObjectNames {
  /** Deployment serving the stable version (and the preview's only Deployment in preview mode). */
  stableDeployment: string;
  canaryDeployment: string;
  /** The user-facing Service: both arms behind it when traffic is split by replicas. */
  service: string;
  /** Arm Services select one track only, so each arm can be measured on its own. */
  stableService: string;
  canaryService: string;
  /** coordination.k8s.io Lease that keeps two runs on this target from interleaving. */
  lease: string;
}

export interface ImagePlan {
  /** `registry/path` without a tag. */
  repository: string;
  /** Tag pushed by the build: the commit SHA. */
  commitTag: string;
  /** `repository:commitTag`. */
  reference: string;
  /** Extra tags given in release mode: v1.2.3, v1.2, v1 (only the exact one for pre-releases). */
  releaseTags: string[];
  /** Where registry cache goes when `cache` is `registry`. */
  cacheReference?: string;
}

export interface Plan {
  mode: Mode;
  dryRun: boolean;
  namespace: string;
  /** Base name of every object: input `name`, or `<name>-pr-<n>` for a preview. */
  target: string;
  /** Set in preview and cleanup: `pr-<number>`, also the value of the preview label. */
  preview?: string;
  labels: Record<string, string>;
  objects: ObjectNames;
  /** Input `adopt`: Deployments and Services of these names that another manager made are taken over. */
  adopt: boolean;
  image?: ImagePlan;
  stages: readonly StageName[];
  traffic: TrafficPlan;
  /** What the action does to the user's pod template (input pod-template), when there is one. */
  podTemplate?: PodTemplatePlan;
}

/**
 * How traffic moves and where the canary's GPUs come from. `gpuBudget: auto` is resolved by the
 * pre-flight (src/kube/gpu-budget.ts), which also finds an autoscaler on stable; the run's log
 * and summary say what it chose.
 */
export interface TrafficPlan {
  router: Settings['traffic']['router'];
  steps: number[];
  /** The step after whose analysis the run pauses (input pause-after or pause). */
  pauseAfter?: number;
  gpuBudget: Settings['traffic']['gpuBudget'];
  maxExtraGpus: number;
  /** GPUs per replica (0: CPU pods, no GPU budget). */
  gpusPerReplica: number;
}

/** The user's pod template: its file, the model's container and why, and what the action sets. */
export interface PodTemplatePlan {
  file: string;
  modelContainer: string;
  modelContainerReason: 'named model' | 'first container';
  /** Fields the action overrides or adds; everything else in the template is kept. */
  overridden: string[];
  /** Fields the action would set that the template's values keep (the model container's probes). */
  kept: string[];
}

/** Decides names, labels, image tags and stages for a run; no I/O. */
export function planRun(settings: Settings): Plan {
  // Cleanup outside a pull request is for the canary target itself (stages/cleanup.ts).
  const forPullRequest =
    settings.mode === 'preview' || (settings.mode === 'cleanup' && settings.run.pullRequest !== undefined);
  const preview = forPullRequest ? `pr-${settings.run.pullRequest}` : undefined;
  const target = preview === undefined ? settings.name : `${settings.name}-${preview}`;
  const image = settings.build.image === undefined ? undefined : planImage(settings, settings.build.image);
  const podTemplate = settings.workload.podTemplate;
  const overrides = podTemplateOverrides(settings);
  return {
    mode: settings.mode,
    dryRun: settings.dryRun,
    namespace: settings.cluster.namespace,
    target,
    ...(preview !== undefined ? { preview } : {}),
    labels: ownerLabels(target, preview),
    objects: objectNames(target),
    adopt: settings.workload.adopt,
    ...(image !== undefined ? { image } : {}),
    stages: STAGES_BY_MODE[settings.mode],
    traffic: {
      router: settings.traffic.router,
      steps: settings.traffic.steps,
      ...(settings.traffic.pauseAfter !== undefined ? { pauseAfter: settings.traffic.pauseAfter } : {}),
      gpuBudget: settings.traffic.gpuBudget,
      maxExtraGpus: settings.traffic.maxExtraGpus,
      gpusPerReplica: settings.workload.gpus,
    },
    ...(podTemplate !== undefined && overrides !== undefined
      ? {
          podTemplate: {
            file: podTemplate.file,
            modelContainer: podTemplate.modelContainer,
            modelContainerReason: podTemplate.modelContainerReason,
            ...overrides,
          },
        }
      : {}),
  };
}

/**
 * The index of the step after which a canary run pauses (input pause-after), or undefined. A first
 * version has no stable to serve beside, so it becomes stable after its checks as without a pause.
 */
export function pauseStepIndex(
  traffic: Pick<Plan['traffic'], 'steps' | 'pauseAfter'>,
  firstDeploy: boolean,
): number | undefined {
  if (traffic.pauseAfter === undefined || firstDeploy) return undefined;
  const index = traffic.steps.indexOf(traffic.pauseAfter);
  return index < 0 ? undefined : index;
}

/** Names of every object a target owns, derived from one base name. */
export function objectNames(target: string): ObjectNames {
  return {
    stableDeployment: target,
    canaryDeployment: `${target}-canary`,
    service: target,
    stableService: `${target}-stable`,
    canaryService: `${target}-canary`,
    lease: `model-canary-${target}`,
  };
}

function planImage(settings: Settings, repository: string): ImagePlan {
  const commitTag = settings.run.sha === '' ? 'dry-run' : settings.run.sha;
  return {
    repository,
    commitTag,
    reference: `${repository}:${commitTag}`,
    releaseTags: releaseTags(settings.releaseVersion),
    ...(settings.build.cache === 'registry' ? { cacheReference: `${repository}:buildcache` } : {}),
  };
}

/** v1.2.3 → [v1.2.3, v1.2, v1]; a pre-release gets only its exact tag. */
export function releaseTags(version: Settings['releaseVersion']): string[] {
  if (version === undefined) return [];
  const exact = `v${version.major}.${version.minor}.${version.patch}`;
  if (version.prerelease !== undefined) return [`${exact}-${version.prerelease}`];
  return [exact, `v${version.major}.${version.minor}`, `v${version.major}`];
}
