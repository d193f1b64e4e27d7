/**
 * The canary rollout, reconciling toward a desired state at each step so that any step can be
 * repeated after a crash: deploy the canary beside stable (or the first version, into an empty
 * namespace), move the traffic weight, then promote. Every change is announced before it is made
 * (`onChange`), so the record of pending changes always covers what was done, and `undoChanges`
 * — the one undo, used after a failure, a failed preview and by the post step — puts the target
 * back from that record alone. Everything it creates carries our labels; clean-up finds objects by
 * label, never by memory.
 */
import {
  PatchStrategy,
  type KubernetesObject,
  type V1Deployment,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import { digestOf, isDigest, pinnedReference, repositoryOfReference } from '../registry/image-ref.ts';
import { applyObject, deleteObject, isOurs, notOurs } from './apply.ts';
import { findAutoscaler } from './autoscaler.ts';
import { apiMessage, statusOf, unlessNotFound, type Cluster } from './cluster.ts';
import {
  decideBudget,
  largestSpareCanary,
  movesBetween,
  restoreStableMoves,
  stepReplicas,
  switchImage,
  type ArmReplicas,
  type Autoscaler,
  type BudgetDecision,
  type ReplicaMove,
} from './gpu-budget.ts';
import {
  ANNOTATIONS,
  FIELD_MANAGER,
  GPU_PRODUCT_LABEL,
  HANDOVER_FIELD_MANAGER,
  ownerSelector,
  POD_MONITOR,
  trackLabels,
  trackSelector,
  type Track,
} from './labels.ts';
import {
  achievedShare,
  budgetFromAnnotation,
  renderDeployment,
  renderPodMonitor,
  renderService,
  type ArmSpec,
  type ServingSpec,
} from './manifests.ts';
import {
  capacityShortfall,
  checkAccess,
  checkGpuCapacity,
  ensureNamespace,
  readGpuCapacity,
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
import { parseQuantity } from './quantities.ts';
import { modelImageIds, waitForPodsGone, waitForRollout, type RolloutResult } from './rollout-watch.ts';
import { restoreRoute, resolveRouter, routeCanaryWeight, type Router } from './traffic.ts';

/** What a rollout needs besides the cluster: the plan, settings, serving preset and a log. */
export interface RolloutContext {
  cluster: Cluster;
  plan: Plan;
  settings: Settings;
  serving: ServingSpec;
  log: (line: string) => void;
  warn: (line: string) => void;
  /**
   * Called before each change to the cluster, so the record of what to undo is written first (on
   * the step state and the Lease); the change waits for it, and is not made when it throws.
   */
  onChange?: (change: RolloutChange) => Promise<void>;
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

/** A router as the record of pending changes writes it. */
export function routerText(router: Router): string {
  return router.kind === 'gateway-api' ? `gateway-api:${router.route}` : 'replicas';
}

/** The router a record names (`replicas`, `gateway-api:<route>`). */
export function routerFrom(text: string | undefined): Router | undefined {
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
  /** Stable's replicas now: fewer than before the run while gpu-budget shift lends them to the canary. */
  stableReplicas: number;
  /** Where the canary's GPUs come from (input gpu-budget, resolved); none on a first deploy. */
  budget?: BudgetDecision;
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

/** Announces a change before it is made, so the record of pending changes covers it (onChange). */
export async function note(
  ctx: RolloutContext,
  action: string,
  pending: RolloutChange['pending'],
  extra: Pick<RolloutChange, 'router' | 'restore'> = {},
): Promise<void> {
  await ctx.onChange?.({ action, pending, ...extra, at: Date.now() });
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

/** The namespace exists (or is created) and RBAC allows every verb the rollout uses. */
async function checkNamespaceAndAccess(ctx: RolloutContext, router: Router): Promise<void> {
  const { cluster, plan } = ctx;
  const namespace = await ensureNamespace(cluster, plan.namespace);
  if (namespace === 'created') ctx.log(`namespace ${plan.namespace} created`);
  await checkAccess(cluster, plan.namespace, rolloutAccessNeeds(router, plan.objects));
}

/** Pre-flight of a first version or a preview: namespace, RBAC, and free GPUs for `replicas` pods. */
async function preflight(ctx: RolloutContext, router: Router, replicas: number): Promise<void> {
  const { cluster, settings } = ctx;
  await checkNamespaceAndAccess(ctx, router);
  const needed = replicas * settings.workload.gpus;
  const capacity = await checkGpuCapacity(
    cluster,
    settings.workload.gpuResource,
    needed,
    gpuSelector(ctx, undefined),
    ctx.warn,
  );
  if (capacity !== undefined) {
    ctx.log(`${capacity.free} ${capacity.resource} free of ${capacity.allocatable}; ${needed} needed`);
  }
}

/**
 * The canary's pre-flight: namespace and RBAC, the autoscaler that may own stable's replicas, and
 * the GPU budget (input gpu-budget) from the free GPUs counted. `stableReplicas` is what stable
 * held before this rollout (a killed attempt's canary keeps it). Refuses, before any change, a
 * budget that cannot work.
 */
async function budgetPreflight(
  ctx: RolloutContext,
  router: Router,
  stable: V1Deployment,
  stableReplicas: number,
  gpuProduct: string | undefined,
): Promise<BudgetDecision> {
  const { cluster, plan, settings } = ctx;
  const { gpus, gpuResource } = settings.workload;
  const checked = ctx.preflight !== false;
  if (checked) await checkNamespaceAndAccess(ctx, router);
  const autoscaler = await findAutoscaler(cluster, plan.namespace, plan.objects.stableDeployment);
  const capacity =
    checked && gpus > 0
      ? await readGpuCapacity(cluster, gpuResource, gpuSelector(ctx, gpuProduct), ctx.warn, {
          namespace: plan.namespace,
          labels: trackLabels(plan.target, 'canary', plan.preview),
        })
      : undefined;
  const decision = decideBudget({
    // Without the pre-flight nothing was counted: auto adds the canary as spare did before budgets.
    asked: !checked && settings.traffic.gpuBudget === 'auto' ? 'spare' : settings.traffic.gpuBudget,
    steps: plan.traffic.steps,
    stableReplicas,
    gpusPerReplica: gpus,
    stableGpusPerReplica: gpusOfPod(stable, gpuResource),
    maxExtraGpus: settings.traffic.maxExtraGpus,
    ...(capacity !== undefined ? { freeGpus: capacity.free } : {}),
    ...(autoscaler !== undefined ? { autoscaler } : {}),
  });
  const needed = largestSpareCanary(stableReplicas, plan.traffic.steps) * gpus;
  if ('refused' in decision) {
    // Spare did not fit either: what the node holds comes first.
    const shortfall =
      capacity !== undefined && settings.traffic.gpuBudget === 'auto'
        ? `${capacityShortfall(capacity, needed, gpuSelector(ctx, gpuProduct))}; and `
        : '';
    throw new ClusterError(gpuResource, `${shortfall}${decision.refused}`);
  }
  if (decision.mode === 'spare' && capacity !== undefined && capacity.free < needed) {
    throw new ClusterError(gpuResource, capacityShortfall(capacity, needed, gpuSelector(ctx, gpuProduct)));
  }
  if (autoscaler !== undefined) {
    ctx.log(
      `${autoscaler.kind} ${plan.namespace}/${autoscaler.name} owns stable's replicas (${stableReplicas} now): ` +
        'the canary is sized from them and the rollout never sets them',
    );
  }
  if (capacity !== undefined) {
    ctx.log(
      `${capacity.free} ${gpuResource} free of ${capacity.allocatable}` +
        `${capacity.heldByTarget > 0 ? ` (${capacity.heldByTarget} held by an earlier canary of this target, reused)` : ''}`,
    );
  }
  if (gpus > 0) ctx.log(`GPU budget ${decision.mode}: ${decision.reason}; ${budgetLine(ctx, decision)}`);
  return decision;
}

/** GPUs one pod of the Deployment asks for (limits, else requests, of every container). */
function gpusOfPod(deployment: V1Deployment, resource: string): number {
  return (deployment.spec?.template.spec?.containers ?? []).reduce((sum, container) => {
    const value = container.resources?.limits?.[resource] ?? container.resources?.requests?.[resource];
    return sum + (value === undefined ? 0 : (parseQuantity(value) ?? 0));
  }, 0);
}

/** What a budget allows, for the log: at most so many pods, and GPUs, at once. */
function budgetLine(ctx: RolloutContext, budget: BudgetDecision): string {
  const { gpus, gpuResource } = ctx.settings.workload;
  const first = stepReplicas(budget, ctx.plan.traffic.steps[0] ?? 10);
  return (
    `at most ${budget.replicaSlots} pod(s) × ${gpus} ${gpuResource} = ${budget.replicaSlots * gpus} at once; ` +
    `first step: stable ${budget.stableReplicas} → ${first.stable}, canary ${first.canary}`
  );
}

/** The nodes the target's GPU pods may run on: node-selector, and stable's GPU product when pinned. */
function gpuSelector(ctx: RolloutContext, gpuProduct: string | undefined): Record<string, string> {
  return {
    ...ctx.settings.workload.nodeSelector,
    ...(gpuProduct !== undefined ? { [GPU_PRODUCT_LABEL]: gpuProduct } : {}),
  };
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
  const stableNow = stable.spec?.replicas ?? 1;
  // A killed attempt's canary knows what stable held before that attempt lent replicas to it.
  const leftover = await readDeployment(cluster, plan.namespace, plan.objects.canaryDeployment);
  const before = budgetFromAnnotation(leftover?.metadata?.annotations?.[ANNOTATIONS.gpuBudget]);
  const budget = await budgetPreflight(ctx, router, stable, before?.stableReplicas ?? stableNow, gpuProduct);
  if (gpuProduct !== undefined) ctx.log(`canary pinned to ${gpuProduct}, the GPU stable runs on`);

  await applyPullSecret(ctx, pull, 'canary');
  await note(ctx, `apply Service ${plan.namespace}/${plan.objects.canaryService}`, 'canary', { router });
  for (const role of ['user', 'stable', 'canary'] as const) {
    await apply(ctx, renderService(plan, serving, role, router.kind));
  }
  // Created with no pods, carrying the budget, before stable lends it any: an undo from here on
  // finds on it how many replicas stable had.
  const deployment = renderDeployment(plan, settings, serving, {
    track: 'canary',
    image,
    replicas: 0,
    budget,
    imagePullSecrets: await pullSecretsOf(cluster, plan, settings),
    ...(gpuProduct !== undefined ? { gpuProduct } : {}),
    ...(stableImage !== undefined ? { previousImage: stableImage } : {}),
  });
  await note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`, 'canary');
  await apply(ctx, deployment);
  if ((leftover?.spec?.replicas ?? 0) > 0) {
    // A killed attempt's canary pods hold GPUs the moves below count as free.
    await waitForPodsGone(cluster, {
      namespace: plan.namespace,
      podSelector: trackSelector(plan.target, 'canary', plan.preview),
      atMost: 0,
      what: `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`,
    });
  }
  const first = stepReplicas(budget, weight);
  ctx.log(`canary ${plan.objects.canaryDeployment}: ${first.canary} replica(s) of ${image}`);
  const moved = await moveArms(
    ctx,
    { stable: stableNow, canary: 0 },
    movesBetween({ stable: stableNow, canary: 0 }, first),
    { pending: 'canary', images: { stable: stableImage, canary: image } },
  );
  const available = moved.canaryAvailable ?? (await waitForTrack(ctx, 'canary', image));
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
    canaryReplicas: moved.replicas.canary,
    stableReplicas: moved.replicas.stable,
    budget,
    ...(gpuProduct !== undefined ? { gpuProduct } : {}),
    available,
  };
  return setCanaryWeight(ctx, state, weight);
}

/** How moveArms announces its changes, which images the arms' pods run, and whose route follows. */
interface MoveOptions {
  pending: RolloutChange['pending'];
  images: { stable?: string | undefined; canary?: string | undefined };
  /** A Gateway API route whose weights follow the replica ratio after each move (promotion, undo). */
  follow?: Router;
}

/**
 * Makes the moves in order, each through the Deployment's scale subresource (stable is never
 * re-rendered to resize it, which would roll its pods): a scale-down waits until its pods are gone
 * and their GPUs free, a scale-up until the pods serve. With `follow`, the route sends each arm
 * its share of pods: before a scale-down, after a scale-up.
 */
async function moveArms(
  ctx: RolloutContext,
  from: ArmReplicas,
  moves: readonly ReplicaMove[],
  options: MoveOptions,
): Promise<{ replicas: ArmReplicas; canaryAvailable?: RolloutResult }> {
  const { plan } = ctx;
  let replicas = { ...from };
  let canaryAvailable: RolloutResult | undefined;
  const route = async (arms: ArmReplicas): Promise<void> => {
    if (options.follow?.kind !== 'gateway-api') return;
    const weight = Math.round(achievedShare(arms.stable, arms.canary) * 100);
    note(
      ctx,
      `route HTTPRoute ${plan.namespace}/${options.follow.route} ${weight}% to canary`,
      options.pending,
      {
        router: options.follow,
      },
    );
    await routeCanaryWeight(ctx, options.follow.route, weight);
  };
  for (const move of moves) {
    const after = { ...replicas, [move.track]: move.replicas };
    const down = move.replicas < replicas[move.track];
    if (down) await route(after);
    await scaleArm(ctx, move.track, move.replicas, options.pending);
    if (down) {
      await waitForPodsGone(ctx.cluster, {
        namespace: plan.namespace,
        podSelector: trackSelector(plan.target, move.track, plan.preview),
        atMost: move.replicas,
        what: `Deployment ${plan.namespace}/${deploymentOf(plan, move.track)}`,
      });
    } else {
      const image = options.images[move.track];
      if (image === undefined) throw new Error(`no image known for the ${move.track} scale-up`);
      const result = await waitForTrack(ctx, move.track, image);
      if (move.track === 'canary') canaryAvailable = result;
      await route(after);
    }
    ctx.log(`${move.track} ${deploymentOf(plan, move.track)}: ${move.replicas} replica(s)`);
    replicas = after;
  }
  return { replicas, ...(canaryAvailable !== undefined ? { canaryAvailable } : {}) };
}

function describeMoves(moves: readonly ReplicaMove[]): string {
  return moves.map((move) => `${move.track} to ${move.replicas}`).join(', then ');
}

function deploymentOf(plan: Plan, track: Track): string {
  return track === 'stable' ? plan.objects.stableDeployment : plan.objects.canaryDeployment;
}

/** Sets one arm's replicas through its scale subresource, announced first. */
async function scaleArm(
  ctx: RolloutContext,
  track: Track,
  replicas: number,
  pending: RolloutChange['pending'],
): Promise<void> {
  const { cluster, plan } = ctx;
  const name = deploymentOf(plan, track);
  await note(ctx, `scale Deployment ${plan.namespace}/${name} to ${replicas}`, pending);
  try {
    await cluster.apps.replaceNamespacedDeploymentScale({
      name,
      namespace: plan.namespace,
      body: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name, namespace: plan.namespace },
        spec: { replicas },
      },
      fieldManager: FIELD_MANAGER,
    });
  } catch (error) {
    throw new ClusterError(
      `Deployment ${plan.namespace}/${name}`,
      `could not be scaled to ${replicas}: ${apiMessage(error)}`,
    );
  }
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
  await note(ctx, `apply Service ${plan.namespace}/${plan.objects.service}`, pending, { router, ...restore });
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
    stableReplicas: settings.workload.replicas,
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
  const { plan } = ctx;
  if (state.firstDeploy || state.budget === undefined) return state;
  const current = { stable: state.stableReplicas, canary: state.canaryReplicas };
  const { replicas } = await moveArms(
    ctx,
    current,
    movesBetween(current, stepReplicas(state.budget, weight)),
    {
      pending: 'canary',
      images: { stable: state.stableImage, canary: state.image },
    },
  );
  const { stable: stableReplicas, canary: canaryReplicas } = replicas;
  let achievedPercent: number;
  if (state.router.kind === 'gateway-api') {
    await note(
      ctx,
      `route HTTPRoute ${plan.namespace}/${state.router.route} ${weight}% to canary`,
      'canary',
      {
        router: state.router,
      },
    );
    await routeCanaryWeight(ctx, state.router.route, weight);
    achievedPercent = weight;
    ctx.log(`HTTPRoute ${state.router.route}: ${100 - weight}% stable, ${weight}% canary`);
  } else {
    achievedPercent = Math.round(achievedShare(stableReplicas, canaryReplicas) * 1000) / 10;
    ctx.log(
      `traffic by replicas: ${stableReplicas} stable + ${canaryReplicas} canary pod(s) behind Service ` +
        `${plan.objects.service}, so the canary gets about ${achievedPercent}% of requests` +
        (Math.abs(achievedPercent - weight) >= 1
          ? ` (asked ${weight}%: replica counts allow no finer split)`
          : ''),
    );
  }
  return { ...state, weightPercent: weight, achievedPercent, canaryReplicas, stableReplicas };
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
 * Promotes: stable takes the canary's exact image digest, grows back to its replicas (taking the
 * canary's within the GPU budget), traffic returns to stable, canary objects go. If stable does not
 * become available on it, the error is thrown with the promotion recorded, so the undo returns
 * stable to its previous image and replicas.
 */
export async function promoteCanary(ctx: RolloutContext, state?: CanaryState): Promise<string> {
  const { plan, settings } = ctx;
  if (state?.firstDeploy === true) {
    ctx.log(`first version ${state.pinnedImage} is now stable`);
    return state.pinnedImage;
  }
  const arms = await readArms(ctx, state?.budget);
  if (arms.canary === undefined)
    throw new ClusterError(
      `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`,
      'there is no canary to promote',
    );
  const canaryImage = imageOf(arms.canary)!;
  const pinned = state?.pinnedImage ?? (await pinnedImageOfPods(ctx, canaryImage));
  const previousImage = imageOf(arms.stable);
  const digest = digestOf(pinned);
  const router = state?.router ?? (await resolveRouter(ctx));
  const switched = await switchStable(
    ctx,
    arms,
    pinned,
    { pending: 'promotion', ...(previousImage !== undefined ? { restore: previousImage } : {}) },
    {
      ...(previousImage !== undefined ? { previousImage } : {}),
      ...(digest !== undefined ? { imageDigest: digest } : {}),
    },
    router,
  );
  // The input's replicas, unless an autoscaler owns them.
  if (arms.autoscaler === undefined) {
    await moveArms(
      ctx,
      switched,
      restoreStableMoves(switched, settings.workload.replicas, slotsOf(ctx, arms, switched)),
      { pending: 'promotion', images: { stable: pinned, canary: canaryImage }, follow: router },
    );
  }
  await removeCanary(ctx, router);
  ctx.log(`promoted: stable ${plan.objects.stableDeployment} runs ${pinned}`);
  return pinned;
}

/** Both Deployments as they are, their replicas, the rollout's budget, and who owns stable's replicas. */
interface Arms {
  stable?: V1Deployment;
  canary?: V1Deployment;
  replicas: ArmReplicas;
  budget?: BudgetDecision;
  autoscaler?: Autoscaler;
}

/**
 * Reads both arms. The budget is the run's, else the one the canary Deployment keeps; without
 * either (no canary left, or one from before budgets), the autoscaler is looked up afresh, and a
 * failure to list autoscalers is a warning: an undo must not stop on it.
 */
async function readArms(ctx: RolloutContext, budget?: BudgetDecision): Promise<Arms> {
  const { cluster, plan } = ctx;
  const [stable, canary] = await Promise.all([
    readDeployment(cluster, plan.namespace, plan.objects.stableDeployment),
    readDeployment(cluster, plan.namespace, plan.objects.canaryDeployment),
  ]);
  const kept = budget ?? budgetFromAnnotation(canary?.metadata?.annotations?.[ANNOTATIONS.gpuBudget]);
  const autoscaler =
    kept !== undefined
      ? kept.autoscaler
      : await findAutoscaler(cluster, plan.namespace, plan.objects.stableDeployment).catch(
          (error: unknown) => {
            ctx.warn(`${(error as Error).message}; stable's replicas are set as if no autoscaler owned them`);
            return undefined;
          },
        );
  return {
    ...(stable !== undefined ? { stable } : {}),
    ...(canary !== undefined ? { canary } : {}),
    replicas: { stable: stable?.spec?.replicas ?? 0, canary: canary?.spec?.replicas ?? 0 },
    ...(kept !== undefined ? { budget: kept } : {}),
    ...(autoscaler !== undefined ? { autoscaler } : {}),
  };
}

/**
 * The pods both arms may hold at once: the budget's, never fewer than they hold now. CPU pods
 * have no GPU budget: stable surges as it always did.
 */
function slotsOf(ctx: RolloutContext, arms: Arms, now: ArmReplicas): number {
  if (ctx.settings.workload.gpus === 0) return Infinity;
  return Math.max(arms.budget?.replicaSlots ?? 0, now.stable + now.canary);
}

/**
 * Stable onto `image` within the GPU budget (promotion, or an undo of one): a slot freed from the
 * canary first when stable has one pod and no slot is free, then stable's pods replaced one by one
 * (a surge pod when a slot is free). Its replicas stay as they are. Returns both arms' replicas.
 */
async function switchStable(
  ctx: RolloutContext,
  arms: Arms,
  image: string,
  change: Pick<RolloutChange, 'pending' | 'restore'>,
  arm: Pick<ArmSpec, 'previousImage' | 'imageDigest'>,
  router: Router | undefined,
): Promise<ArmReplicas> {
  const slots = slotsOf(ctx, arms, arms.replicas);
  const strict = arms.budget?.mode === 'shift' && arms.autoscaler === undefined && slots !== Infinity;
  const { before, rollingUpdate } = switchImage(arms.replicas, slots, strict);
  if (before.length > 0)
    ctx.log(`stable changes image within ${slots} pod(s): first ${describeMoves(before)}`);
  const { replicas } = await moveArms(ctx, arms.replicas, before, {
    pending: change.pending,
    images: { stable: imageOf(arms.stable), canary: imageOf(arms.canary) },
    ...(router !== undefined ? { follow: router } : {}),
  });
  await applyStable(
    ctx,
    image,
    change,
    {
      ...arm,
      // An autoscaler's replicas are left out of the apply; ours are kept as the scale left them.
      replicas:
        arms.autoscaler !== undefined
          ? undefined
          : arms.stable === undefined
            ? ctx.settings.workload.replicas
            : replicas.stable,
      ...(ctx.settings.workload.gpus > 0 ? { rollingUpdate } : {}),
    },
    arms,
  );
  if (ctx.settings.workload.gpus > 0 && arms.autoscaler === undefined && arms.stable !== undefined) {
    // The rolled-out pods hold their GPUs while they terminate; the moves after this need them.
    await waitForPodsGone(ctx.cluster, {
      namespace: ctx.plan.namespace,
      podSelector: trackSelector(ctx.plan.target, 'stable', ctx.plan.preview),
      atMost: replicas.stable,
      what: `Deployment ${ctx.plan.namespace}/${ctx.plan.objects.stableDeployment}`,
    });
  }
  return replicas;
}

async function pinnedImageOfPods(ctx: RolloutContext, image: string): Promise<string> {
  const pods = await ctx.cluster.core.listNamespacedPod({
    namespace: ctx.plan.namespace,
    labelSelector: trackSelector(ctx.plan.target, 'canary', ctx.plan.preview),
  });
  return pinnedFromImageId(image, modelImageIds(pods.items));
}

/**
 * Puts stable back on `image` within the GPU budget and waits until it serves it (an undo's step
 * unless `change` says otherwise). Returns both arms' replicas after it.
 */
async function restoreStable(
  ctx: RolloutContext,
  arms: Arms,
  image: string,
  router: Router | undefined,
  change: Pick<RolloutChange, 'pending' | 'restore'> = { pending: 'none' },
): Promise<ArmReplicas> {
  const previous = arms.stable?.metadata?.annotations?.[ANNOTATIONS.previousImage];
  return switchStable(
    ctx,
    arms,
    image,
    change,
    previous !== undefined && previous !== image ? { previousImage: imageOf(arms.stable)! } : {},
    router,
  );
}

/**
 * Applies stable's Deployment on `image` (announced first as `change`) and waits until it serves it.
 * Every change of stable's image — first version, preview, promotion, restore — goes through here.
 * `arm.replicas` undefined with `arms` given: an autoscaler owns them, and they are handed over.
 */
async function applyStable(
  ctx: RolloutContext,
  image: string,
  change: Pick<RolloutChange, 'pending' | 'restore'>,
  arm: StableArm = {},
  arms?: Arms,
): Promise<RolloutResult> {
  const replicas = arms === undefined ? (arm.replicas ?? ctx.settings.workload.replicas) : arm.replicas;
  if (replicas === undefined && arms?.stable !== undefined) await handOverReplicas(ctx, arms.stable);
  const deployment = await renderStable(ctx, image, { ...arm, replicas });
  return applyStableDeployment(ctx, deployment, image, change);
}

/** What a change of stable sets beside its image; `replicas` undefined: an autoscaler owns them. */
type StableArm = Pick<ArmSpec, 'previousImage' | 'imageDigest' | 'rollingUpdate'> & { replicas?: number };

/** Stable's Deployment on `image`, as every change of stable's image applies it. */
export async function renderStable(
  ctx: RolloutContext,
  image: string,
  arm: StableArm = { replicas: ctx.settings.workload.replicas },
): Promise<V1Deployment & { apiVersion: string; kind: string }> {
  const { plan, settings, serving } = ctx;
  return renderDeployment(plan, settings, serving, {
    track: 'stable',
    image,
    replicas: arm.replicas,
    // Every render of stable names the same secrets: server-side apply would drop a field left out.
    imagePullSecrets: await pullSecretsOf(ctx.cluster, plan, settings),
    ...(arm.previousImage !== undefined ? { previousImage: arm.previousImage } : {}),
    ...(arm.imageDigest !== undefined ? { imageDigest: arm.imageDigest } : {}),
    ...(arm.rollingUpdate !== undefined ? { rollingUpdate: arm.rollingUpdate } : {}),
  });
}

/**
 * Applies stable's rendered Deployment, whose model container runs `image` (announced first as
 * `change`), and waits until it serves it; a paused canary's promotion brings the one it rendered.
 */
export async function applyStableDeployment(
  ctx: RolloutContext,
  deployment: V1Deployment & { apiVersion: string; kind: string },
  image: string,
  change: Pick<RolloutChange, 'pending' | 'restore'>,
): Promise<RolloutResult> {
  const { plan } = ctx;
  note(
    ctx,
    `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment} image ${image}`,
    change.pending,
    change.restore !== undefined ? { restore: change.restore } : {},
  );
  await apply(ctx, deployment);
  return waitForTrack(ctx, 'stable', image);
}

/**
 * Before our apply leaves stable's replicas out: while our apply owns the field, leaving it out
 * would reset it to 1. Applied once by a second field manager with the count in force, the field
 * keeps its value when ours lets go; a conflict means the autoscaler owns it already.
 */
async function handOverReplicas(ctx: RolloutContext, stable: V1Deployment): Promise<void> {
  const { cluster, plan } = ctx;
  const ownedByOurApply = (stable.metadata?.managedFields ?? []).some(
    (entry) =>
      entry.manager === FIELD_MANAGER &&
      entry.operation === 'Apply' &&
      (entry.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'] !==
        undefined,
  );
  if (!ownedByOurApply || stable.spec?.replicas === undefined) return;
  const name = plan.objects.stableDeployment;
  await note(ctx, `hand the replicas of Deployment ${plan.namespace}/${name} to its autoscaler`, 'none');
  try {
    await cluster.objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: plan.namespace, uid: stable.metadata?.uid },
        spec: { replicas: stable.spec.replicas },
      } as KubernetesObject,
      undefined,
      undefined,
      HANDOVER_FIELD_MANAGER,
      false,
      PatchStrategy.ServerSideApply,
    );
  } catch (error) {
    if (statusOf(error) === 409) return;
    throw new ClusterError(
      `Deployment ${plan.namespace}/${name}`,
      `its replicas could not be handed to the autoscaler: ${apiMessage(error)}`,
    );
  }
}

/** Restores traffic to stable and deletes every canary object of the target (found by label). */
export async function removeCanary(ctx: RolloutContext, router: Router | undefined): Promise<void> {
  const { plan } = ctx;
  if (router?.kind === 'gateway-api') {
    await note(ctx, `restore HTTPRoute ${plan.namespace}/${router.route}`, 'none');
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
    await note(ctx, `delete Secret ${plan.namespace}/${pullSecretName(plan)}`, 'none');
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
  await note(ctx, `apply Secret ${plan.namespace}/${pullSecretName(plan)}`, pending);
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
  await note(ctx, `apply PodMonitor ${plan.namespace}/${monitor.metadata!.name}`, pending);
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
    await note(ctx, `delete ${object.kind} ${plan.namespace}/${object.metadata.name}`, 'none');
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
  const router = routerFrom(record.router) ?? (await resolveRouter(ctx).catch(() => undefined));
  const arms = await readArms(ctx);
  let replicas = arms.replicas;
  if (record.changes.includes('promotion') && record.stableImage !== undefined) {
    ctx.log(`the promotion was cut short; stable returns to ${record.stableImage}`);
    replicas = await restoreStable(ctx, arms, record.stableImage, router);
  }
  // gpu-budget shift lent stable's replicas to the canary: they come back before the canary goes.
  const held = arms.budget?.stableReplicas;
  if (held !== undefined && arms.autoscaler === undefined && replicas.stable < held) {
    ctx.log(`stable returns to the ${held} replica(s) it had before the canary took some`);
    await moveArms(ctx, replicas, restoreStableMoves(replicas, held, slotsOf(ctx, arms, replicas)), {
      pending: 'none',
      images: {
        stable: record.changes.includes('promotion') ? record.stableImage : imageOf(arms.stable),
        canary: imageOf(arms.canary),
      },
      ...(router !== undefined ? { follow: router } : {}),
    });
  }
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
  await restoreStable(ctx, await readArms(ctx), previous, undefined, {
    pending: 'promotion',
    restore: imageOf(stable)!,
  });
  ctx.log(`reverted the last promotion: stable runs ${previous} again`);
  return previous;
}
