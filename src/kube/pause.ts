/**
 * A paused canary (input pause-after): the run that pauses it leaves the canary serving its share
 * and writes, on the canary Deployment, everything a later job needs to finish it — the step it
 * passed, the images, the router, how the pods serve, and stable's Deployment as the promotion
 * will apply it, rendered from the paused run's own inputs. That later job (mode promote or
 * revert, often a workflow_dispatch behind an Environment's reviewers) has no step state and only
 * the inputs of the finishing workflow, so the record lives in the cluster, on an object of ours
 * that goes when the canary goes. A canary run refuses a target whose canary is paused.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { PatchStrategy } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { digestOf } from '../registry/image-ref.ts';
import { apiMessage, unlessNotFound } from './cluster.ts';
import { ANNOTATIONS, FIELD_MANAGER } from './labels.ts';
import type { ServingSpec } from './manifests.ts';
import type { Plan } from '../plan.ts';
import {
  applyStableDeployment,
  note,
  removeCanary,
  renderStable,
  routerFrom,
  routerText,
  type CanaryState,
  type RolloutContext,
} from './rollout.ts';

/** What a paused canary's annotation holds (JSON under ANNOTATIONS.paused). */
export interface PausedCanary {
  /** The run that paused it (`owner/repo/runId/attempt`, its Lease identity) and when (ISO 8601). */
  run: string;
  pausedAt: string;
  /** The step it passed and paused after, 1-based, of `steps`. */
  step: number;
  steps: number;
  /** The share asked for at that step, and the share the canary really gets. */
  weightPercent: number;
  achievedPercent: number;
  /** `repository@sha256:…` the canary runs: what stable runs after a promotion. */
  image: string;
  /** What stable runs beside it: kept by a revert, returned to if a promotion is cut short. */
  stableImage: string;
  /** The router whose traffic the canary shares, as the record of pending changes writes it. */
  router: string;
  /** How the pods serve (port, probes, startup budget), as the paused run rendered them. */
  serving: ServingSpec;
  /** Stable's Deployment as a promotion applies it, rendered by the paused run from its inputs. */
  promotion: V1Deployment & { apiVersion: string; kind: string };
}

/** The step a run pauses after: its 1-based number and how many steps it walks. */
export interface PausePoint {
  step: number;
  steps: number;
}

/** One line for logs and messages: who paused the canary, after which step, on which images. */
export function describePause(paused: PausedCanary): string {
  return (
    `paused by run ${paused.run} at ${paused.pausedAt} after step ${paused.step}/${paused.steps} ` +
    `(${paused.weightPercent}% asked, ${paused.achievedPercent}% served): canary ${paused.image}, stable ${paused.stableImage}`
  );
}

const STRING_FIELDS = ['run', 'pausedAt', 'image', 'stableImage', 'router'] as const;
const NUMBER_FIELDS = ['step', 'steps', 'weightPercent', 'achievedPercent'] as const;

/**
 * Pure: the paused record on a canary Deployment; undefined when it carries none (not paused). A
 * record that cannot be read (edited by hand, or from another version) is a ClusterError naming
 * the annotation, since finishing from half a record could promote the wrong thing.
 */
export function pausedCanaryOf(deployment: V1Deployment): PausedCanary | undefined {
  const text = deployment.metadata?.annotations?.[ANNOTATIONS.paused];
  if (text === undefined) return undefined;
  const where = `Deployment ${deployment.metadata?.namespace ?? ''}/${deployment.metadata?.name ?? ''}`;
  const unreadable = (why: string) =>
    new ClusterError(
      where,
      `its ${ANNOTATIONS.paused} annotation cannot be read (${why}); mode revert removes the canary, ` +
        'or put back the annotation the paused run wrote',
    );
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    record = parsed as Record<string, unknown>;
  } catch (error) {
    throw unreadable(error instanceof Error ? error.message : String(error));
  }
  const wrong = [
    ...STRING_FIELDS.filter((field) => typeof record[field] !== 'string' || record[field] === ''),
    ...NUMBER_FIELDS.filter((field) => typeof record[field] !== 'number' || !Number.isFinite(record[field])),
    ...(['serving', 'promotion'] as const).filter(
      (field) => typeof record[field] !== 'object' || record[field] === null,
    ),
  ];
  if (wrong.length > 0) throw unreadable(`${wrong.join(', ')} missing or of the wrong type`);
  const paused = record as unknown as PausedCanary;
  if (paused.promotion.kind !== 'Deployment' || paused.promotion.metadata?.name === undefined)
    throw unreadable('promotion is not a Deployment');
  return paused;
}

/** The target's canary Deployment, if there is one. */
export async function readCanary(ctx: RolloutContext): Promise<V1Deployment | undefined> {
  const { cluster, plan } = ctx;
  try {
    return await unlessNotFound(
      cluster.apps.readNamespacedDeployment({
        name: plan.objects.canaryDeployment,
        namespace: plan.namespace,
      }),
    );
  } catch (error) {
    throw new ClusterError(
      `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`,
      `could not be read: ${apiMessage(error)}`,
    );
  }
}

/** The target's canary Deployment, if any, and its paused record, if it carries one. */
export async function readPausedCanary(
  ctx: RolloutContext,
): Promise<{ canary?: V1Deployment; paused?: PausedCanary }> {
  const canary = await readCanary(ctx);
  if (canary === undefined) return {};
  const paused = pausedCanaryOf(canary);
  return { canary, ...(paused !== undefined ? { paused } : {}) };
}

/** How a paused target is finished, for the messages that name it. */
export function howToFinish(plan: Pick<Plan, 'target' | 'namespace'>): string {
  return (
    "run this action with mode: promote (stable takes the canary's image) or mode: revert (the canary goes), " +
    `name: ${plan.target}, namespace: ${plan.namespace}; the paused run's job summary shows the workflow, ` +
    'and the README\'s "Finish a paused canary by hand" explains it'
  );
}

/** Before a canary run changes anything: a paused canary of the target is finished first, by hand. */
export async function refuseIfPaused(ctx: RolloutContext): Promise<void> {
  const { plan } = ctx;
  const canary = await readCanary(ctx);
  if (canary?.metadata?.annotations?.[ANNOTATIONS.paused] === undefined) return;
  let said = '';
  try {
    said = ` (${describePause(pausedCanaryOf(canary)!)})`;
  } catch {
    // An unreadable record is still a pause; the message says how to finish it all the same.
  }
  throw new ClusterError(
    `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`,
    `is a paused canary${said}, waiting for a person's decision; this run changes nothing. ` +
      `Finish it first: ${howToFinish(plan)}`,
  );
}

/**
 * Pauses the canary as it serves now: renders the promotion from this run's inputs and writes the
 * record on the canary Deployment (a merge patch, failing on a concurrent edit). Nothing is added
 * to undo — the canary is already recorded — and the caller settles the session, so the post step
 * leaves the canary serving.
 */
export async function pauseCanary(
  ctx: RolloutContext,
  state: CanaryState,
  point: PausePoint,
  run: string,
): Promise<PausedCanary> {
  const { cluster, plan } = ctx;
  const where = `Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`;
  if (state.firstDeploy || state.stableImage === undefined)
    throw new ClusterError(where, 'a first version has no stable beside it to pause against');
  const digest = digestOf(state.pinnedImage);
  const paused: PausedCanary = {
    run,
    pausedAt: new Date().toISOString(),
    ...point,
    weightPercent: state.weightPercent,
    achievedPercent: state.achievedPercent,
    image: state.pinnedImage,
    stableImage: state.stableImage,
    router: routerText(state.router),
    serving: ctx.serving,
    // As promoteCanary renders it: stable on the canary's digest, remembering the image it replaces.
    promotion: await renderStable(ctx, state.pinnedImage, {
      replicas: ctx.settings.workload.replicas,
      previousImage: state.stableImage,
      ...(digest !== undefined ? { imageDigest: digest } : {}),
    }),
  };
  const canary = await readCanary(ctx);
  if (canary === undefined) throw new ClusterError(where, 'disappeared before it could be paused');
  await note(ctx, `annotate ${where} ${ANNOTATIONS.paused}`, 'none');
  try {
    await cluster.objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: plan.objects.canaryDeployment,
          namespace: plan.namespace,
          // Optimistic concurrency: fail rather than mark a canary someone changed since it was read.
          resourceVersion: canary.metadata!.resourceVersion!,
          annotations: { [ANNOTATIONS.paused]: JSON.stringify(paused) },
        },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (error) {
    throw new ClusterError(where, `could not be marked paused: ${apiMessage(error)}`);
  }
  ctx.log(`canary paused at ${paused.achievedPercent}% of traffic after step ${point.step}/${point.steps}`);
  return paused;
}

/**
 * Mode promote: stable takes the paused canary's image, applied as the paused run rendered it
 * (recorded as a promotion, so a cut-short one is undone), then traffic returns to stable and
 * every canary object goes. Returns the image stable runs.
 */
export async function promotePausedCanary(ctx: RolloutContext, paused: PausedCanary): Promise<string> {
  const { plan } = ctx;
  // Waited for with the startup budget the paused run rendered the pods with.
  const finishing = { ...ctx, serving: paused.serving };
  await applyStableDeployment(finishing, paused.promotion, paused.image, {
    pending: 'promotion',
    restore: paused.stableImage,
  });
  await removeCanary(finishing, routerFrom(paused.router));
  ctx.log(`promoted: stable ${plan.objects.stableDeployment} runs ${paused.image}`);
  return paused.image;
}
