/**
 * The canary rollout, reconciling toward a desired state at each step so that any step can be
 * repeated after a crash: deploy the canary beside stable (or the first version, into an empty
 * namespace), walk the traffic weights with an analysis at each, then promote or revert.
 * Everything it creates carries our labels; clean-up finds objects by label, never by memory.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import { applyObject, deleteObject } from './apply.ts';
import { apiMessage, unlessNotFound, type Cluster } from './cluster.ts';
import { ANNOTATIONS, GPU_PRODUCT_LABEL, LABELS, trackSelector } from './labels.ts';
import {
  achievedShare,
  canaryReplicasFor,
  renderDeployment,
  renderService,
  type ServingSpec,
} from './manifests.ts';
import {
  checkAccess,
  checkGpuCapacity,
  ensureNamespace,
  rolloutAccessNeeds,
  stableGpuProduct,
} from './preflight.ts';
import { waitForRollout, type RolloutResult } from './rollout-watch.ts';
import { restoreRoute, resolveRouter, routeCanaryWeight, type Router } from './traffic.ts';
import type { VerdictNumbers } from '../checks/latency-judge.ts';

/** What a rollout needs besides the cluster: the plan, settings, serving preset and a log. */
export interface RolloutContext {
  cluster: Cluster;
  plan: Plan;
  settings: Settings;
  serving: ServingSpec;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** Called before each change to the cluster, so the post step knows what to undo. */
  onChange?: (change: RolloutChange) => void;
  /** Pre-flight checks (namespace, RBAC, free GPUs); on unless a test provokes what they prevent. */
  preflight?: boolean;
}

export interface RolloutChange {
  /** e.g. `apply Deployment ml/resnet-canary`, `delete Service ml/resnet-canary`. */
  action: string;
  /** What is now pending: `canary` (a canary runs), `first` (a first version runs), `promotion`. */
  pending: 'canary' | 'first' | 'promotion' | 'none';
  at: number;
}

/** A running canary (or first version) as the deploy step left it. */
export interface CanaryState {
  firstDeploy: boolean;
  router: Router;
  /** Image stable ran when the canary started (undefined on a first deploy). */
  stableImage?: string;
  /** The image as given (tag or digest). */
  image: string;
  /** `repository@sha256:…` the canary's pods actually run. */
  pinnedImage: string;
  weightPercent: number;
  /** The share the canary really gets (replica ratio for the replicas router). */
  achievedPercent: number;
  canaryReplicas: number;
  /** GPU product the canary is pinned to (stable's). */
  gpuProduct?: string;
  /** Deployment's Available condition time and when we saw it, for the benchmarks. */
  available: RolloutResult;
}

/** What an analysis step measures: the two arm Services and the weight in force. */
export interface CanaryStep {
  namespace: string;
  stableService: string;
  canaryService: string;
  firstDeploy: boolean;
  weightPercent: number;
  achievedPercent: number;
  index: number;
  total: number;
}

export interface StepVerdict {
  decision: 'promote' | 'revert';
  reason: string;
  /** Every figure the judge used, for the job summary and the JSON report. */
  numbers?: VerdictNumbers;
}

/** The analysis hook: the analyse stage measures each arm at each weight and says go or stop. */
export type StepAnalysis = (step: CanaryStep) => Promise<StepVerdict>;

function note(ctx: RolloutContext, action: string, pending: RolloutChange['pending']): void {
  ctx.onChange?.({ action, pending, at: Date.now() });
}

async function readDeployment(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  try {
    return await unlessNotFound(cluster.apps.readNamespacedDeployment({ name, namespace }));
  } catch (error) {
    throw new ClusterError(`Deployment ${namespace}/${name}`, `could not be read: ${apiMessage(error)}`);
  }
}

/** The image of a Deployment's (first) container. */
export function imageOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.spec?.template.spec?.containers[0]?.image;
}

/** `repository@sha256:…` from a pod's imageID (containerd reports `repository@sha256:…`). */
export function pinnedFromImageId(image: string, imageIds: string[]): string {
  const digest = imageIds.map((id) => /(sha256:[0-9a-f]{64})$/.exec(id)?.[1]).find((d) => d !== undefined);
  if (digest === undefined) return image;
  const at = image.indexOf('@');
  const lastColon = image.lastIndexOf(':');
  const repository =
    at >= 0 ? image.slice(0, at) : lastColon > image.lastIndexOf('/') ? image.slice(0, lastColon) : image;
  return `${repository}@${digest}`;
}

function digestOf(pinned: string): string | undefined {
  return /@(sha256:[0-9a-f]{64})$/.exec(pinned)?.[1];
}

/** Pre-flight: namespace, RBAC, and free GPUs for `extraReplicas` more pods. */
export async function preflight(
  ctx: RolloutContext,
  router: 'replicas' | 'gateway-api',
  extraReplicas: number,
  gpuProduct?: string,
): Promise<void> {
  const { cluster, plan, settings } = ctx;
  const namespace = await ensureNamespace(cluster, plan.namespace);
  if (namespace === 'created') ctx.log(`namespace ${plan.namespace} created`);
  await checkAccess(cluster, plan.namespace, rolloutAccessNeeds(router));
  const selector = {
    ...settings.workload.nodeSelector,
    ...(gpuProduct !== undefined ? { [GPU_PRODUCT_LABEL]: gpuProduct } : {}),
  };
  const capacity = await checkGpuCapacity(
    cluster,
    settings.workload.gpuResource,
    extraReplicas * settings.workload.gpus,
    selector,
    ctx.warn,
  );
  if (capacity !== undefined) {
    ctx.log(
      `${capacity.free} ${capacity.resource} free of ${capacity.allocatable}; ${extraReplicas * settings.workload.gpus} needed`,
    );
  }
}

/** Deploys the canary at the first weight (or, into an empty target, the first version as stable) and waits until it serves. */
export async function deployCanary(ctx: RolloutContext, image: string): Promise<CanaryState> {
  const { cluster, plan, settings, serving } = ctx;
  // Only a 404 means a first deploy; any other error stops the run before a change.
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const router = await resolveRouter(ctx);
  if (stable === undefined) return deployFirstVersion(ctx, image, router);

  const stableImage = imageOf(stable);
  const gpuProduct =
    settings.workload.gpus > 0
      ? await stableGpuProduct(cluster, plan.namespace, trackSelector(plan.target, 'stable', plan.preview))
      : undefined;
  const weight = plan.traffic.steps[0] ?? 10;
  const canaryReplicas = canaryReplicasFor(settings.workload.replicas, weight);
  if (ctx.preflight !== false) await preflight(ctx, router.kind, canaryReplicas, gpuProduct);
  if (gpuProduct !== undefined) ctx.log(`canary pinned to ${gpuProduct}, the GPU stable runs on`);

  note(ctx, `apply Service ${plan.namespace}/${plan.objects.canaryService}`, 'canary');
  for (const role of ['user', 'stable', 'canary'] as const) {
    await applyObject(cluster, renderService(plan, serving, role, router.kind));
  }
  const deployment = renderDeployment(plan, settings, serving, {
    track: 'canary',
    image,
    replicas: canaryReplicas,
    ...(gpuProduct !== undefined ? { gpuProduct } : {}),
    ...(stableImage !== undefined ? { previousImage: stableImage } : {}),
  });
  note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`, 'canary');
  await applyObject(cluster, deployment);
  ctx.log(`canary ${plan.objects.canaryDeployment}: ${canaryReplicas} replica(s) of ${image}`);
  const available = await waitForTrack(ctx, 'canary', image);
  const pinnedImage = pinnedFromImageId(image, available.imageIds);
  ctx.log(`canary available, running ${pinnedImage}`);
  const state: CanaryState = {
    firstDeploy: false,
    router,
    ...(stableImage !== undefined ? { stableImage } : {}),
    image,
    pinnedImage,
    weightPercent: weight,
    achievedPercent: 0,
    canaryReplicas,
    ...(gpuProduct !== undefined ? { gpuProduct } : {}),
    available,
  };
  return setCanaryWeight(ctx, state, weight);
}

async function deployFirstVersion(ctx: RolloutContext, image: string, router: Router): Promise<CanaryState> {
  const { cluster, plan, settings, serving } = ctx;
  ctx.log(
    plan.preview !== undefined
      ? `preview ${plan.namespace}/${plan.objects.stableDeployment} runs ${image}`
      : `no stable Deployment ${plan.namespace}/${plan.objects.stableDeployment}: first deploy, the new version becomes stable after its checks`,
  );
  if (ctx.preflight !== false) await preflight(ctx, router.kind, settings.workload.replicas);
  note(ctx, `apply Service ${plan.namespace}/${plan.objects.service}`, 'first');
  for (const role of ['user', 'stable'] as const) {
    await applyObject(cluster, renderService(plan, serving, role, router.kind));
  }
  note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment}`, 'first');
  await applyObject(
    cluster,
    renderDeployment(plan, settings, serving, {
      track: 'stable',
      image,
      replicas: settings.workload.replicas,
    }),
  );
  const available = await waitForTrack(ctx, 'stable', image);
  const pinnedImage = pinnedFromImageId(image, available.imageIds);
  ctx.log(`${plan.preview !== undefined ? 'preview' : 'first version'} available, running ${pinnedImage}`);
  return {
    firstDeploy: true,
    router,
    image,
    pinnedImage,
    weightPercent: 100,
    achievedPercent: 100,
    canaryReplicas: 0,
    available,
  };
}

/** A preview: the target's own Deployment (track stable) and Services, applied in place, waited for. */
export async function deployPreview(ctx: RolloutContext, image: string): Promise<CanaryState> {
  const state = await deployFirstVersion(ctx, image, { kind: 'replicas' });
  return { ...state, firstDeploy: false, weightPercent: 0, achievedPercent: 0 };
}

/** Waits for the track's Deployment to run `image` and be available (rollout-watch.ts fails fast). */
function waitForTrack(
  ctx: RolloutContext,
  track: 'stable' | 'canary',
  image: string,
): Promise<RolloutResult> {
  const { plan } = ctx;
  return waitForRollout(ctx.cluster, {
    namespace: plan.namespace,
    deployment: track === 'canary' ? plan.objects.canaryDeployment : plan.objects.stableDeployment,
    podSelector: trackSelector(plan.target, track, plan.preview),
    image,
    startupBudgetSeconds: ctx.serving.startupBudgetSeconds,
    log: ctx.log,
  });
}

/** Moves the canary to a traffic weight: replica count (replicas router) or route weights (Gateway API). */
export async function setCanaryWeight(
  ctx: RolloutContext,
  state: CanaryState,
  weight: number,
): Promise<CanaryState> {
  const { cluster, plan, settings, serving } = ctx;
  if (state.firstDeploy) return state;
  const canaryReplicas = canaryReplicasFor(settings.workload.replicas, weight);
  if (canaryReplicas !== state.canaryReplicas) {
    note(
      ctx,
      `scale Deployment ${plan.namespace}/${plan.objects.canaryDeployment} to ${canaryReplicas}`,
      'canary',
    );
    await applyObject(
      cluster,
      renderDeployment(plan, settings, serving, {
        track: 'canary',
        image: state.image,
        replicas: canaryReplicas,
        ...(state.stableImage !== undefined ? { previousImage: state.stableImage } : {}),
        ...(state.gpuProduct !== undefined ? { gpuProduct: state.gpuProduct } : {}),
      }),
    );
    await waitForTrack(ctx, 'canary', state.image);
  }
  let achievedPercent: number;
  if (state.router.kind === 'gateway-api') {
    note(ctx, `route HTTPRoute ${plan.namespace}/${state.router.route} ${weight}% to canary`, 'canary');
    await routeCanaryWeight(ctx, state.router.route, weight);
    achievedPercent = weight;
    ctx.log(`HTTPRoute ${state.router.route}: ${100 - weight}% stable, ${weight}% canary`);
  } else {
    achievedPercent = Math.round(achievedShare(settings.workload.replicas, canaryReplicas) * 1000) / 10;
    ctx.log(
      `traffic by replicas: ${settings.workload.replicas} stable + ${canaryReplicas} canary pod(s) behind Service ` +
        `${plan.objects.service}, so the canary gets about ${achievedPercent}% of requests` +
        (Math.abs(achievedPercent - weight) >= 1
          ? ` (asked ${weight}%: replica counts allow no finer split)`
          : ''),
    );
  }
  return { ...state, weightPercent: weight, achievedPercent, canaryReplicas };
}

/** Walks the remaining canary steps (after the first) with an analysis at each; returns the last verdict. */
export async function walkCanarySteps(
  ctx: RolloutContext,
  state: CanaryState,
  analyse: StepAnalysis,
  fromIndex = 0,
): Promise<{ state: CanaryState; verdict: StepVerdict }> {
  const steps = state.firstDeploy ? [100] : ctx.plan.traffic.steps;
  let current = state;
  let verdict: StepVerdict = { decision: 'promote', reason: 'no analysis step ran' };
  for (let index = fromIndex; index < steps.length; index += 1) {
    if (index > 0) current = await setCanaryWeight(ctx, current, steps[index]!);
    verdict = await analyse({
      namespace: ctx.plan.namespace,
      stableService: ctx.plan.objects.stableService,
      canaryService: state.firstDeploy ? ctx.plan.objects.stableService : ctx.plan.objects.canaryService,
      firstDeploy: state.firstDeploy,
      weightPercent: current.weightPercent,
      achievedPercent: current.achievedPercent,
      index,
      total: steps.length,
    });
    ctx.log(
      `step ${index + 1}/${steps.length} at ${current.weightPercent}%: ${verdict.decision} (${verdict.reason})`,
    );
    if (verdict.decision === 'revert') break;
  }
  return { state: current, verdict };
}

/** Promotes: stable takes the canary's exact image digest, traffic returns to stable, canary objects go. */
export async function promoteCanary(ctx: RolloutContext, state?: CanaryState): Promise<string> {
  const { cluster, plan, settings, serving } = ctx;
  if (state?.firstDeploy === true) {
    ctx.log(`first version ${state.pinnedImage} is now stable`);
    return state.pinnedImage;
  }
  const canary = await readDeployment(cluster, plan.namespace, plan.objects.canaryDeployment);
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  if (canary === undefined)
    throw new ClusterError(
      `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`,
      'there is no canary to promote',
    );
  const canaryImage = imageOf(canary)!;
  const pinned = state?.pinnedImage ?? (await pinnedImageOfPods(ctx, canaryImage));
  const previousImage = imageOf(stable);
  note(
    ctx,
    `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment} image ${pinned}`,
    'promotion',
  );
  await applyObject(
    cluster,
    renderDeployment(plan, settings, serving, {
      track: 'stable',
      image: pinned,
      replicas: settings.workload.replicas,
      ...(previousImage !== undefined ? { previousImage } : {}),
      ...(digestOf(pinned) !== undefined ? { imageDigest: digestOf(pinned)! } : {}),
    }),
  );
  try {
    await waitForTrack(ctx, 'stable', pinned);
  } catch (error) {
    if (previousImage !== undefined) await restoreStable(ctx, previousImage);
    throw error;
  }
  const router = state?.router ?? (await resolveRouter(ctx));
  await removeCanary(ctx, router, 'none');
  ctx.log(`promoted: stable ${plan.objects.stableDeployment} runs ${pinned}`);
  return pinned;
}

async function pinnedImageOfPods(ctx: RolloutContext, image: string): Promise<string> {
  const pods = await ctx.cluster.core.listNamespacedPod({
    namespace: ctx.plan.namespace,
    labelSelector: trackSelector(ctx.plan.target, 'canary', ctx.plan.preview),
  });
  const ids = pods.items.flatMap((pod) => pod.status?.containerStatuses ?? []).map((s) => s.imageID ?? '');
  return pinnedFromImageId(image, ids);
}

async function restoreStable(ctx: RolloutContext, image: string): Promise<void> {
  const { plan, settings, serving, cluster } = ctx;
  const current = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const previous = current?.metadata?.annotations?.[ANNOTATIONS.previousImage];
  note(
    ctx,
    `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment} image ${image}`,
    'promotion',
  );
  await applyObject(
    cluster,
    renderDeployment(plan, settings, serving, {
      track: 'stable',
      image,
      replicas: settings.workload.replicas,
      ...(previous !== undefined && previous !== image ? { previousImage: imageOf(current)! } : {}),
    }),
  );
  await waitForTrack(ctx, 'stable', image);
}

/** Restores traffic to stable and deletes every canary object of the target (found by label). */
export async function removeCanary(
  ctx: RolloutContext,
  router: Router | undefined,
  pending: RolloutChange['pending'],
): Promise<void> {
  const { cluster, plan } = ctx;
  if (router?.kind === 'gateway-api') {
    note(ctx, `restore HTTPRoute ${plan.namespace}/${router.route}`, pending);
    await restoreRoute(ctx, router.route);
  }
  const selector = trackSelector(plan.target, 'canary', plan.preview);
  const deployments = (
    await cluster.apps.listNamespacedDeployment({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  const services = (
    await cluster.core.listNamespacedService({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  for (const object of [
    ...deployments.map((d) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata! })),
    ...services.map((s) => ({ apiVersion: 'v1', kind: 'Service', metadata: s.metadata! })),
  ]) {
    note(ctx, `delete ${object.kind} ${plan.namespace}/${object.metadata.name}`, pending);
    await deleteObject(cluster, object);
  }
}

/** Reverts a canary: traffic back to stable, canary deleted, stable untouched. A first version is removed entirely. */
export async function revertCanary(
  ctx: RolloutContext,
  state: CanaryState | undefined,
  cause: string,
): Promise<void> {
  const { plan, cluster } = ctx;
  ctx.log(`reverting: ${cause}`);
  if (state?.firstDeploy === true) {
    await removeTarget(ctx);
    return;
  }
  const router = state?.router ?? (await resolveRouter(ctx).catch(() => undefined));
  await removeCanary(ctx, router, 'none');
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  ctx.log(
    stable
      ? `reverted: stable ${plan.objects.stableDeployment} keeps ${imageOf(stable)}`
      : 'reverted: nothing of this target remains',
  );
}

/** Deletes every object of the target (first deploy that failed its checks). */
export async function removeTarget(ctx: RolloutContext): Promise<void> {
  const { cluster, plan } = ctx;
  const selector = `${LABELS.target}=${plan.target}${plan.preview !== undefined ? `,${LABELS.preview}=${plan.preview}` : ''}`;
  const deployments = (
    await cluster.apps.listNamespacedDeployment({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  const services = (
    await cluster.core.listNamespacedService({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  for (const object of [
    ...deployments.map((d) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata! })),
    ...services.map((s) => ({ apiVersion: 'v1', kind: 'Service', metadata: s.metadata! })),
  ]) {
    note(ctx, `delete ${object.kind} ${plan.namespace}/${object.metadata.name}`, 'none');
    await deleteObject(cluster, object);
  }
}

/** `revert` mode with no canary left: stable returns to the image recorded before the last promotion. */
export async function revertPromotion(ctx: RolloutContext): Promise<string> {
  const { cluster, plan } = ctx;
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const previous = stable?.metadata?.annotations?.[ANNOTATIONS.previousImage];
  if (stable === undefined || previous === undefined) {
    throw new ClusterError(
      `Deployment ${plan.namespace}/${plan.objects.stableDeployment}`,
      stable === undefined
        ? 'does not exist: nothing to revert'
        : `has no ${ANNOTATIONS.previousImage} annotation: no earlier version to return to`,
    );
  }
  await restoreStable(ctx, previous);
  ctx.log(`reverted the last promotion: stable runs ${previous} again`);
  return previous;
}
