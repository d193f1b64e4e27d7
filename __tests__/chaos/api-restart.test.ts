/**
 * The API server restarted in the middle of an analysis (issue #15): kube-apiserver is stopped and
 * started again (`hack/cluster.sh restart-apiserver`: a graceful stop, about 20 s away) while a
 * canary is being analysed. The Lease's renewals fail meanwhile and are retried at most 2 s apart,
 * so the run still holds it when the server is back and converges: it decides as it would have,
 * and leaves the cluster consistent with nothing of its own behind.
 *
 * The analysis ends once the node is Ready again: here the restart also makes the kubelet miss its
 * status updates, the node is tainted not-ready for a while, and a promotion's new pods could not
 * be scheduled meanwhile (the run would then revert, docs/reliability.md).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deployCanary, promoteCanary } from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { exited, runProcess } from '../support/runner-step.ts';
import { chaosStep, startMainStep, targetState, until } from './main-step-process.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'api-restart');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/**
 * Waits until every node is Ready, carries no not-ready or unreachable taint, and has renewed its
 * node Lease since `since`: its kubelet talks to the restarted server, so the node is not marked
 * NotReady later, under the next test.
 */
async function nodesReady(since: number): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const coordination = config.makeApiClient(CoordinationV1Api);
  for (const deadline = Date.now() + 180_000; ;) {
    const nodes = await core.listNode().catch(() => undefined);
    const leases = await coordination
      .listNamespacedLease({ namespace: 'kube-node-lease' })
      .catch(() => undefined);
    const renewed = (name: string) =>
      leases?.items.some(
        (lease) => lease.metadata?.name === name && new Date(lease.spec?.renewTime ?? 0).getTime() > since,
      ) === true;
    const ready = nodes?.items.every(
      (node) =>
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
        !(node.spec?.taints ?? []).some((t) =>
          /^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(t.key),
        ) &&
        renewed(node.metadata!.name!),
    );
    if (ready === true) return;
    if (Date.now() > deadline)
      throw new Error('the node did not get Ready again within 180 s of the restart');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

it('a canary run converges across a restart of kube-apiserver during its analysis', async () => {
  const first = recordedContext(config, fixtureSettings({ namespace, name: 'restart' }));
  await promoteCanary(first, await deployCanary(first, v1.reference));

  const step = chaosStep(namespace, 'restart', 601, 1);
  const analysed = join(mkdtempSync(join(tmpdir(), 'api-restart-')), 'analysed');
  const main = startMainStep(
    { ...step.env, MODEL_CANARY_TEST_ANALYSIS_UNTIL: analysed },
    v2.reference,
    'promote',
  );
  await until(() => main.output().includes('chaos: canary deployed'), 'the canary to be deployed', 120_000);
  const restart = await runProcess('bash', ['hack/cluster.sh', 'restart-apiserver'], process.env);
  expect(restart.output).toMatch(/stopped kube-apiserver[\s\S]*started kube-apiserver/);
  expect(restart.code).toBe(0);
  await nodesReady(Date.now());
  writeFileSync(analysed, '');

  const code = await exited(main.child);
  // The restart was felt: a renewal failed while the server was away.
  expect(main.output()).toMatch(/renewal failed .*; retrying/);
  expect(main.output()).toMatch(/chaos: decided promoted/);
  expect(code).toBe(0);
  expect(await targetState(config, namespace, 'restart')).toEqual({
    canary: [],
    stableImage: v2.pinned,
    stableAvailable: 1,
    lease: false,
  });
}, 300_000);
