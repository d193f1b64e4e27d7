/**
 * A canary paused by hand, through `node dist/index.js` as the runner runs it, on the local
 * cluster: `pause-after: 50` of steps 25,50,75 ends the run `paused` after the 50% step, the canary
 * serving and the Lease given back; a canary run on the paused target is refused, naming how to
 * finish it; the README's finishing workflow (mode, name, namespace, kubeconfig: nothing else)
 * then promotes it — stable running the canary's image as the paused run rendered it, the canary
 * gone — or, for `pause: true`, reverts it, stable unchanged and the canary gone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS } from '../../src/kube/labels.ts';
import { runActionJob, type ActionJob } from '../support/runner-step.ts';
import { pushJob } from './action-job.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  KUBECONFIG_PATH,
  REGISTRY,
  REPO_ROOT,
  requireLocalCluster,
} from './local-cluster.ts';

const MODEL = {
  'base-image': `${REGISTRY}/model-canary/mlserver:1.7.1`,
  'probe-payload': 'examples/models/payloads/tiny-mlp-v2.json',
};

let config: KubeConfig;
let namespace: string;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'pause');
});

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** The finishing workflow of the README, dispatched with `decision`: only these four inputs. */
async function finishJob(target: string, decision: 'promote' | 'revert'): Promise<ActionJob> {
  const job = await runActionJob({
    workspace: REPO_ROOT,
    sha: '0123456789abcdef0123456789abcdef01234567',
    runId: Math.floor(Math.random() * 1e9),
    inputs: {
      mode: decision,
      name: target,
      namespace,
      kubeconfig: readFileSync(KUBECONFIG_PATH, 'utf8'),
    },
  });
  expect([job.post.code, job.post.output]).toEqual([0, expect.not.stringMatching(/::error/)]);
  return {
    ...job,
    output: `${decision}: exit ${job.code}, decision ${job.outputs['decision']}\n${job.output}`,
  };
}

async function stableImage(target: string): Promise<string | undefined> {
  const stable = await config.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name: target });
  return stable.spec?.template.spec?.containers[0]?.image;
}

/** The canary's Deployment and Services of a target (found by label, as clean-up finds them). */
async function canaryObjects(target: string): Promise<string[]> {
  const selector = `${LABELS.target}=${target},${LABELS.track}=canary`;
  const [deployments, services] = await Promise.all([
    config.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace, labelSelector: selector }),
    config.makeApiClient(CoreV1Api).listNamespacedService({ namespace, labelSelector: selector }),
  ]);
  return [
    ...deployments.items.map((d) => `Deployment ${d.metadata!.name}`),
    ...services.items.map((s) => `Service ${s.metadata!.name}`),
  ].sort();
}

async function leaseExists(target: string): Promise<boolean> {
  try {
    await config
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: `model-canary-${target}` });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404 || (error as { status?: number }).status === 404)
      return false;
    throw error;
  }
}

describe('a canary paused by hand', () => {
  it('pauses after the 50% step, refuses a new canary, and mode promote finishes it as the paused run rendered it', async () => {
    const target = 'pausep';
    const first = await pushJob(namespace, target, 'first', { ...MODEL, model: 'examples/models/tiny-mlp' });
    expect([first.outputs['decision'], first.code, first.output]).toEqual(['promoted', 0, first.output]);
    const before = await stableImage(target);

    const paused = await pushJob(namespace, target, 'paused', {
      ...MODEL,
      model: 'examples/models/tiny-mlp-fp16',
      'canary-steps': '25,50,75',
      'pause-after': '50',
      // Only the paused run says this: after the promotion stable must carry it all the same.
      env: 'RENDERED_BY=paused-run',
    });
    expect([paused.outputs['decision'], paused.code, paused.output]).toEqual(['paused', 0, paused.output]);
    expect(paused.outputs['reason']).toMatch(
      /paused after step 2\/3 with \d+(\.\d+)?% of traffic on the canary/,
    );
    // The 75% step was never taken, and the post step left the canary serving.
    expect(paused.output).not.toMatch(/step 3\/3/);
    expect(paused.post.output).toMatch(/nothing pending/);
    expect(await canaryObjects(target)).toEqual([`Deployment ${target}-canary`, `Service ${target}-canary`]);
    expect(await stableImage(target)).toBe(before);
    expect(await leaseExists(target)).toBe(false);
    const canary = await config
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: `${target}-canary` });
    expect(JSON.parse(canary.metadata!.annotations![ANNOTATIONS.paused]!)).toMatchObject({
      step: 2,
      steps: 3,
      weightPercent: 50,
      image: paused.outputs['image'],
      stableImage: before,
    });
    // The figures a reviewer decides on, and the workflow to run.
    expect(paused.summary).toContain('⏸️ paused');
    expect(paused.summary).toMatch(/\| canary \| \d+ \| \d+ \|/);
    expect(paused.summary).toContain('### Finish the paused canary');
    expect(paused.summary).toContain('mode: ${{ inputs.decision }}');
    expect(paused.summary).toContain(`name: ${target}`);
    expect(paused.summary).toContain(`namespace: ${namespace}`);

    const refused = await pushJob(namespace, target, 'refused', {
      ...MODEL,
      model: 'examples/models/tiny-mlp',
    });
    expect([refused.outputs['decision'], refused.output]).toEqual(['failed', refused.output]);
    expect(refused.code).not.toBe(0);
    expect(refused.outputs['reason']).toMatch(
      new RegExp(`Deployment ${namespace}/${target}-canary.*is a paused canary.*mode: promote.*mode: revert`),
    );
    expect(await canaryObjects(target)).toEqual([`Deployment ${target}-canary`, `Service ${target}-canary`]);
    expect(await stableImage(target)).toBe(before);

    const promote = await finishJob(target, 'promote');
    expect([promote.outputs['decision'], promote.code, promote.output]).toEqual([
      'promoted',
      0,
      promote.output,
    ]);
    expect(await stableImage(target)).toBe(paused.outputs['image']);
    expect(await canaryObjects(target)).toEqual([]);
    const stable = await config
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: target });
    expect(stable.spec!.template.spec!.containers[0]!.env).toEqual(
      expect.arrayContaining([{ name: 'RENDERED_BY', value: 'paused-run' }]),
    );
    expect(stable.metadata!.annotations![ANNOTATIONS.previousImage]).toBe(before);
    expect(stable.status?.availableReplicas).toBe(1);
  });

  it('pause: true waits after the last step, and mode revert removes the canary, stable unchanged', async () => {
    const target = 'pauser';
    const first = await pushJob(namespace, target, 'first', { ...MODEL, model: 'examples/models/tiny-mlp' });
    expect([first.outputs['decision'], first.code, first.output]).toEqual(['promoted', 0, first.output]);
    const before = await stableImage(target);

    const paused = await pushJob(namespace, target, 'paused', {
      ...MODEL,
      model: 'examples/models/tiny-mlp-fp16',
      'canary-steps': '25,50',
      pause: 'true',
    });
    expect([paused.outputs['decision'], paused.code, paused.output]).toEqual(['paused', 0, paused.output]);
    expect(paused.outputs['reason']).toMatch(/paused after step 2\/2/);

    const revert = await finishJob(target, 'revert');
    expect([revert.outputs['decision'], revert.code, revert.output]).toEqual(['reverted', 0, revert.output]);
    expect(revert.outputs['reason']).toMatch(/canary removed by mode revert; stable keeps/);
    expect(await canaryObjects(target)).toEqual([]);
    expect(await stableImage(target)).toBe(before);

    // Nothing is paused any more: mode promote says so and changes nothing.
    const nothing = await finishJob(target, 'promote');
    expect([nothing.outputs['decision'], nothing.output]).toEqual(['failed', nothing.output]);
    expect(nothing.outputs['reason']).toMatch(/does not exist: no paused canary of .*pauser to promote/);
    expect(await stableImage(target)).toBe(before);
  });
});
