/**
 * The chaos tests' main step (main-step.ts) started as the runner starts a step: a fresh workspace
 * with a model folder, the inputs of one target on the local cluster, the step's command files.
 * Shared by the tests that kill it and the one that starts several at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { LABELS } from '../../src/kube/labels.ts';
import { FIXTURE_REPOSITORY } from '../fixtures/rollout/images.ts';
import { FIXTURE_SHA, fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import { KUBECONFIG_PATH, REPO_ROOT } from '../integration/local-cluster.ts';
import { runnerEnvironment, type RunnerStep } from '../support/runner-step.ts';

/** A runner-like step of the chaos workflow on target `name` in `namespace`. */
export function chaosStep(namespace: string, name: string, runId: number, attempt: number): RunnerStep {
  const workspace = mkdtempSync(join(tmpdir(), 'model-canary-chaos-'));
  mkdirSync(join(workspace, 'model'));
  return runnerEnvironment({
    workspace,
    sha: FIXTURE_SHA,
    runId,
    attempt,
    inputs: {
      model: 'model',
      image: FIXTURE_REPOSITORY,
      name,
      namespace,
      kubeconfig: readFileSync(KUBECONFIG_PATH, 'utf8'),
      'probe-protocol': 'v2',
      replicas: '1',
    },
  });
}

/** A started main step; `lines` are its output lines, each with when it arrived (Date.now()). */
export interface MainStepProcess {
  child: ChildProcess;
  output: () => string;
  lines: { at: number; text: string }[];
}

/**
 * Starts main-step.ts with `env`, deploying `image`; with `verdict` promote its analysis passes at
 * once, else it lasts until the test kills it.
 */
export function startMainStep(env: NodeJS.ProcessEnv, image: string, verdict?: string): MainStepProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, '__tests__/chaos/main-step.ts')], {
    env: {
      ...env,
      MODEL_CANARY_TEST_IMAGE: image,
      ...(verdict ? { MODEL_CANARY_TEST_VERDICT: verdict } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: { at: number; text: string }[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const text of parts) lines.push({ at: Date.now(), text });
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, lines };
}

/** Waits until `condition` holds, polling every 200 ms; throws naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What a target looks like after a run, read with the admin kubeconfig: what a run must not leave. */
export interface TargetState {
  /** Canary Deployments and Services left. */
  canary: string[];
  stableImage?: string;
  stableAvailable?: number;
  /** The target's Lease still exists (a run releases it by deleting it). */
  lease: boolean;
}

export async function targetState(config: KubeConfig, namespace: string, name: string): Promise<TargetState> {
  const ctx = recordedContext(config, fixtureSettings({ namespace, name }));
  const selector = `${LABELS.target}=${name},${LABELS.track}=canary`;
  const [deployments, services] = await Promise.all([
    ctx.cluster.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    ctx.cluster.core.listNamespacedService({ namespace, labelSelector: selector }),
  ]);
  const stable = await ctx.cluster.apps.readNamespacedDeployment({ name, namespace });
  const lease = await ctx.cluster.coordination
    .readNamespacedLease({ name: ctx.plan.objects.lease, namespace })
    .then(() => true)
    .catch(() => false);
  return {
    canary: [...deployments.items, ...services.items].map((o) => o.metadata!.name!),
    stableImage: stable.spec!.template.spec!.containers[0]!.image!,
    stableAvailable: stable.status!.availableReplicas ?? 0,
    lease,
  };
}
