/**
 * rollout — how fast the action knows a canary failed (or became available), beside
 * `kubectl rollout status` watching the same objects, and how many API requests a run costs.
 *
 * Detection: from the first Kubernetes event or condition that makes the outcome certain (API
 * server timestamps: the first BackOff after a crash, the first pull failure, the first
 * FailedScheduling, the startup budget running out after the container started) to our decision.
 * The canary is rendered exactly as the action renders it, with a 30 s startup budget so that
 * Kubernetes' progress deadline (budget + 60 s) and hence kubectl's verdict arrive within the run;
 * with the default 600 s budget kubectl would wait 570 s longer. kubectl runs with its default
 * timeout (none: it waits for the Deployment's progress deadline).
 *
 * The GPU budget: `gpu_budget_overshoot` is the most GPUs seen in use above what stable held
 * (sampled every second, terminating pods counted) during `gpu-budget: shift` rollouts (steps
 * 25,50 and the promotion); `shift_rollout_s` times that rollout beside the same one with `spare`.
 *
 * Needs the local cluster (`npm run cluster:up`).
 */
import { spawn } from 'node:child_process';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { CanaryFailed } from '../../src/errors.ts';
import { applyObject } from '../../src/kube/apply.ts';
import { Cluster } from '../../src/kube/cluster.ts';
import { trackSelector } from '../../src/kube/labels.ts';
import { acquireLease } from '../../src/kube/lease.ts';
import { renderDeployment, renderService, runIdentity } from '../../src/kube/manifests.ts';
import {
  deployCanary,
  promoteCanary,
  removeCanary,
  removeTarget,
  setCanaryWeight,
} from '../../src/kube/rollout.ts';
import { waitForRollout } from '../../src/kube/rollout-watch.ts';
import { fixtureImage, FIXTURE_REPOSITORY } from '../../__tests__/fixtures/rollout/images.ts';
import {
  fixtureSettings,
  recordedContext,
  type RecordedContext,
} from '../../__tests__/fixtures/rollout/rollout-context.ts';
import {
  CACHE_BIN,
  createTestNamespace,
  deleteTestNamespace,
  KUBECONFIG_PATH,
  requireLocalCluster,
} from '../../__tests__/integration/local-cluster.ts';
import { freeGpus, gpusInUse, sampleGpus } from '../../__tests__/support/gpu-use.ts';
import { median, spread, type Suite, type SuiteResults } from '../results.ts';

const REPETITIONS = Number(process.env['ROLLOUT_BENCH_REPETITIONS'] ?? '3');
const STARTUP_BUDGET_SECONDS = 30;
const KUBECTL = `${CACHE_BIN}/kubectl`;

type Mode = 'crashloop' | 'imagepull' | 'unschedulable' | 'never_ready';

interface Trial {
  /** Seconds from the certain event to our decision. */
  ours: number;
  /** Seconds from the same event to kubectl rollout status exiting (first repetition only). */
  kubectl?: number;
  kind: string;
}

function eventTime(event: CoreV1Event): number {
  const at = event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return new Date(at as unknown as string).getTime();
}

/** kubectl rollout status as a user would run it: default timeout, exits at the progress deadline. */
function kubectlRolloutStatus(
  namespace: string,
  deployment: string,
): Promise<{ exitedAt: number; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      KUBECTL,
      ['--kubeconfig', KUBECONFIG_PATH, '-n', namespace, 'rollout', 'status', `deployment/${deployment}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      resolve({ exitedAt: Date.now(), code, output: output.trim().split('\n').at(-1) ?? '' }),
    );
  });
}

/** The moment the outcome became certain, from the API server's records of the canary's pods. */
async function certainAt(ctx: RecordedContext, mode: Mode, since: number): Promise<number | undefined> {
  const namespace = ctx.plan.namespace;
  const prefix = `${ctx.plan.objects.canaryDeployment}-`;
  if (mode === 'never_ready') {
    const pods = await ctx.cluster.core.listNamespacedPod({
      namespace,
      labelSelector: trackSelector(ctx.plan.target, 'canary'),
    });
    const starts = pods.items
      .flatMap((pod) => pod.status?.containerStatuses ?? [])
      .map((status) => status.state?.running?.startedAt)
      .filter((at): at is Date => at !== undefined)
      .map((at) => new Date(at).getTime());
    return starts.length > 0 ? Math.min(...starts) + STARTUP_BUDGET_SECONDS * 1000 : undefined;
  }
  const events = (
    await ctx.cluster.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Pod' })
  ).items
    .filter((event) => event.involvedObject.name?.startsWith(prefix) && eventTime(event) >= since - 1000)
    .filter((event) => {
      const message = event.message ?? '';
      if (mode === 'crashloop')
        return event.reason === 'BackOff' && /restarting failed container/.test(message);
      if (mode === 'imagepull')
        return (
          (event.reason === 'Failed' && /pull/i.test(message)) ||
          (event.reason === 'BackOff' && /pulling image/.test(message))
        );
      return event.reason === 'FailedScheduling';
    });
  return events.length > 0 ? Math.min(...events.map(eventTime)) : undefined;
}

async function waitForPodsGone(ctx: RecordedContext): Promise<void> {
  for (let i = 0; i < 120; i += 1) {
    const pods = await ctx.cluster.core.listNamespacedPod({
      namespace: ctx.plan.namespace,
      labelSelector: trackSelector(ctx.plan.target, 'canary'),
    });
    if (pods.items.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function detectionTrial(
  config: KubeConfig,
  namespace: string,
  mode: Mode,
  withKubectl: boolean,
): Promise<Trial> {
  const inputs =
    mode === 'unschedulable' ? { namespace, name: 'bench', gpus: '5' } : { namespace, name: 'bench' };
  const ctx = recordedContext(config, fixtureSettings(inputs), {
    startupBudgetSeconds: STARTUP_BUDGET_SECONDS,
  });
  const image =
    mode === 'crashloop'
      ? (await fixtureImage('crash')).reference
      : mode === 'imagepull'
        ? `${FIXTURE_REPOSITORY}:absent-${Date.now()}`
        : mode === 'never_ready'
          ? (await fixtureImage('never-ready')).reference
          : (await fixtureImage('ok')).reference;
  await applyObject(ctx.cluster, renderService(ctx.plan, ctx.serving, 'canary', 'replicas'));
  const applied = Date.now();
  await applyObject(
    ctx.cluster,
    renderDeployment(ctx.plan, ctx.settings, ctx.serving, { track: 'canary', image, replicas: 1 }),
  );
  const kubectl = withKubectl
    ? kubectlRolloutStatus(namespace, ctx.plan.objects.canaryDeployment)
    : undefined;
  let decidedAt: number;
  let kind: string;
  try {
    await waitForRollout(ctx.cluster, {
      namespace,
      deployment: ctx.plan.objects.canaryDeployment,
      podSelector: trackSelector(ctx.plan.target, 'canary'),
      image,
      startupBudgetSeconds: STARTUP_BUDGET_SECONDS,
    });
    throw new Error(`the ${mode} canary became available`);
  } catch (error) {
    if (!(error instanceof CanaryFailed)) throw error;
    decidedAt = Date.now();
    kind = error.kind;
  }
  const certain = await certainAt(ctx, mode, applied);
  if (certain === undefined) throw new Error(`no API record of the ${mode} failure was found`);
  const peer = kubectl !== undefined ? await kubectl : undefined;
  if (peer !== undefined) console.log(`  kubectl rollout status exited ${peer.code}: ${peer.output}`);
  await removeCanary(ctx, { kind: 'replicas' });
  await waitForPodsGone(ctx);
  return {
    ours: (decidedAt - certain) / 1000,
    ...(peer !== undefined ? { kubectl: (peer.exitedAt - certain) / 1000 } : {}),
    kind,
  };
}

/** Our reaction to Available beside kubectl's, both from the Available condition's timestamp. */
async function availableTrial(
  config: KubeConfig,
  namespace: string,
  version: string,
): Promise<{ ours: number; kubectl: number }> {
  const ctx = recordedContext(config, fixtureSettings({ namespace, name: 'bench' }));
  const image = (await fixtureImage('ok', version)).reference;
  await applyObject(
    ctx.cluster,
    renderDeployment(ctx.plan, ctx.settings, ctx.serving, { track: 'canary', image, replicas: 1 }),
  );
  const kubectl = kubectlRolloutStatus(namespace, ctx.plan.objects.canaryDeployment);
  const result = await waitForRollout(ctx.cluster, {
    namespace,
    deployment: ctx.plan.objects.canaryDeployment,
    podSelector: trackSelector(ctx.plan.target, 'canary'),
    image,
    startupBudgetSeconds: STARTUP_BUDGET_SECONDS,
  });
  const peer = await kubectl;
  const conditionAt = result.conditionAt ?? result.availableAt;
  await removeCanary(ctx, { kind: 'replicas' });
  await waitForPodsGone(ctx);
  return { ours: result.availableAt - conditionAt, kubectl: peer.exitedAt - conditionAt };
}

/**
 * API requests of one canary run (pre-flight, deploy, watch, promote) at a replica count. The
 * Lease goes through its own connection: its renewals (every 10 s) grow with the run's duration,
 * not with replicas, and are printed beside.
 */
async function requestsPerRun(
  config: KubeConfig,
  namespace: string,
  replicas: number,
): Promise<{ rollout: number; lease: number; seconds: number }> {
  const settings = fixtureSettings({
    namespace,
    name: `requests-${replicas}`,
    replicas: String(replicas),
    gpus: '0',
    tolerations: 'nvidia.com/gpu',
  });
  const first = recordedContext(config, settings);
  await promoteCanary(first, await deployCanary(first, (await fixtureImage('ok', 'v1')).reference));
  const run = recordedContext(config, settings);
  const leaseConnection = new Cluster({ config });
  const started = Date.now();
  const lease = await acquireLease(leaseConnection, {
    namespace,
    name: run.plan.objects.lease,
    holder: runIdentity(settings.run),
  });
  await promoteCanary(run, await deployCanary(run, (await fixtureImage('ok', 'v2')).reference));
  await lease.release();
  return {
    rollout: run.cluster.requests,
    lease: leaseConnection.requests,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Replicas of the budget trials' stable: spare's canary (25% and 50% of 2 are one pod) still fits beside it. */
const BUDGET_STABLE_REPLICAS = 2;

/**
 * One canary rollout of a 2-replica × 1 GPU stable with steps 25,50 and its promotion (no analysis
 * between steps: this times the replica moves), under a GPU budget, with the GPUs in use sampled
 * every second. Returns its seconds and the most GPUs seen above what stable held (shift's budget).
 */
async function budgetTrial(
  config: KubeConfig,
  namespace: string,
  budget: 'shift' | 'spare',
  version: string,
): Promise<{ seconds: number; overshoot: number; samples: number[] }> {
  const name = `budget-${budget}`;
  const inputs = {
    namespace,
    name,
    replicas: String(BUDGET_STABLE_REPLICAS),
    'canary-steps': '25,50',
    'gpu-budget': budget,
  };
  const stable = recordedContext(config, fixtureSettings(inputs));
  await promoteCanary(stable, await deployCanary(stable, (await fixtureImage('ok', 'v1')).reference));
  const image = (await fixtureImage('ok', version)).reference;
  const ctx = recordedContext(config, fixtureSettings(inputs));
  const sampler = sampleGpus(config, namespace);
  const started = Date.now();
  let samples: number[];
  try {
    let canary = await deployCanary(ctx, image);
    canary = await setCanaryWeight(ctx, canary, 50);
    await promoteCanary(ctx, canary);
  } finally {
    samples = await sampler.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  await removeTarget(ctx);
  for (let i = 0; i < 240 && (await gpusInUse(config, namespace)) > 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    seconds,
    overshoot: Math.max(0, ...samples.map((gpus) => gpus - BUDGET_STABLE_REPLICAS)),
    samples,
  };
}

export const run: Suite = async () => {
  const config = await requireLocalCluster();
  const namespace = await createTestNamespace(config, 'bench-rollout');
  const metrics: SuiteResults = {};
  try {
    const stable = recordedContext(config, fixtureSettings({ namespace, name: 'bench' }));
    await promoteCanary(stable, await deployCanary(stable, (await fixtureImage('ok', 'v1')).reference));

    const modes: Mode[] = ['crashloop', 'imagepull', 'unschedulable', 'never_ready'];
    console.log(`detection, ${REPETITIONS} repetitions; kubectl rollout status measured on the first`);
    for (const mode of modes) {
      const trials: Trial[] = [];
      for (let i = 0; i < REPETITIONS; i += 1) {
        const trial = await detectionTrial(config, namespace, mode, i === 0);
        console.log(
          `  ${mode} #${i + 1}: ${trial.kind} decided ${trial.ours.toFixed(1)} s after the certain event` +
            (trial.kubectl !== undefined
              ? `; kubectl rollout status returned after ${trial.kubectl.toFixed(1)} s`
              : ''),
        );
        trials.push(trial);
      }
      const ours = trials.map((t) => t.ours);
      const kubectl = trials.find((t) => t.kubectl !== undefined)?.kubectl;
      console.log(`${mode}: ours ${spread(ours)} s; kubectl ${kubectl?.toFixed(1)} s`);
      metrics[`detect_${mode}_s`] = {
        value: Math.round(median(ours) * 10) / 10,
        unit: 's',
        ...(kubectl !== undefined
          ? {
              peer: `kubectl rollout status (default timeout; progressDeadlineSeconds ${STARTUP_BUDGET_SECONDS + 60})`,
              peer_value: Math.round(kubectl * 10) / 10,
            }
          : {}),
      };
    }

    const reactions: number[] = [];
    const kubectlReactions: number[] = [];
    for (let i = 0; i < REPETITIONS; i += 1) {
      const trial = await availableTrial(config, namespace, i % 2 === 0 ? 'v2' : 'v1');
      reactions.push(trial.ours);
      kubectlReactions.push(trial.kubectl);
    }
    console.log(
      `available reaction (ms after the Available condition's second-precision timestamp): ours ${spread(reactions, 0)}, kubectl ${spread(kubectlReactions, 0)}`,
    );
    metrics['available_reaction_ms'] = {
      value: Math.round(median(reactions)),
      unit: 'ms',
      peer: 'kubectl rollout status',
      peer_value: Math.round(median(kubectlReactions)),
    };

    for (const replicas of [1, 8]) {
      const requests = await requestsPerRun(config, namespace, replicas);
      console.log(
        `API requests per canary run with ${replicas} replica(s): ${requests.rollout} for the rollout, ` +
          `plus ${requests.lease} for the Lease over ${requests.seconds.toFixed(0)} s`,
      );
      metrics[`api_requests_replicas_${replicas}`] = { value: requests.rollout, unit: 'requests' };
    }

    // The GPU budget: shift beside spare, alternating, on a node with room for spare's canary.
    await removeTarget(stable);
    const { free, holders } = await freeGpus(config);
    if (free < BUDGET_STABLE_REPLICAS + 1) {
      throw new Error(
        `the budget trials need ${BUDGET_STABLE_REPLICAS + 1} free GPUs; ${holders.join(', ')} hold them`,
      );
    }
    const shift: number[] = [];
    const spareSeconds: number[] = [];
    let overshoot = 0;
    for (let i = 0; i < REPETITIONS; i += 1) {
      const version = i % 2 === 0 ? 'v2' : 'v3';
      const shifted = await budgetTrial(config, namespace, 'shift', version);
      const spared = await budgetTrial(config, namespace, 'spare', version);
      console.log(
        `  budget #${i + 1}: shift ${shifted.seconds.toFixed(1)} s (GPUs ${shifted.samples.join(' ')}), ` +
          `spare ${spared.seconds.toFixed(1)} s (GPUs ${spared.samples.join(' ')})`,
      );
      shift.push(shifted.seconds);
      spareSeconds.push(spared.seconds);
      overshoot = Math.max(overshoot, shifted.overshoot);
    }
    console.log(
      `rollout with steps 25,50 and promotion: shift ${spread(shift)} s, spare ${spread(spareSeconds)} s`,
    );
    metrics['gpu_budget_overshoot'] = { value: overshoot, unit: 'GPUs' };
    metrics['shift_rollout_s'] = {
      value: Math.round(median(shift) * 10) / 10,
      unit: 's',
      peer: 'the same rollout with gpu-budget spare',
      peer_value: Math.round(median(spareSeconds) * 10) / 10,
    };
  } finally {
    await deleteTestNamespace(config, namespace);
  }
  return metrics;
};
