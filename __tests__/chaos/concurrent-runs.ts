/**
 * Five runs started together on one target (issue #15), shared by concurrent-runs.test.ts and the
 * reliability benchmark (`concurrent_interleavings`). Each run is the chaos main step
 * (main-step.ts: the real step session with the target's Lease, deploy-canary, a passed analysis,
 * decide) as its own process and workflow run, on a target whose first version is already stable.
 *
 * The cluster is watched while they run, so the measure does not rest on what the runs say of
 * themselves: every write to the target's Deployments (created, deleted, a new generation, or a
 * new run annotation) is attributed to the run its model-canary.dev/run annotation names (every
 * apply of ours sets it). A run's changing window runs from its first write to its last, in the
 * order the API server sent them; two runs whose windows overlap are an interleaving.
 */
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../../src/kube/labels.ts';
import { runContextOf } from '../../src/inputs/run-context.ts';
import { runIdentity } from '../../src/kube/manifests.ts';
import { deployCanary, promoteCanary } from '../../src/kube/rollout.ts';
import { watchForever } from '../../src/kube/rollout-watch.ts';
import { fixtureImage } from '../fixtures/rollout/images.ts';
import { fixtureSettings, recordedContext } from '../fixtures/rollout/rollout-context.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  requireLocalCluster,
} from '../integration/local-cluster.ts';
import { exited } from '../support/runner-step.ts';
import { chaosStep, startMainStep } from './main-step-process.ts';

const TARGET = 'shared';
const FIRST_RUN_ID = 9100;

/** What one of the runs did. */
export interface ConcurrentRun {
  holder: string;
  code: number | null;
  /** It got through decide (main-step.ts prints `chaos: decided`). */
  decided: boolean;
  /** It said that it found the Lease held and waited. */
  waited: boolean;
  /** It waited its bound for the Lease and stopped, saying so, before any change. */
  gaveUp: boolean;
  /** Writes attributed to it, and the first and last one's place in the watch's order. */
  writes: number;
  window?: [number, number];
}

export interface ConcurrentRuns {
  runs: ConcurrentRun[];
  /** Pairs of runs whose changing windows overlap. */
  interleavings: number;
  /** Each run's log, for a failure to print. */
  logs: string;
}

/** A write to a Deployment: which run's, in the order the watch received them. */
interface Write {
  run: string;
  what: string;
}

/** Watches the target's Deployments, recording each write; returns the record and a stop. */
function watchWrites(config: KubeConfig, namespace: string): { writes: Write[]; stop: () => void } {
  const cluster = recordedContext(config, fixtureSettings({ namespace, name: TARGET })).cluster;
  const writes: Write[] = [];
  const known = new Map<string, { generation: number; run: string }>();
  const aborts: AbortController[] = [];
  let stopped = false;
  watchForever<V1Deployment>(
    cluster,
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    {},
    aborts,
    () => stopped,
    {
      onEvent: (type, deployment) => {
        const uid = deployment.metadata?.uid ?? '';
        const run = deployment.metadata?.annotations?.[ANNOTATIONS.run] ?? '';
        const generation = deployment.metadata?.generation ?? 0;
        const before = known.get(uid);
        const what = `${type} ${deployment.metadata?.name} generation ${generation}`;
        if (type === 'DELETED') {
          known.delete(uid);
          writes.push({ run, what });
        } else {
          known.set(uid, { generation, run });
          // A watch that starts over replays what exists as ADDED: only what changed is a write.
          if (before === undefined || generation > before.generation || run !== before.run) {
            writes.push({ run, what });
          }
        }
      },
      onError: (error) => writes.push({ run: '', what: `watch failed: ${error.message}` }),
    },
  );
  return {
    writes,
    stop: () => {
      stopped = true;
      for (const abort of aborts) abort.abort();
    },
  };
}

/** Pairs of windows that overlap. */
export function overlappingPairs(windows: readonly (readonly [number, number])[]): number {
  let pairs = 0;
  for (const [i, a] of windows.entries())
    for (const b of windows.slice(i + 1)) if (a[0] < b[1] && b[0] < a[1]) pairs += 1;
  return pairs;
}

/** Starts `count` runs at once on one target and measures how their changes interleaved. */
export async function runConcurrentRuns(count = 5): Promise<ConcurrentRuns> {
  const config = await requireLocalCluster();
  const namespace = await createTestNamespace(config, 'concurrent');
  try {
    const [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
    const first = recordedContext(config, fixtureSettings({ namespace, name: TARGET }));
    await promoteCanary(first, await deployCanary(first, v1.reference));

    const watch = watchWrites(config, namespace);
    const steps = Array.from({ length: count }, (_, index) =>
      chaosStep(namespace, TARGET, FIRST_RUN_ID + index, 1),
    );
    const started = steps.map((step, index) =>
      startMainStep(step.env, (index % 2 === 0 ? v2 : v1).reference, 'promote'),
    );
    const codes = await Promise.all(started.map((step) => exited(step.child)));
    // Let the watch deliver the last runs' writes.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    watch.stop();

    const runs = steps.map((step, index): ConcurrentRun => {
      // The Lease holder and run annotation, as the step derives them from its environment.
      const holder = runIdentity(runContextOf(step.env, {}));
      const places = watch.writes.flatMap((write, place) => (write.run === holder ? [place] : []));
      const output = started[index]!.output();
      return {
        holder,
        code: codes[index]!,
        decided: output.includes('chaos: decided'),
        waited: /is held by \S+; waiting for it/.test(output),
        gaveUp: /is held by \S+; waited \d+s for it/.test(output),
        writes: places.length,
        ...(places.length > 0 ? { window: [places[0]!, places.at(-1)!] as [number, number] } : {}),
      };
    });
    return {
      runs,
      interleavings: overlappingPairs(runs.flatMap((run) => (run.window ? [run.window] : []))),
      logs: [
        ...started.map(
          (step, index) =>
            `--- ${runs[index]!.holder} (exit ${codes[index]}) ---\n${step.output().slice(-3000)}`,
        ),
        `--- writes seen ---\n${watch.writes.map((write) => `${write.run}: ${write.what}`).join('\n')}`,
      ].join('\n'),
    };
  } finally {
    await deleteTestNamespace(config, namespace);
  }
}
