/**
 * Killing the main step mid-canary. SIGTERM (the runner's cancellation), then the post step run
 * as the runner runs it (`node dist/post.js`, STATE_* from the saved state file): stable keeps serving and no canary remains. SIGKILL (no chance to clean up), then a re-run
 * of the job (next attempt): it converges to the new version promoted, with nothing left over.
 * SIGKILL with neither (the runner machine died): the record on the target's Lease lets a later
 * run of another workflow, here `mode: cleanup` on a push, undo the orphaned canary.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../../src/kube/labels.ts';
import { deployCanary, promoteCanary } from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import { BUNDLE, exited, POST_BUNDLE, runProcess, stateVariables } from '../support/runner-step.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { chaosStep, startMainStep, targetState, until } from './main-step-process.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'rollout-chaos');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

async function firstVersion(name: string): Promise<void> {
  const ctx = recordedContext(config, fixtureSettings({ namespace, name }));
  await promoteCanary(ctx, await deployCanary(ctx, v1.reference));
}

describe('the main step killed mid-canary', () => {
  it('SIGTERM, then the post step: stable keeps serving, no canary remains', async () => {
    await firstVersion('term');
    const { env, stateFile } = chaosStep(namespace, 'term', 501, 1);
    const main = startMainStep(env, v2.reference);
    await until(() => main.output().includes('chaos: canary deployed'), 'the canary to be deployed', 120_000);
    expect((await targetState(config, namespace, 'term')).canary.length).toBeGreaterThan(0);
    main.child.kill('SIGTERM');
    await exited(main.child);

    const state = stateVariables(stateFile);
    expect(JSON.parse(state['STATE_model-canary-pending']!)).toMatchObject({
      target: 'term',
      changes: ['canary'],
    });
    const post = await runProcess(process.execPath, [POST_BUNDLE], { ...env, ...state });
    expect(post.output).toMatch(/post: canary removed, traffic back on stable/);
    expect(post.output).not.toMatch(/::error/);
    expect(post.code).toBe(0);
    expect(await targetState(config, namespace, 'term')).toEqual({
      canary: [],
      stableImage: v1.reference,
      stableAvailable: 1,
      lease: false,
    });
  }, 300_000);

  it('SIGKILL, then a re-run of the job converges to the new version', async () => {
    await firstVersion('kill');
    const first = chaosStep(namespace, 'kill', 502, 1);
    const main = startMainStep(first.env, v2.reference);
    await until(() => main.output().includes('chaos: canary deployed'), 'the canary to be deployed', 120_000);
    main.child.kill('SIGKILL');
    await exited(main.child);
    // The killed attempt still holds the Lease; the next attempt of the same run takes it over.
    expect((await targetState(config, namespace, 'kill')).lease).toBe(true);

    const again = chaosStep(namespace, 'kill', 502, 2);
    const rerun = startMainStep(again.env, v2.reference, 'promote');
    expect(await exited(rerun.child)).toBe(0);
    expect(rerun.output()).toMatch(/chaos: decided/);
    expect(await targetState(config, namespace, 'kill')).toEqual({
      canary: [],
      stableImage: v2.pinned,
      stableAvailable: 1,
      lease: false,
    });
    // The re-run finished cleanly, so its post step has nothing to undo.
    const post = await runProcess(process.execPath, [POST_BUNDLE], {
      ...again.env,
      ...stateVariables(again.stateFile),
    });
    expect(post.output).toMatch(/nothing pending/);
  }, 300_000);

  it('SIGKILL and no post step: a later run of mode cleanup finds the orphaned canary on the Lease and undoes it', async () => {
    await firstVersion('orphan');
    const dead = chaosStep(namespace, 'orphan', 503, 1);
    const main = startMainStep(dead.env, v2.reference);
    await until(() => main.output().includes('chaos: canary deployed'), 'the canary to be deployed', 120_000);
    main.child.kill('SIGKILL');
    await exited(main.child);
    // What the dead runner's disk held is on the Lease too.
    const ctx = recordedContext(config, fixtureSettings({ namespace, name: 'orphan' }));
    const lease = await ctx.cluster.coordination.readNamespacedLease({
      name: ctx.plan.objects.lease,
      namespace,
    });
    const record = JSON.parse(lease.metadata!.annotations![ANNOTATIONS.pending]!);
    expect(record).toMatchObject({ target: 'orphan', changes: ['canary'] });
    expect(record.holder).toMatch(/\/503\/1$/);

    // Another workflow's run: it waits for the dead holder's Lease to run out, then undoes.
    const later = chaosStep(namespace, 'orphan', 504, 1);
    const cleanup = await runProcess(process.execPath, [BUNDLE], { ...later.env, INPUT_MODE: 'cleanup' });
    expect(cleanup.output).toMatch(/run \S+\/503\/1 left canary unfinished/);
    expect(cleanup.output).toMatch(
      /undid the canary run \S+\/503\/1 left unfinished; stable serves all traffic/,
    );
    expect(cleanup.output).not.toMatch(/::error/);
    expect(cleanup.code).toBe(0);
    expect(await targetState(config, namespace, 'orphan')).toEqual({
      canary: [],
      stableImage: v1.reference,
      stableAvailable: 1,
      lease: false,
    });
  }, 300_000);
});
