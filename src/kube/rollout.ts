/**
 * The canary rollout, reconciling toward a desired state at each step so that any step can be
 * repeated after a crash: deploy the canary beside stable (or the first version, into an empty
 * namespace), move the traffic weight, then promote. Every change is announced before it is made
 * (`onChange`), so the record of pending changes always covers what was done, and `undoChanges`
 * — the one undo, used after a failure, a failed preview and by the post step — puts the target
 * back from that record alone. Everything it creates carries our labels; clean-up finds objects by
 * label, never by memory.
 */
import type { KubernetesObject, V1Deployment, V1ObjectMeta } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import { digestOf, isDigest, pinnedReference, repositoryOfReference } from '../registry/image-ref.ts';
import { applyObject, deleteObject, isOurs, notOurs } from './apply.ts';
import { apiMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import {
  ANNOTATIONS,
  GPU_PRODUCT_LABEL,
  ownerSelector,
  POD_MONITOR,
  trackLabels,
  trackSelector,
  type Track,
} from './labels.ts';
import {
  achievedShare,
  canaryReplicasFor,
  renderDeployment,
  renderPodMonitor,
  renderService,
  type ArmSpec,
  type ServingSpec,
} from './manifests.ts';
import {
  checkAccess,
  checkGpuCapacity,
  ensureNamespace,
  rolloutAccessNeeds,
  stableGpuProduct,
} from './preflight.ts';
import {
  ourPullSecret,
  pullSecretName,
  pullSecretsOf,
  renderPullSecret,
  type PullCredentials,
} from './pull-secret.ts';
import { modelImageIds, waitForRollout, type RolloutResult } from './rollout-watch.ts';
import { restoreRoute, resolveRouter, routeCanaryWeight, type Router } from './traffic.ts';

/** What a rollout needs besides the cluster: the plan, settings, serving preset and a log. */
export interface RolloutContext {
  cluster: Cluster;
  plan: Plan;
  settings: Settings;
  serving: ServingSpec;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** Called before each change to the cluster, so the record of what to undo is written first. */
  onChange?: (change: RolloutChange) => void;
  /** Pre-flight checks (namespace, RBAC, free GPUs); on unless a test provokes what they prevent. */
  preflight?: boolean;
}

/** What a change leaves to undo: a canary runs, a first version runs, stable's image is changing. */
export type PendingChange = 'canary' | 'first' | 'promotion';

export interface RolloutChange {
  /** e.g. `apply Deployment ml/resnet-canary`, `delete Service ml/resnet-canary`. */
  action: string;
  /** What is now pending, or `none` for a change that is itself part of an undo or a finish. */
  pending: PendingChange | 'none';
  /** The router whose traffic this change moves (so an undo can move it back). */
  router?: Router;
  /** With `promotion`: the image stable ran before, to return to. */
  restore?: string;
  at: number;
}

/**
 * The write-ahead record of a target's unfinished changes, built from the RolloutChanges announced
 * so far: what the undo needs to know and nothing else. Saved where the post step finds it.
 */
export interface PendingChanges {
  namespace: string;
  target: string;
  /** What to undo, in the order it was done. */
  changes: PendingChange[];
  /** Router in force: `replicas`, or `gateway-api:<route name>` whose backends we changed. */
  router?: string;
  /** The image stable ran before this run, to put back if a promotion was cut short. */
  stableImage?: string;
  /** Lease holder identity of the run that made the changes. */
  holder?: string;
  /** How the target's pods serve (port, probes), so a restored stable is rendered as it was. */
  serving?: ServingSpec;
}

/** The record after one more change (pure; the same record when the change adds nothing to undo). */
export function recordChange(record: PendingChanges, change: RolloutChange): PendingChanges {
  if (change.pending === 'none') return record;
  const router = change.router !== undefined ? routerText(change.router) : record.router;
  const stableImage = change.restore ?? record.stableImage;
  const known = record.changes.includes(change.pending);
  // Nothing new (another scale step of a canary already recorded): the same record, nothing to save.
  if (known && router === record.router && stableImage === record.stableImage) return record;
  return {
    ...record,
    changes: known ? record.changes : [...record.changes, change.pending],
    ...(router !== undefined ? { router } : {}),
    ...(stableImage !== undefined ? { stableImage } : {}),
  };
}

function routerText(router: Router): string {
  return router.kind === 'gateway-api' ? `gateway-api:${router.route}` : 'replicas';
}

function routerFrom(text: string | undefined): Router | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('gateway-api:'))
    return { kind: 'gateway-api', route: text.slice('gateway-api:'.length) };
  return { kind: 'replicas' };
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
  /** Label selector of the pods behind the canary arm, watched for crashes while it is measured. */
  canaryPods: string;
  firstDeploy: boolean;
  weightPercent: number;
  achievedPercent: number;
  index: number;
  total: number;
}

function note(
  ctx: RolloutContext,
  action: string,
  pending: RolloutChange['pending'],
  extra: Pick<RolloutChange, 'router' | 'restore'> = {},
): void {
  ctx.onChange?.({ action, pending, ...extra, at: Date.now() });
}

/** Applies one of the target's objects (kube/apply.ts: ours, or adopted with input adopt). */
function apply<T extends KubernetesObject>(ctx: RolloutContext, object: T): Promise<T> {
  return applyObject(ctx.cluster, object, { adopt: ctx.plan.adopt });
}

/**
 * Before the first change: every Deployment and Service of the target's names that exists is ours,
 * or adopted; someone else's Deployment of our name is never taken for stable.
 */
export async function checkOwnership(ctx: RolloutContext): Promise<void> {
  const { cluster, plan } = ctx;
  if (plan.adopt) return;
  const { namespace, objects } = plan;
  const read = async (kind: 'Deployment' | 'Service', name: string) => {
    const found =
      kind === 'Deployment'
        ? await unlessNotFound(cluster.apps.readNamespacedDeployment({ name, namespace }))
        : await unlessNotFound(cluster.core.readNamespacedService({ name, namespace }));
    return {
      kind,
      found,
      header: { apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: { name, namespace } },
    };
  };
  try {
    const checks = await Promise.all([
      read('Deployment', objects.stableDeployment),
      read('Deployment', objects.canaryDeployment),
      ...[...new Set([objects.service, objects.stableService, objects.canaryService])].map((name) =>
        read('Service', name),
      ),
    ]);
    const foreign = checks.find((check) => check.found !== undefined && !isOurs(check.found));
    if (foreign !== undefined) throw notOurs(foreign.header, foreign.found!);
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    throw new ClusterError(
      `namespace/${namespace}`,
      `the target's objects could not be read: ${apiMessage(error)}`,
    );
  }
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

/** `repository@sha256:…` from a pod's imageID (containerd reports `repository@sha256:…`, some runtimes a bare digest). */
export function pinnedFromImageId(image: string, imageIds: string[]): string {
  const digest = imageIds
    .map((id) => digestOf(id) ?? (isDigest(id) ? id : undefined))
    .find((d) => d !== undefined);
  return digest === undefined ? image : pinnedReference(repositoryOfReference(image), digest);
}

/**
 * Pre-flight: namespace, RBAC, and free GPUs for `extraReplicas` more pods. GPUs held by the pods
 * of `replaces` (the canary a killed attempt left, which this deploy rolls in place) count as free.
 */
export async function preflight(
  ctx: RolloutContext,
  router: Router,
  extraReplicas: number,
  gpuProduct?: string,
  replaces?: Track,
): Promise<void> {
  const { cluster, plan, settings } = ctx;
  const namespace = await ensureNamespace(cluster, plan.namespace);
  if (namespace === 'created') ctx.log(`namespace ${plan.namespace} created`);
  await checkAccess(cluster, plan.namespace, rolloutAccessNeeds(router, plan.objects));
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
    replaces !== undefined
      ? { namespace: plan.namespace, labels: trackLabels(plan.target, replaces, plan.preview) }
      : undefined,
  );
  if (capacity !== undefined) {
    ctx.log(
      `${capacity.free} ${capacity.resource} free of ${capacity.allocatable}` +
        `${capacity.heldByTarget > 0 ? ` (${capacity.heldByTarget} held by an earlier ${replaces} of this target, reused)` : ''}` +
        `; ${extraReplicas * settings.workload.gpus} needed`,
    );
  }
}

/** Deploys the canary at the first weight (or, into an empty target, the first version as stable) and waits until it serves. */
export async function deployCanary(
  ctx: RolloutContext,
  image: string,
  pull?: PullCredentials,
): Promise<CanaryState> {
  const { cluster, plan, settings, serving } = ctx;
  await checkOwnership(ctx);
  // Only a 404 means a first deploy; any other error stops the run before a change.
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const router = await resolveRouter(ctx);
  if (stable === undefined) return deployFirstVersion(ctx, image, router, undefined, pull);

  const stableImage = imageOf(stable);
  const gpuProduct =
    settings.workload.gpus > 0
      ? await stableGpuProduct(cluster, plan.namespace, trackSelector(plan.target, 'stable', plan.preview))
      : undefined;
  const weight = plan.traffic.steps[0] ?? 10;
  const canaryReplicas = canaryReplicasFor(settings.workload.replicas, weight);
  if (ctx.preflight !== false) await preflight(ctx, router, canaryReplicas, gpuProduct, 'canary');
  if (gpuProduct !== undefined) ctx.log(`canary pinned to ${gpuProduct}, the GPU stable runs on`);

  await applyPullSecret(ctx, pull, 'canary');
  note(ctx, `apply Service ${plan.namespace}/${plan.objects.canaryService}`, 'canary', { router });
  for (const role of ['user', 'stable', 'canary'] as const) {
    await apply(ctx, renderService(plan, serving, role, router.kind));
  }
  await applyPodMonitor(ctx, 'canary');
  const deployment = renderDeployment(plan, settings, serving, {
    track: 'canary',
    image,
    replicas: canaryReplicas,
    imagePullSecrets: await pullSecretsOf(cluster, plan, settings),
    ...(gpuProduct !== undefined ? { gpuProduct } : {}),
    ...(stableImage !== undefined ? { previousImage: stableImage } : {}),
  });
  note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`, 'canary');
  await apply(ctx, deployment);
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

/**
 * The target's own Deployment (track stable) and Services, applied and waited for: the first
 * version into an empty target, or a preview (updated in place on each push). `previous` is the
 * image the Deployment ran before, which an undo returns to; without one an undo removes the target.
 */
async function deployFirstVersion(
  ctx: RolloutContext,
  image: string,
  router: Router,
  previous?: string,
  pull?: PullCredentials,
): Promise<CanaryState> {
  const { plan, settings, serving } = ctx;
  ctx.log(
    plan.preview !== undefined
      ? `preview ${plan.namespace}/${plan.objects.stableDeployment} runs ${image}`
      : `no stable Deployment ${plan.namespace}/${plan.objects.stableDeployment}: first deploy, the new version becomes stable after its checks`,
  );
  await checkOwnership(ctx);
  if (ctx.preflight !== false) await preflight(ctx, router, settings.workload.replicas);
  const pending = previous === undefined ? 'first' : 'promotion';
  const restore = previous === undefined ? {} : { restore: previous };
  await applyPullSecret(ctx, pull, pending);
  note(ctx, `apply Service ${plan.namespace}/${plan.objects.service}`, pending, { router, ...restore });
  for (const role of ['user', 'stable'] as const) {
    await apply(ctx, renderService(plan, serving, role, router.kind));
  }
  await applyPodMonitor(ctx, pending);
  const available = await applyStable(ctx, image, { pending, ...restore });
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
export async function deployPreview(
  ctx: RolloutContext,
  image: string,
  pull?: PullCredentials,
): Promise<CanaryState> {
  const { cluster, plan } = ctx;
  const existing = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const state = await deployFirstVersion(ctx, image, { kind: 'replicas' }, imageOf(existing), pull);
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
  const { plan, settings, serving } = ctx;
  if (state.firstDeploy) return state;
  const canaryReplicas = canaryReplicasFor(settings.workload.replicas, weight);
  if (canaryReplicas !== state.canaryReplicas) {
    note(
      ctx,
      `scale Deployment ${plan.namespace}/${plan.objects.canaryDeployment} to ${canaryReplicas}`,
      'canary',
    );
    await apply(
      ctx,
      renderDeployment(plan, settings, serving, {
        track: 'canary',
        image: state.image,
        replicas: canaryReplicas,
        imagePullSecrets: await pullSecretsOf(ctx.cluster, plan, settings),
        ...(state.stableImage !== undefined ? { previousImage: state.stableImage } : {}),
        ...(state.gpuProduct !== undefined ? { gpuProduct: state.gpuProduct } : {}),
      }),
    );
    await waitForTrack(ctx, 'canary', state.image);
  }
  let achievedPercent: number;
  if (state.router.kind === 'gateway-api') {
    note(ctx, `route HTTPRoute ${plan.namespace}/${state.router.route} ${weight}% to canary`, 'canary', {
      router: state.router,
    });
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

/** The arm Services and weight the analysis of step `index` measures. */
export function canaryStep(ctx: RolloutContext, state: CanaryState, index: number): CanaryStep {
  const { plan } = ctx;
  return {
    namespace: plan.namespace,
    stableService: plan.objects.stableService,
    canaryService: state.firstDeploy ? plan.objects.stableService : plan.objects.canaryService,
    canaryPods: trackSelector(plan.target, state.firstDeploy ? 'stable' : 'canary', plan.preview),
    firstDeploy: state.firstDeploy,
    weightPercent: state.weightPercent,
    achievedPercent: state.achievedPercent,
    index,
    total: state.firstDeploy ? 1 : plan.traffic.steps.length,
  };
}

/**
 * Promotes: stable takes the canary's exact image digest, traffic returns to stable, canary objects
 * go. If stable does not become available on it, the error is thrown with the promotion recorded,
 * so the undo returns stable to its previous image.
 */
export async function promoteCanary(ctx: RolloutContext, state?: CanaryState): Promise<string> {
  const { cluster, plan } = ctx;
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
  const digest = digestOf(pinned);
  await applyStable(
    ctx,
    pinned,
    { pending: 'promotion', ...(previousImage !== undefined ? { restore: previousImage } : {}) },
    {
      ...(previousImage !== undefined ? { previousImage } : {}),
      ...(digest !== undefined ? { imageDigest: digest } : {}),
    },
  );
  const router = state?.router ?? (await resolveRouter(ctx));
  await removeCanary(ctx, router);
  ctx.log(`promoted: stable ${plan.objects.stableDeployment} runs ${pinned}`);
  return pinned;
}

async function pinnedImageOfPods(ctx: RolloutContext, image: string): Promise<string> {
  const pods = await ctx.cluster.core.listNamespacedPod({
    namespace: ctx.plan.namespace,
    labelSelector: trackSelector(ctx.plan.target, 'canary', ctx.plan.preview),
  });
  return pinnedFromImageId(image, modelImageIds(pods.items));
}

/** Puts stable back on `image` and waits until it serves it (an undo's step unless `change` says otherwise). */
async function restoreStable(
  ctx: RolloutContext,
  image: string,
  change: Pick<RolloutChange, 'pending' | 'restore'> = { pending: 'none' },
): Promise<void> {
  const { plan, cluster } = ctx;
  const current = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  const previous = current?.metadata?.annotations?.[ANNOTATIONS.previousImage];
  await applyStable(
    ctx,
    image,
    change,
    previous !== undefined && previous !== image ? { previousImage: imageOf(current)! } : {},
  );
}

/**
 * Applies stable's Deployment on `image` (announced first as `change`) and waits until it serves it.
 * Every change of stable's image — first version, preview, promotion, restore — goes through here.
 */
async function applyStable(
  ctx: RolloutContext,
  image: string,
  change: Pick<RolloutChange, 'pending' | 'restore'>,
  arm: Pick<ArmSpec, 'previousImage' | 'imageDigest'> = {},
): Promise<RolloutResult> {
  const { plan, settings, serving } = ctx;
  note(
    ctx,
    `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment} image ${image}`,
    change.pending,
    change.restore !== undefined ? { restore: change.restore } : {},
  );
  await apply(
    ctx,
    renderDeployment(plan, settings, serving, {
      track: 'stable',
      image,
      replicas: settings.workload.replicas,
      // Every render of stable names the same secrets: server-side apply would drop a field left out.
      imagePullSecrets: await pullSecretsOf(ctx.cluster, plan, settings),
      ...arm,
    }),
  );
  return waitForTrack(ctx, 'stable', image);
}

/** Restores traffic to stable and deletes every canary object of the target (found by label). */
export async function removeCanary(ctx: RolloutContext, router: Router | undefined): Promise<void> {
  const { plan } = ctx;
  if (router?.kind === 'gateway-api') {
    note(ctx, `restore HTTPRoute ${plan.namespace}/${router.route}`, 'none');
    await restoreRoute(ctx, router.route);
  }
  await deleteLabelled(ctx, trackSelector(plan.target, 'canary', plan.preview));
}

/** Deletes every object of the target (a first version or a preview), found by its labels, and our pull secret. */
export async function removeTarget(ctx: RolloutContext): Promise<void> {
  const { cluster, plan } = ctx;
  await deleteLabelled(ctx, ownerSelector(plan.target, plan.preview), true);
  // By name, not by listing: a Role need not allow listing Secrets; only one with our label goes,
  // pinned by the uid it was read with.
  const secret =
    ctx.settings.workload.imagePullSecret === undefined ? await ourPullSecret(cluster, plan) : undefined;
  if (secret !== undefined) {
    note(ctx, `delete Secret ${plan.namespace}/${pullSecretName(plan)}`, 'none');
    await deleteObject(cluster, { ...secret, apiVersion: 'v1', kind: 'Secret' });
  }
}

/**
 * Applies our pull secret from the credentials the image was pushed with (announced first as
 * `pending`, so an undo of a first version removes it). Nothing when the user names their own
 * Secret (input image-pull-secret) or the registry pulls without credentials (`pull` undefined).
 */
async function applyPullSecret(
  ctx: RolloutContext,
  pull: PullCredentials | undefined,
  pending: PendingChange,
): Promise<void> {
  const { cluster, plan } = ctx;
  if (pull === undefined || ctx.settings.workload.imagePullSecret !== undefined) return;
  note(ctx, `apply Secret ${plan.namespace}/${pullSecretName(plan)}`, pending);
  await applyObject(cluster, renderPullSecret(plan, pull));
  ctx.log(
    `image pull secret ${pullSecretName(plan)}: ${pull.registry} needs credentials to pull; both arms use it`,
  );
}

/** Whether the cluster serves the Prometheus Operator's PodMonitor (its CRDs are installed). */
async function servesPodMonitors(ctx: RolloutContext): Promise<boolean> {
  try {
    // Protected in client-node; list() and read() resolve kinds through it the same way.
    const discovery = ctx.cluster.objects as unknown as {
      resource(apiVersion: string, kind: string): Promise<unknown>;
    };
    return (await discovery.resource(POD_MONITOR.apiVersion, POD_MONITOR.kind)) !== undefined;
  } catch (error) {
    if (statusOf(error) !== 404)
      ctx.warn(`could not tell whether the cluster serves PodMonitors: ${apiMessage(error)}`);
    return false;
  }
}

/**
 * The target's PodMonitor (manifests.ts), when the cluster serves PodMonitors and the server's
 * metrics endpoint is known. Monitoring is an addition to a rollout, never a condition of it: one
 * that cannot be applied (a Role without the PodMonitor rule of examples/rbac) is a warning.
 */
async function applyPodMonitor(ctx: RolloutContext, pending: PendingChange): Promise<void> {
  const { plan } = ctx;
  const monitor = renderPodMonitor(plan, ctx.serving);
  if (monitor === undefined || !(await servesPodMonitors(ctx))) return;
  note(ctx, `apply PodMonitor ${plan.namespace}/${monitor.metadata!.name}`, pending);
  try {
    await apply(ctx, monitor);
    ctx.log(`PodMonitor ${plan.namespace}/${monitor.metadata!.name}: Prometheus scrapes both arms' metrics`);
  } catch (error) {
    ctx.warn(
      `PodMonitor ${plan.namespace}/${monitor.metadata!.name} not applied, so the Prometheus Operator does not scrape the pods (their prometheus.io annotations remain): ${(error as Error).message}`,
    );
  }
}

/** Our PodMonitors matching `selector`, when the cluster serves PodMonitors; a refused list is a warning. */
async function labelledPodMonitors(
  ctx: RolloutContext,
  selector: string,
): Promise<(KubernetesObject & { metadata: V1ObjectMeta })[]> {
  if (!(await servesPodMonitors(ctx))) return [];
  try {
    const list = await ctx.cluster.objects.list(
      POD_MONITOR.apiVersion,
      POD_MONITOR.kind,
      ctx.plan.namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    return list.items.map((item) => ({ ...POD_MONITOR, metadata: item.metadata! }));
  } catch (error) {
    ctx.warn(`could not list PodMonitors (${selector}) to delete ours: ${apiMessage(error)}`);
    return [];
  }
}

/**
 * Deletes our Deployments and Services matching `selector`, and our PodMonitors with
 * `podMonitors` (a target's clean-up: the PodMonitor carries no track, so a canary's never needs it).
 */
async function deleteLabelled(ctx: RolloutContext, selector: string, podMonitors = false): Promise<void> {
  const { cluster, plan } = ctx;
  const deployments = (
    await cluster.apps.listNamespacedDeployment({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  const services = (
    await cluster.core.listNamespacedService({ namespace: plan.namespace, labelSelector: selector })
  ).items;
  // Listed with their labels and uids: deleteObject deletes exactly these, and only if ours.
  for (const object of [
    ...deployments.map((d) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata! })),
    ...services.map((s) => ({ apiVersion: 'v1', kind: 'Service', metadata: s.metadata! })),
    ...(podMonitors ? await labelledPodMonitors(ctx, selector) : []),
  ]) {
    note(ctx, `delete ${object.kind} ${plan.namespace}/${object.metadata.name}`, 'none');
    await deleteObject(cluster, object);
  }
}

/**
 * The one undo: puts the target back as it was before the recorded changes — a first version (or a
 * new preview) removed; stable returned to its previous image if a promotion was under way; traffic
 * back on stable and every canary object deleted. Idempotent, so a retry or a later run converges.
 */
export async function undoChanges(ctx: RolloutContext, record: PendingChanges, cause: string): Promise<void> {
  const { cluster, plan } = ctx;
  ctx.log(`reverting: ${cause}`);
  if (record.changes.includes('first')) {
    await removeTarget(ctx);
    ctx.log('reverted: nothing of this target remains');
    return;
  }
  if (record.changes.includes('promotion') && record.stableImage !== undefined) {
    ctx.log(`the promotion was cut short; stable returns to ${record.stableImage}`);
    await restoreStable(ctx, record.stableImage);
  }
  const router = routerFrom(record.router) ?? (await resolveRouter(ctx).catch(() => undefined));
  await removeCanary(ctx, router);
  const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
  ctx.log(
    stable
      ? `reverted: stable ${plan.objects.stableDeployment} keeps ${imageOf(stable)}`
      : 'reverted: nothing of this target remains',
  );
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
  // Recorded as a promotion of its own: cut short, the undo returns stable to the image it had.
  await restoreStable(ctx, previous, { pending: 'promotion', restore: imageOf(stable)! });
  ctx.log(`reverted the last promotion: stable runs ${previous} again`);
  return previous;
}
