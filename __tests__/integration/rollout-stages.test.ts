/**
 * The rollout stages as main.ts runs them, on the local cluster: a pull request's preview deployed
 * beside production and cleaned up by label; `promote` finishing only a canary an earlier run
 * paused, `revert` removing a waiting one; `revert` after a promotion returning stable to its
 * previous image.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { KUBECONFIG_PATH } from './local-cluster.ts';
import { Cluster } from '../../src/kube/cluster.ts';
import { LABELS } from '../../src/kube/labels.ts';
import { pauseCanary } from '../../src/kube/pause.ts';
import { deployCanary, promoteCanary } from '../../src/kube/rollout.ts';
import { runStages } from '../../src/main.ts';
import { planRun } from '../../src/plan.ts';
import type { BuiltImage, Run } from '../../src/run.ts';
import { firstStep } from '../../src/stages/analyse.ts';
import type { Settings } from '../../src/inputs/settings.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;
let cluster: Cluster;

beforeAll(async () => {
  config = await requireLocalCluster();
  // The stages connect as the action does: no kubeconfig input means KUBECONFIG.
  process.env['KUBECONFIG'] = KUBECONFIG_PATH;
  namespace = await createTestNamespace(config, 'rollout-stages');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
  cluster = new Cluster({ config });
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

async function namesWith(selector: string): Promise<string[]> {
  const [deployments, services] = await Promise.all([
    cluster.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    cluster.core.listNamespacedService({ namespace, labelSelector: selector }),
  ]);
  return [...deployments.items, ...services.items].map((o) => `${o.kind ?? ''}${o.metadata!.name}`).sort();
}

/** Runs a mode's stages as main.ts does (session, undo on failure); throws the failure, if any. */
async function stagesOf(settings: Settings, stages: Run['plan']['stages'], image?: BuiltImage): Promise<Run> {
  const { run, failure } = await runStages(
    { settings, plan: planRun(settings), analyses: [], ...(image !== undefined ? { image } : {}) },
    stages,
  );
  if (failure !== undefined) throw failure.error;
  return run;
}

async function stableImage(name: string): Promise<string> {
  const stable = await cluster.apps.readNamespacedDeployment({ name, namespace });
  return stable.spec!.template.spec!.containers[0]!.image!;
}

describe('rollout stages', () => {
  it('deploys a preview beside production, compares against production, and cleans it up by label', async () => {
    const production = recordedContext(
      config,
      fixtureSettings({ namespace, name: 'web', gpus: '0', tolerations: 'nvidia.com/gpu' }),
    );
    await promoteCanary(production, await deployCanary(production, v1.reference));

    const pr = { eventName: 'pull_request', pullRequest: 17 };
    const settings = fixtureSettings(
      { namespace, name: 'web', mode: 'preview', gpus: '0', tolerations: 'nvidia.com/gpu' },
      1,
      1,
      pr,
    );
    const preview = await stagesOf(settings, ['deploy-preview'], { reference: v2.reference });
    expect(await stableImage('web-pr-17')).toBe(v2.reference);
    expect(preview.canary).toMatchObject({ image: v2.reference, firstDeploy: false });
    // The analysis measures the preview against production's stable arm.
    expect(firstStep(preview)).toMatchObject({
      stableService: 'web-stable',
      canaryService: 'web-pr-17-stable',
    });
    expect(await namesWith(`${LABELS.preview}=pr-17`)).toEqual([
      'web-pr-17',
      'web-pr-17',
      'web-pr-17-stable',
    ]);
    // Production is untouched.
    expect(await stableImage('web')).toBe(v1.reference);

    const cleanup = fixtureSettings({ namespace, name: 'web', mode: 'cleanup' }, 2, 1, pr);
    await stagesOf(cleanup, ['cleanup']);
    expect(await namesWith(`${LABELS.preview}=pr-17`)).toEqual([]);
    expect(await namesWith(`${LABELS.target}=web`)).toEqual(['web', 'web', 'web-stable']);
  }, 300_000);

  it('promote mode refuses a canary no run paused, finishes a paused one; revert mode then returns stable to the image before it', async () => {
    const base = { namespace, name: 'gate', gpus: '0', tolerations: 'nvidia.com/gpu' };
    const first = recordedContext(config, fixtureSettings(base));
    await promoteCanary(first, await deployCanary(first, v1.reference));
    const waiting = recordedContext(config, fixtureSettings(base));
    const canary = await deployCanary(waiting, v2.reference);

    // Left by a run cut short, never judged: not promoted, and left as it is.
    const promote = fixtureSettings({ ...base, mode: 'promote' }, 3);
    await expect(stagesOf(promote, ['promote'])).rejects.toThrow(/was not paused .*mode revert removes it/);
    expect(await namesWith(`${LABELS.target}=gate,${LABELS.track}=canary`)).toEqual([
      'gate-canary',
      'gate-canary',
    ]);
    expect(await stableImage('gate')).toBe(v1.reference);

    await pauseCanary(waiting, canary, { step: 1, steps: 1 }, 'model-canary/tests/2/1');
    await stagesOf(fixtureSettings({ ...base, mode: 'promote' }, 7), ['promote']);
    expect(await stableImage('gate')).toBe(v2.pinned);
    expect(await namesWith(`${LABELS.target}=gate,${LABELS.track}=canary`)).toEqual([]);

    const revert = fixtureSettings({ ...base, mode: 'revert' }, 4);
    await stagesOf(revert, ['revert']);
    expect(await stableImage('gate')).toBe(v1.reference);
  }, 300_000);

  it('revert mode removes a waiting canary and leaves stable as it is', async () => {
    const base = { namespace, name: 'gate', gpus: '0', tolerations: 'nvidia.com/gpu' };
    const waiting = recordedContext(config, fixtureSettings(base));
    await deployCanary(waiting, v2.reference);
    const revert = fixtureSettings({ ...base, mode: 'revert' }, 5);
    await stagesOf(revert, ['revert']);
    expect(await stableImage('gate')).toBe(v1.reference);
    expect(await namesWith(`${LABELS.target}=gate,${LABELS.track}=canary`)).toEqual([]);
  }, 300_000);

  it('a refused revert gives the Lease back at once, so the next run need not wait for it to expire', async () => {
    const revert = fixtureSettings({ namespace, name: 'absent', mode: 'revert' }, 6);
    const plan = planRun(revert);
    await expect(stagesOf(revert, ['revert'])).rejects.toThrow(/does not exist: nothing to revert/);
    await expect(
      cluster.coordination.readNamespacedLease({ name: plan.objects.lease, namespace }),
    ).rejects.toMatchObject({ status: 404 });
  }, 60_000);
});
