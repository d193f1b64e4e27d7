/**
 * Each failure mode provoked for real on the local cluster: a crashing image, a missing image, a
 * GPU request beyond capacity, a model that never becomes ready, a memory limit exceeded. Each
 * must stop with its cause well before Kubernetes' own deadline, and the revert must leave stable
 * serving, untouched, with no canary object left.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { CanaryFailed, ClusterError } from '../../src/errors.ts';
import { LABELS } from '../../src/kube/labels.ts';
import { deployCanary, promoteCanary, undoChanges } from '../../src/kube/rollout.ts';
import { fixtureImage, FIXTURE_REPOSITORY, type FixtureImage } from '../fixtures/rollout/images.ts';
import {
  fixtureSettings,
  recordedContext,
  type RecordedContext,
} from '../fixtures/rollout/rollout-context.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let stableImage: FixtureImage;
const NAME = 'failing';
/**
 * The failure modes that are not about GPUs run on CPU pods (tolerating the node's GPU taint), so
 * GPUs other tests hold on this shared node cannot turn them into a capacity refusal.
 */
const CPU = { gpus: '0', tolerations: 'nvidia.com/gpu' } as const;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'rollout-fail');
  stableImage = await fixtureImage('ok', 'v1');
  const first = recordedContext(config, fixtureSettings({ namespace, name: NAME, ...CPU }));
  await promoteCanary(first, await deployCanary(first, stableImage.reference));
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** Deploys `image` as a canary, expects it to fail with `kind`, reverts, and checks stable and leftovers. */
async function expectCanaryFailure(
  ctx: RecordedContext,
  image: string,
  kind: string,
  message: RegExp,
): Promise<number> {
  const started = Date.now();
  const failure = await deployCanary(ctx, image).then(
    () => undefined,
    (error: unknown) => error,
  );
  const seconds = (Date.now() - started) / 1000;
  // toMatchObject prints the whole error (its message) when the kind is not the expected one.
  expect(failure).toMatchObject({ name: 'CanaryFailed', kind });
  expect(failure).toBeInstanceOf(CanaryFailed);
  expect((failure as CanaryFailed).message).toMatch(message);
  // The undo a failed run gets: what the deploy announced (a canary) is taken away again.
  const pending = ctx.changes.flatMap((change) => (change.pending === 'none' ? [] : [change.pending]));
  expect(pending).toContain('canary');
  await undoChanges(
    ctx,
    { namespace: ctx.plan.namespace, target: ctx.plan.target, changes: [...new Set(pending)] },
    (failure as Error).message,
  );

  const stable = await ctx.cluster.apps.readNamespacedDeployment({ name: NAME, namespace });
  expect(stable.spec!.template.spec!.containers[0]!.image).toBe(stableImage.reference);
  expect(stable.status!.availableReplicas).toBe(1);
  const selector = `${LABELS.target}=${NAME},${LABELS.track}=canary`;
  const [deployments, services] = await Promise.all([
    ctx.cluster.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    ctx.cluster.core.listNamespacedService({ namespace, labelSelector: selector }),
  ]);
  expect([...deployments.items, ...services.items].map((o) => o.metadata!.name)).toEqual([]);
  return seconds;
}

describe('canary failure modes on the local cluster', () => {
  it('stops a crashing canary at CrashLoopBackOff', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: NAME, ...CPU }));
    const crash = await fixtureImage('crash');
    const seconds = await expectCanaryFailure(
      ctx,
      crash.reference,
      'CrashLoopBackOff',
      /keeps crashing \(last exit code 3/,
    );
    expect(seconds).toBeLessThan(60);
  }, 180_000);

  it('stops a canary whose image does not exist at the pull failure', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: NAME, ...CPU }));
    const seconds = await expectCanaryFailure(
      ctx,
      `${FIXTURE_REPOSITORY}:does-not-exist`,
      'ImagePullFailed',
      /cannot pull image .*does-not-exist: (ErrImagePull|ImagePullBackOff)/,
    );
    expect(seconds).toBeLessThan(60);
  }, 180_000);

  it('refuses before any change when more GPUs are asked than are free', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: NAME, gpus: '5' }));
    const before = Date.now();
    const failure = await deployCanary(ctx, stableImage.reference).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClusterError);
    expect((failure as ClusterError).object).toBe('nvidia.com/gpu');
    expect((failure as Error).message).toMatch(/5 needed but only \d free \(4 allocatable/);
    expect(ctx.changes).toEqual([]);
    expect(Date.now() - before).toBeLessThan(30_000);
  }, 60_000);

  it('stops an unschedulable canary at FailedScheduling when pre-flight could not see it coming', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: NAME, gpus: '5' }), {
      preflight: false,
    });
    const seconds = await expectCanaryFailure(
      ctx,
      stableImage.reference,
      'FailedScheduling',
      /cannot be scheduled: .*Insufficient nvidia.com\/gpu/,
    );
    expect(seconds).toBeLessThan(30);
  }, 120_000);

  it('stops a canary that never becomes ready within its startup budget', async () => {
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: NAME, ...CPU }), {
      startupBudgetSeconds: 10,
    });
    const never = await fixtureImage('never-ready');
    const seconds = await expectCanaryFailure(
      ctx,
      never.reference,
      'NeverReady',
      /did not become ready within its startup budget of 10s/,
    );
    expect(seconds).toBeLessThan(60);
  }, 180_000);

  it('stops a canary killed for exceeding its memory limit', async () => {
    const ctx = recordedContext(
      config,
      fixtureSettings({ namespace, name: NAME, ...CPU, resources: 'memory=96Mi' }),
    );
    const oom = await fixtureImage('oom');
    const seconds = await expectCanaryFailure(
      ctx,
      oom.reference,
      'OOMKilled',
      /exceeding its memory limit \(OOMKilled\)/,
    );
    expect(seconds).toBeLessThan(60);
  }, 180_000);
});
