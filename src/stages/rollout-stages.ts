/**
 * The rollout stages as main.ts runs them (`deploy-canary`, `decide`, `promote`, `revert`) and the
 * post step's clean-up. They hold what one main step shares between stages in memory (the
 * connection, the Lease, the running canary) and save what they change before changing it, so a
 * killed run is undone by the post step and a re-run converges.
 */
import * as core from '@actions/core';
import { CanaryFailed, ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import { RUNTIME_PRESETS, servingEndpoints, type ServingRuntime } from '../image/runtimes.ts';
import { runRecord, savePending, type PendingChanges } from '../run-state.ts';
import { clusterOf, type Cluster } from '../kube/cluster.ts';
import { acquireLease, type HeldLease } from '../kube/lease.ts';
import { applyObject } from '../kube/apply.ts';
import { renderDeployment, runIdentity, v2Serving, type ServingSpec } from '../kube/manifests.ts';
import { objectNames, type Plan } from '../plan.ts';
import {
  deployCanary,
  deployPreview,
  imageOf,
  promoteCanary,
  removeCanary,
  removeTarget,
  revertCanary,
  revertPromotion,
  walkCanarySteps,
  type CanaryState,
  type CanaryStep,
  type RolloutChange,
  type RolloutContext,
  type StepAnalysis,
} from '../kube/rollout.ts';
import type { Router } from '../kube/traffic.ts';

/** How long a run waits for another run's Lease on the same target before failing. */
const LEASE_WAIT_SECONDS = 600;

interface Session {
  ctx: RolloutContext;
  lease: HeldLease;
  state?: CanaryState;
  pending: PendingChanges;
}

let session: Session | undefined;
/** In preview mode: the production Service the preview is compared against. */
let previewBaseline: string | undefined;
let stepAnalysis: StepAnalysis | undefined;

/** The analyse stage registers how it judges one step; `decide` calls it for canary-steps after the first. */
export function registerStepAnalysis(analyse: StepAnalysis): void {
  stepAnalysis = analyse;
}

/** The canary the analysis should measure now (arm Services, weight), or undefined when none runs. */
export function currentCanary(): CanaryStep | undefined {
  if (session?.state === undefined) return undefined;
  const { plan } = session.ctx;
  const state = session.state;
  if (previewBaseline !== undefined) {
    return {
      namespace: plan.namespace,
      stableService: previewBaseline,
      canaryService: plan.objects.stableService,
      firstDeploy: false,
      weightPercent: 0,
      achievedPercent: 0,
      index: 0,
      total: 1,
    };
  }
  return {
    namespace: plan.namespace,
    stableService: plan.objects.stableService,
    canaryService: state.firstDeploy ? plan.objects.stableService : plan.objects.canaryService,
    firstDeploy: state.firstDeploy,
    weightPercent: state.weightPercent,
    achievedPercent: state.achievedPercent,
    index: 0,
    total: state.firstDeploy ? 1 : plan.traffic.steps.length,
  };
}

/** Port and probe paths of the model's runtime (the build stage's presets), V2 defaults otherwise. */
export function servingFor(settings: Settings): ServingSpec {
  const runtime = runRecord.runtime ?? settings.build.runtime;
  const modelName = runRecord.modelName ?? settings.name;
  if (runtime in RUNTIME_PRESETS) {
    const endpoints = servingEndpoints(runtime as ServingRuntime, modelName);
    return {
      modelName,
      port: endpoints.port,
      healthPath: endpoints.livenessPath,
      readyPath: endpoints.readinessPath,
      startupBudgetSeconds: 600,
    };
  }
  return v2Serving(modelName);
}

function routerText(router: Router | undefined): string | undefined {
  if (router === undefined) return undefined;
  return router.kind === 'gateway-api' ? `gateway-api:${router.route}` : 'replicas';
}

function routerFrom(text: string | undefined): Router | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('gateway-api:'))
    return { kind: 'gateway-api', route: text.slice('gateway-api:'.length) };
  return { kind: 'replicas' };
}

/**
 * A rollout context that logs to the runner. With `pending` it saves each change before making it
 * (write-ahead); the post step's clean-up, which undoes saved changes, passes none.
 */
function rolloutContext(
  cluster: Cluster,
  plan: Plan,
  settings: Settings,
  pending?: PendingChanges,
): RolloutContext {
  return {
    cluster,
    plan,
    settings,
    serving: servingFor(settings),
    log: (line) => core.info(line),
    warn: (line) => core.warning(line),
    ...(pending !== undefined
      ? {
          onChange: (change: RolloutChange) => {
            if (change.pending !== 'none' && !pending.changes.includes(change.pending)) {
              pending.changes.push(change.pending);
              savePending(pending);
            }
          },
        }
      : {}),
  };
}

async function openSession(plan: Plan, settings: Settings): Promise<Session> {
  const cluster = clusterOf(settings);
  const holder = runIdentity(settings.run);
  const pending: PendingChanges = { namespace: plan.namespace, target: plan.target, changes: [], holder };
  const ctx = rolloutContext(cluster, plan, settings, pending);
  const lease = await acquireLease(cluster, {
    namespace: plan.namespace,
    name: plan.objects.lease,
    holder,
    labels: plan.labels,
    waitSeconds: LEASE_WAIT_SECONDS,
    log: ctx.log,
  }).catch(async (error: unknown) => {
    // The namespace may not exist yet on a first deploy: the Lease lives in it.
    if (!(error instanceof ClusterError) || !/not found/i.test(error.message)) throw error;
    await cluster.core.createNamespace({ body: { metadata: { name: plan.namespace } } });
    ctx.log(`namespace ${plan.namespace} created`);
    return acquireLease(cluster, {
      namespace: plan.namespace,
      name: plan.objects.lease,
      holder,
      labels: plan.labels,
      waitSeconds: LEASE_WAIT_SECONDS,
      log: ctx.log,
    });
  });
  ctx.log(`Lease ${plan.namespace}/${plan.objects.lease} held by ${holder}`);
  return { ctx, lease, pending };
}

async function closeSession(current: Session): Promise<void> {
  savePending(undefined);
  await current.lease.release();
  core.info(`${current.ctx.cluster.requests} Kubernetes API requests in this run`);
  session = undefined;
}

/** Runs a stage's work in a fresh session (Lease held); any failure reverts what it changed. */
async function inSession(
  plan: Plan,
  settings: Settings,
  work: (current: Session) => Promise<void>,
): Promise<void> {
  const current = await openSession(plan, settings);
  session = current;
  try {
    await work(current);
  } catch (error) {
    await failAndRevert(current, error);
  }
}

/** Stage `deploy-canary`: pre-flight, Lease, canary at the first weight (or the first version), waits until it serves. */
export async function deployCanaryStage(plan: Plan, settings: Settings): Promise<void> {
  const image = runRecord.image ?? plan.image?.reference;
  if (image === undefined)
    throw new ClusterError('image', 'no image to deploy: the build stage produced none');
  await inSession(plan, settings, async (current) => {
    current.state = await deployCanary(current.ctx, image);
    current.pending.router = routerText(current.state.router);
    if (current.state.stableImage !== undefined) current.pending.stableImage = current.state.stableImage;
    savePending(current.pending);
    core.setOutput('image', current.state.pinnedImage);
  });
}

/**
 * Stage `deploy-preview`: an isolated copy named for the pull request (`<name>-pr-<n>`, its own
 * Deployment and Services, no production traffic), updated in place on each push. The analysis
 * then compares it with production's stable arm.
 */
export async function deployPreviewStage(plan: Plan, settings: Settings): Promise<void> {
  const image = runRecord.image ?? plan.image?.reference;
  if (image === undefined)
    throw new ClusterError('image', 'no image to deploy: the build stage produced none');
  session = await openSession(plan, settings);
  const current = session;
  const existing = await current.ctx.cluster.apps
    .readNamespacedDeployment({ name: plan.objects.stableDeployment, namespace: plan.namespace })
    .catch(() => undefined);
  try {
    current.state = await deployPreview(current.ctx, image);
    previewBaseline = objectNames(settings.name).stableService;
    core.setOutput('image', current.state.pinnedImage);
    // A deployed preview is finished work: it stays until cleanup, so nothing is pending.
    savePending(undefined);
    await current.lease.release();
  } catch (error) {
    const previous = imageOf(existing);
    try {
      if (previous === undefined) await removeTarget(current.ctx);
      else {
        current.ctx.log(`preview failed; it returns to ${previous}`);
        await applyObject(
          current.ctx.cluster,
          renderDeployment(plan, settings, current.ctx.serving, {
            track: 'stable',
            image: previous,
            replicas: settings.workload.replicas,
          }),
        );
      }
    } finally {
      await closeSession(current);
    }
    throw error;
  }
}

/** Stage `cleanup-preview`: deletes everything the pull request's preview created (by label) and its Lease. */
export async function cleanupPreviewStage(plan: Plan, settings: Settings): Promise<void> {
  await inSession(plan, settings, async (current) => {
    await removeTarget(current.ctx);
    current.ctx.log(`preview ${plan.target} removed`);
    await closeSession(current);
  });
}

/** Stage `decide`: walks the remaining canary steps, then promotes or reverts by the analysis verdict. */
export async function decideStage(_plan: Plan, _settings: Settings): Promise<void> {
  const current = session;
  if (current?.state === undefined) throw new ClusterError('canary', 'decide ran without a deployed canary');
  try {
    let verdict = runRecord.verdict;
    if (verdict === undefined) throw new CanaryFailed('NoVerdict', 'the analyse stage recorded no verdict');
    if (
      verdict.decision === 'promote' &&
      !current.state.firstDeploy &&
      current.ctx.plan.traffic.steps.length > 1
    ) {
      if (stepAnalysis === undefined) {
        throw new CanaryFailed(
          'NoVerdict',
          'canary-steps after the first need the analyse stage to register a step analysis',
        );
      }
      const walked = await walkCanarySteps(current.ctx, current.state, stepAnalysis, 1);
      current.state = walked.state;
      verdict = walked.verdict;
      // The report shows the figures of the step that decided.
      runRecord.verdict = verdict;
    }
    if (verdict.decision === 'revert') throw new CanaryFailed('AnalysisFailed', verdict.reason);
    if (current.lease.lostTo !== undefined) {
      throw new ClusterError(
        `Lease ${current.ctx.plan.namespace}/${current.ctx.plan.objects.lease}`,
        `was taken by ${current.lease.lostTo} during the analysis; not promoting over another run`,
      );
    }
    const pinned = await promoteCanary(current.ctx, current.state);
    setDecision('promoted', verdict.reason, pinned);
    await closeSession(current);
  } catch (error) {
    await failAndRevert(current, error);
  }
}

/** Stage `promote` (mode promote): finishes a canary an earlier run left running. */
export async function promoteStage(plan: Plan, settings: Settings): Promise<void> {
  await inSession(plan, settings, async (current) => {
    const stable = await current.ctx.cluster.apps
      .readNamespacedDeployment({ name: plan.objects.stableDeployment, namespace: plan.namespace })
      .catch(() => undefined);
    const stableImage = imageOf(stable);
    // Saved with the first change, so a post step after a cut-short promotion can put it back.
    if (stableImage !== undefined) current.pending.stableImage = stableImage;
    const pinned = await promoteCanary(current.ctx);
    setDecision('promoted', 'promoted by mode promote', pinned);
    await closeSession(current);
  });
}

/** Stage `revert` (mode revert): removes a waiting canary, or returns stable to the image before its last promotion. */
export async function revertStage(plan: Plan, settings: Settings): Promise<void> {
  await inSession(plan, settings, async (current) => {
    const canary = await current.ctx.cluster.apps
      .readNamespacedDeployment({ name: plan.objects.canaryDeployment, namespace: plan.namespace })
      .catch(() => undefined);
    if (canary !== undefined) {
      await revertCanary(current.ctx, undefined, 'reverted by mode revert');
      setDecision('reverted', 'canary removed by mode revert');
    } else {
      const image = await revertPromotion(current.ctx);
      setDecision('reverted', `stable returned to ${image}`, image);
    }
    await closeSession(current);
  });
}

function setDecision(decision: 'promoted' | 'reverted', reason: string, image?: string): void {
  core.setOutput('decision', decision);
  core.setOutput('reason', reason);
  if (image !== undefined) {
    core.setOutput('image', image);
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
    if (digest !== undefined) core.setOutput('digest', digest);
  }
}

async function failAndRevert(current: Session, error: unknown): Promise<never> {
  const cause = error instanceof Error ? error.message : String(error);
  try {
    if (current.pending.changes.length === 0) {
      // Nothing was changed (pre-flight refused): nothing to revert, only the Lease to give back.
      await closeSession(current);
      throw error;
    }
    if (current.state === undefined && current.pending.changes.includes('first')) {
      current.ctx.log(`reverting: ${cause}`);
      await removeTarget(current.ctx);
    } else {
      await revertCanary(current.ctx, current.state, cause);
    }
    setDecision('reverted', cause);
    await closeSession(current);
  } catch (revertError) {
    if (revertError === error) throw error;
    core.error(
      `revert after failure did not finish (the post step retries): ${(revertError as Error).message}`,
    );
  }
  throw error;
}

/** For main's failure path: a stage after deploy failed, so the running canary is reverted now. */
export async function revertUnfinishedRollout(error: unknown): Promise<void> {
  const current = session;
  if (current === undefined || current.pending.changes.length === 0) return;
  await failAndRevert(current, error).catch(() => undefined);
}

/** Post step: undoes what a killed or failed main step left, from its saved state. */
export async function cleanUpPending(pending: PendingChanges, plan: Plan, settings: Settings): Promise<void> {
  const cluster = clusterOf(settings);
  const ctx = rolloutContext(cluster, plan, settings);
  const holder = pending.holder ?? runIdentity(settings.run);
  const lease = await acquireLease(cluster, {
    namespace: pending.namespace,
    name: plan.objects.lease,
    holder,
    labels: plan.labels,
    waitSeconds: 120,
    log: ctx.log,
  });
  try {
    const router = routerFrom(pending.router);
    if (pending.changes.includes('first')) {
      await removeTarget(ctx);
      ctx.log('post: removed the unfinished first version');
    } else {
      await removeCanary(ctx, router, 'none');
      if (pending.changes.includes('promotion') && pending.stableImage !== undefined) {
        ctx.log(`post: the promotion was cut short; stable returns to ${pending.stableImage}`);
        await applyObject(
          cluster,
          renderDeployment(plan, settings, ctx.serving, {
            track: 'stable',
            image: pending.stableImage,
            replicas: settings.workload.replicas,
          }),
        );
      }
      ctx.log('post: canary removed, traffic back on stable');
    }
    savePending(undefined);
  } finally {
    await lease.release();
    core.info(`${cluster.requests} Kubernetes API requests in the post step`);
  }
}
