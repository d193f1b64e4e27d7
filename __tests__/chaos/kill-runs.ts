/**
 * Kill points (issue #15), shared by kill-runs.test.ts and the reliability benchmark
 * (`kill_cases_clean`, `orphan_recovered`). Each case has a target of its own with v1 stable; the
 * chaos main step (main-step.ts: the real session and Lease, deploy-canary, a judged analysis,
 * decide) deploys v2 there and is killed at one point of its timeline, named by a line of its log
 * (the stage it reached) and a delay after it. Then what follows such a kill in real life:
 *
 * - `post`: SIGTERM (the runner cancelling the job), then the post step as the runner runs it;
 * - `rerun`: SIGKILL, then the next attempt of the same run, promoting (it takes the Lease over);
 * - `cleanup`: SIGKILL and nothing more, as when the runner machine dies: a run of another
 *   workflow, `mode: cleanup`, waits for the dead run's Lease to run out and undoes the record the
 *   Lease carries.
 *
 * A case is clean when the recovering step exits 0 without an error annotation and the cluster,
 * read with the admin kubeconfig, shows stable available on the image it must run, no canary
 * Deployment or Service, no Secret of ours for the target, and no Lease. The image it must run: v2
 * after a re-run (it promotes); otherwise v1 when the record of pending changes at the kill was not
 * empty (the post step reads the step state, cleanup the Lease: each is checked against what it
 * reads), v2 when the killed run had finished promoting, v1 when it had changed nothing yet.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS } from '../../src/kube/labels.ts';
import { deployCanary, promoteCanary, removeTarget } from '../../src/kube/rollout.ts';
import { fixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { BUNDLE, exited, POST_BUNDLE, runProcess, stateVariables } from '../support/runner-step.ts';
import { chaosStep, startMainStep, targetState, type TargetState } from './main-step-process.ts';

export type Recovery = 'post' | 'rerun' | 'cleanup';

export interface KillPoint {
  /** The stage the kill lands in, for the report. */
  stage: string;
  verdict: 'promote' | 'revert';
  /** The log line (its `nth` occurrence, default the first) after which the delay starts; none: the start. */
  after?: string;
  nth?: number;
  delayMs: number;
}

/**
 * Twenty points over every stage of a promoting and a reverting run (the main step's log, measured
 * on the local cluster: Lease at 0.5 s, canary applied at 0.8 s and available at 7 s, a promotion
 * from 7 s to 17 s; a revert takes 0.1 s).
 */
export const KILL_POINTS: readonly KillPoint[] = [
  { stage: 'taking the Lease', verdict: 'promote', delayMs: 150 },
  { stage: 'pre-flight', verdict: 'promote', after: 'held by', delayMs: 0 },
  { stage: 'GPU budget decided', verdict: 'promote', after: 'free of', delayMs: 20 },
  { stage: 'canary Service applied', verdict: 'promote', after: 'canary pinned to', delayMs: 0 },
  { stage: 'canary Deployment applied', verdict: 'promote', after: 'replica(s) of', delayMs: 0 },
  { stage: 'canary pods starting', verdict: 'promote', after: 'watching Deployment', delayMs: 1500 },
  { stage: 'canary pods nearly ready', verdict: 'promote', after: 'watching Deployment', delayMs: 4000 },
  { stage: 'traffic routed', verdict: 'promote', after: 'canary available', delayMs: 0 },
  { stage: 'analysis', verdict: 'promote', after: 'chaos: canary deployed', delayMs: 0 },
  { stage: 'promotion begun', verdict: 'promote', after: 'stable changes image', delayMs: 0 },
  { stage: 'canary scaled down', verdict: 'promote', after: 'stable changes image', delayMs: 1000 },
  { stage: 'stable rolling', verdict: 'promote', after: 'watching Deployment', nth: 2, delayMs: 0 },
  { stage: 'stable pods starting', verdict: 'promote', after: 'watching Deployment', nth: 2, delayMs: 3000 },
  { stage: 'promoted, record not yet cleared', verdict: 'promote', after: 'promoted:', delayMs: 0 },
  { stage: 'after the Lease is released', verdict: 'promote', after: 'Kubernetes API requests', delayMs: 0 },
  { stage: 'revert decided', verdict: 'revert', after: 'chaos: canary deployed', delayMs: 0 },
  { stage: 'reverting', verdict: 'revert', after: 'reverting:', delayMs: 0 },
  { stage: 'canary being removed', verdict: 'revert', after: 'reverting:', delayMs: 40 },
  { stage: 'reverted', verdict: 'revert', after: 'reverted:', delayMs: 0 },
  { stage: 'traffic routed (reverting run)', verdict: 'revert', after: 'canary available', delayMs: 300 },
];

export interface KillCase {
  index: number;
  point: KillPoint;
  recovery: Recovery;
  /** The killed step had already exited (nothing left to kill). */
  exitedBeforeKill: boolean;
  /** The changes the record the recovery reads held at the kill. */
  pendingAtKill: string[];
  expectedImage: string;
  after: TargetState & { secrets: number };
  recoveryCode: number | null;
  /** The recovery said it undid a dead run's record (mode cleanup). */
  recoveredOrphan: boolean;
  clean: boolean;
  log: string;
}

const FIRST_RUN_ID = 9500;
const RUN_LIMIT_MS = 240_000;

/** The recovery of case `index`: the three in turn. */
export function recoveryOf(index: number): Recovery {
  return (['post', 'rerun', 'cleanup'] as const)[index % 3]!;
}

function pendingIn(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return (JSON.parse(text) as { changes: string[] }).changes;
}

/** Runs the cases at `indices` of KILL_POINTS (default: all), one after another, each on a target of its own. */
export async function runKillCases(
  indices: readonly number[] = KILL_POINTS.map((_, i) => i),
): Promise<KillCase[]> {
  const config = await requireLocalCluster();
  const namespace = await createTestNamespace(config, 'kills');
  try {
    const [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
    const cases: KillCase[] = [];
    for (const index of indices) {
      cases.push(await oneCase(config, namespace, index, v1.reference, v2.reference, v2.pinned));
    }
    return cases;
  } finally {
    await deleteTestNamespace(config, namespace);
  }
}

async function oneCase(
  config: KubeConfig,
  namespace: string,
  index: number,
  v1: string,
  v2: string,
  v2Pinned: string,
): Promise<KillCase> {
  const point = KILL_POINTS[index]!;
  const recovery = recoveryOf(index);
  const name = `kill-${index + 1}`;
  const ctx = recordedContext(config, fixtureSettings({ namespace, name }));
  await promoteCanary(ctx, await deployCanary(ctx, v1));

  const runId = FIRST_RUN_ID + index;
  const step = chaosStep(namespace, name, runId, 1);
  const main = startMainStep(step.env, v2, point.verdict);
  const limit = setTimeout(() => main.child.kill('SIGKILL'), RUN_LIMIT_MS);
  const ended = exited(main.child);
  let stopped = false;
  void ended.then(() => (stopped = true));
  // Watched as the output arrives, not polled: some points are milliseconds before the step ends.
  await new Promise<void>((reached) => {
    const marker = point.after;
    if (marker === undefined) return reached();
    const check = () => {
      if (main.output().split(marker).length - 1 >= (point.nth ?? 1)) reached();
    };
    main.child.stdout!.on('data', check);
    void ended.then(() => reached());
    check();
  });
  if (point.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, point.delayMs));
  const exitedBeforeKill = stopped;
  main.child.kill(recovery === 'post' ? 'SIGTERM' : 'SIGKILL');
  await ended;
  clearTimeout(limit);

  const state = stateVariables(step.stateFile);
  const lease = await ctx.cluster.coordination
    .readNamespacedLease({ name: ctx.plan.objects.lease, namespace })
    .catch(() => undefined);
  const pendingAtKill =
    recovery === 'cleanup'
      ? pendingIn(lease?.metadata?.annotations?.[ANNOTATIONS.pending])
      : pendingIn(state['STATE_model-canary-pending']);
  const promotedBeforeKill = main.output().includes('promoted: stable');
  const expectedImage =
    recovery === 'rerun' ? v2Pinned : pendingAtKill.length > 0 ? v1 : promotedBeforeKill ? v2Pinned : v1;

  let recovered: { code: number | null; output: string };
  if (recovery === 'post') {
    recovered = await runProcess(process.execPath, [POST_BUNDLE], { ...step.env, ...state });
  } else if (recovery === 'rerun') {
    const again = chaosStep(namespace, name, runId, 2);
    const rerun = startMainStep(again.env, v2, 'promote');
    const code = await exited(rerun.child);
    recovered = {
      code: rerun.output().includes('chaos: decided promoted') ? code : -1,
      output: rerun.output(),
    };
  } else {
    const later = chaosStep(namespace, name, runId + 1000, 1);
    recovered = await runProcess(process.execPath, [BUNDLE], { ...later.env, INPUT_MODE: 'cleanup' });
  }
  const recoveredOrphan = /undid the [\w, ]+ run \S+ left unfinished/.test(recovered.output);

  const observed = await targetState(config, namespace, name);
  const secrets = (
    await ctx.cluster.core.listNamespacedSecret({ namespace, labelSelector: `${LABELS.target}=${name}` })
  ).items.length;
  const after = { ...observed, secrets };
  const clean =
    recovered.code === 0 &&
    !/::error/.test(recovered.output) &&
    after.canary.length === 0 &&
    after.stableImage === expectedImage &&
    (after.stableAvailable ?? 0) >= 1 &&
    !after.lease &&
    secrets === 0 &&
    // A cleanup that found a record must have said it undid it.
    (recovery !== 'cleanup' || pendingAtKill.length === 0 || recoveredOrphan);
  // The next case needs the GPUs this target holds.
  await removeTarget(ctx);
  return {
    index,
    point,
    recovery,
    exitedBeforeKill,
    pendingAtKill,
    expectedImage,
    after,
    recoveryCode: recovered.code,
    recoveredOrphan,
    clean,
    log: [
      `--- case ${index + 1}: ${point.stage} (${point.verdict}), ${recovery}; pending at kill: ${pendingAtKill.join(', ') || 'none'} ---`,
      main.output().slice(-3000),
      '--- recovery ---',
      recovered.output.slice(-3000),
      `--- after: ${JSON.stringify(after)}, expected stable ${expectedImage}`,
    ].join('\n'),
  };
}
