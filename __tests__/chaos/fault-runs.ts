/**
 * Canary runs against an unreliable API server (issue #15), shared by fault-runs.test.ts and the
 * reliability benchmark (`fault_runs_correct`). Each run is the chaos main step (main-step.ts: the
 * real step session with the target's Lease, deploy-canary, a judged analysis, decide) as its own
 * process and workflow run, talking to the cluster only through the fault proxy
 * (__tests__/support/fault-proxy.ts). Runs alternate a promoting and a reverting verdict.
 *
 * Two runs at a fault rate of 0 (one of each verdict) give the decisions without faults. A faulted
 * run is correct when it exits 0 with the same decision as the fault-free run of its verdict, and
 * the cluster, read afterwards with the admin kubeconfig (not through the proxy), is consistent:
 * stable on the image the decision implies with a pod available, no canary Deployment or Service,
 * the Lease released.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { deployCanary, promoteCanary } from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { FAULT_KINDS, noFaults, startFaultProxy, type FaultKind } from '../support/fault-proxy.ts';
import { exited } from '../support/runner-step.ts';
import { chaosStep, startMainStep, targetState, type TargetState } from './main-step-process.ts';

const TARGET = 'faulty';
const FIRST_RUN_ID = 9300;
/** A run that has not ended by then is stuck, which is a failure of its own. */
const RUN_LIMIT_MS = 240_000;

export interface FaultRun {
  verdict: 'promote' | 'revert';
  rate: number;
  code: number | null;
  /** The decision the step printed (`chaos: decided <decision>`), if it got there. */
  decision?: string;
  /** The image stable must run after the run, and what the cluster showed. */
  expectedImage: string;
  after: TargetState;
  /** API requests the proxy saw during the run, and the faults it injected. */
  requests: number;
  faults: Record<FaultKind, number>;
  /** Exit 0, and the cluster as the decision implies. */
  consistent: boolean;
  /** Consistent, with the decision of the fault-free run of the same verdict. */
  correct: boolean;
  log: string;
}

export interface FaultRuns {
  control: FaultRun[];
  runs: FaultRun[];
  /** Faults injected over all faulted runs, by kind. */
  faults: Record<FaultKind, number>;
}

/** One run through the proxy; `canary` is the image it deploys. */
async function oneRun(
  config: KubeConfig,
  namespace: string,
  proxy: Awaited<ReturnType<typeof startFaultProxy>>,
  index: number,
  verdict: FaultRun['verdict'],
  canary: FixtureImage,
  rate: number,
): Promise<FaultRun> {
  const before = await targetState(config, namespace, TARGET);
  proxy.setRate(rate);
  proxy.reset();
  const step = chaosStep(namespace, TARGET, FIRST_RUN_ID + index, 1);
  step.env['INPUT_KUBECONFIG'] = proxy.kubeconfig;
  const started = startMainStep(step.env, canary.reference, verdict);
  const limit = setTimeout(() => started.child.kill('SIGKILL'), RUN_LIMIT_MS);
  const code = await exited(started.child);
  clearTimeout(limit);
  proxy.setRate(0);
  const seen = proxy.counts();
  const after = await targetState(config, namespace, TARGET);
  const decision = /chaos: decided (\w+)/.exec(started.output())?.[1];
  const expectedImage = decision === 'promoted' ? canary.pinned : before.stableImage!;
  const consistent =
    after.canary.length === 0 &&
    after.stableImage === expectedImage &&
    (after.stableAvailable ?? 0) >= 1 &&
    !after.lease;
  return {
    verdict,
    rate,
    code,
    ...(decision !== undefined ? { decision } : {}),
    expectedImage,
    after,
    requests: seen.requests,
    faults: seen.faults,
    consistent: code === 0 && consistent,
    correct: false,
    log: [
      `--- run ${index} (${verdict}, rate ${rate}, exit ${code}) ---`,
      started.output().slice(-4000),
      ...seen.log,
    ].join('\n'),
  };
}

/** `count` faulted runs at `rate` after the two fault-free ones, on one target of a fresh namespace. */
export async function runFaultRuns(count: number, rate = 0.05, seed = 15): Promise<FaultRuns> {
  const config = await requireLocalCluster();
  const namespace = await createTestNamespace(config, 'faults');
  const proxy = await startFaultProxy(config, { rate: 0, seed });
  try {
    const images = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
    const first = recordedContext(config, fixtureSettings({ namespace, name: TARGET }));
    await promoteCanary(first, await deployCanary(first, images[0].reference));
    let stable = 0;
    const runs: FaultRun[] = [];
    for (let index = 0; index < count + 2; index++) {
      const verdict = index % 2 === 0 ? 'promote' : 'revert';
      const canary = 1 - stable;
      const run = await oneRun(
        config,
        namespace,
        proxy,
        index,
        verdict,
        images[canary]!,
        index < 2 ? 0 : rate,
      );
      if (run.decision === 'promoted') stable = canary;
      runs.push(run);
    }
    // The fault-free runs must show the verdicts' own decisions, or the comparison means nothing.
    const control = runs.slice(0, 2).map((run) => ({
      ...run,
      correct: run.consistent && run.decision === (run.verdict === 'promote' ? 'promoted' : 'reverted'),
    }));
    const decisionOf = new Map(control.map((run) => [run.verdict, run.decision]));
    const faulted = runs
      .slice(2)
      .map((run) => ({ ...run, correct: run.consistent && run.decision === decisionOf.get(run.verdict) }));
    const faults = noFaults();
    for (const run of faulted) for (const kind of FAULT_KINDS) faults[kind] += run.faults[kind];
    return { control, runs: faulted, faults };
  } finally {
    await proxy.close();
    await deleteTestNamespace(config, namespace);
  }
}
