/**
 * Waits for a Deployment's rollout with the watch API (one watch on the Deployment, one on its
 * pods; no polling), and stops early with the cause when the outcome is certain: a crash loop, an
 * image that cannot be pulled, a pod that cannot be scheduled, an OOM kill, a model that never
 * becomes ready within its startup budget, or Kubernetes' own ProgressDeadlineExceeded.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ContainerCrash } from '../checks/canary-pods.ts';
import { CanaryFailed, ClusterError } from '../errors.ts';
import { describeKubeFailure } from './api-failure.ts';
import type { Cluster } from './cluster.ts';

export interface RolloutTarget {
  namespace: string;
  deployment: string;
  /** Label selector of the Deployment's pods. */
  podSelector: string;
  /** Image the new pods run: pods with another image belong to the previous revision. */
  image: string;
  /** Seconds a container may take from start to ready (startup probe budget). */
  startupBudgetSeconds: number;
  /** Slack after the budget before "never ready" is certain: two readiness probe periods by default. */
  readinessGraceSeconds?: number;
  /**
   * Seconds a pod must stay unschedulable before that is certain: during a rolling update the
   * scheduler refuses a new pod until the old one has released its GPU.
   */
  unschedulableGraceSeconds?: number;
  /** Seconds to wait overall before giving up (defaults to budget + 120 s). */
  timeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface RolloutResult {
  /** When we saw the rollout complete (Date.now()). */
  availableAt: number;
  /** Time of the Deployment's Available condition as the API server wrote it (ms, second precision). */
  conditionAt?: number;
  /** Digest-pinned images the new pods actually run, from their containers' imageID. */
  imageIds: string[];
}

/** Failure causes we stop on, as CanaryFailed.kind. */
export const FAILURE_KINDS = [
  'CrashLoopBackOff',
  'ImagePullFailed',
  'FailedScheduling',
  'OOMKilled',
  'NeverReady',
  'ProgressDeadlineExceeded',
  'Timeout',
] as const;

const PULL_FAILURES: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

/** Pure: the certain failure a pod shows, if any (pods of an older revision are ignored by the caller). */
export function podFailure(pod: V1Pod): CanaryFailed | undefined {
  const name = pod.metadata?.name ?? '?';
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return new CanaryFailed(
      'FailedScheduling',
      `pod ${name} cannot be scheduled: ${scheduled.message ?? ''}`.trim(),
    );
  }
  for (const status of [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ]) {
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (terminated?.reason === 'OOMKilled') {
      return new CanaryFailed(
        'OOMKilled',
        `container ${status.name} of pod ${name} was killed for exceeding its memory limit (OOMKilled)`,
      );
    }
    const waiting = status.state?.waiting;
    if (waiting?.reason !== undefined && PULL_FAILURES.has(waiting.reason)) {
      return new CanaryFailed(
        'ImagePullFailed',
        `pod ${name} cannot pull image ${status.image}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      );
    }
    if (waiting?.reason === 'CrashLoopBackOff') {
      const last = status.lastState?.terminated;
      const exit = last ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : '';
      return new CanaryFailed(
        'CrashLoopBackOff',
        `container ${status.name} of pod ${name} keeps crashing${exit}, restarted ${status.restartCount} time(s)`,
      );
    }
  }
  return undefined;
}

/**
 * How long the kubelet retries an anonymous pull it made before its Secret cache held the pod's pull
 * Secret (the node authorizer links a new pod to its Secrets a moment after it is bound): its back-off
 * is 10 s, so a refusal that outlasts 20 s is the credentials'.
 */
const PULL_AUTH_GRACE_MS = 20_000;
const AUTH_REFUSED = /\b(401|403)\b|unauthori[sz]ed|authentication required|access denied|denied|forbidden/i;

/**
 * Pure: how long `failure` must last before it counts (0: at once). An unschedulable pod may get
 * room when other pods go; a pod with pull Secrets refused by the registry may have pulled before
 * the kubelet could read them.
 */
export function failureGraceMs(failure: CanaryFailed, pod: V1Pod, unschedulableGraceMs: number): number {
  if (failure.kind === 'FailedScheduling') return unschedulableGraceMs;
  const withSecrets = (pod.spec?.imagePullSecrets ?? []).length > 0;
  if (failure.kind === 'ImagePullFailed' && withSecrets && AUTH_REFUSED.test(failure.message))
    return PULL_AUTH_GRACE_MS;
  return 0;
}

/** Pure: the rollout of this Deployment revision is complete and every replica is available. */
export function rolloutComplete(deployment: V1Deployment): boolean {
  const spec = deployment.spec;
  const status = deployment.status;
  if (spec === undefined || status === undefined) return false;
  const wanted = spec.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
    (status.updatedReplicas ?? 0) === wanted &&
    (status.availableReplicas ?? 0) === wanted &&
    (status.replicas ?? 0) === wanted &&
    (status.unavailableReplicas ?? 0) === 0
  );
}

/** Pure: Kubernetes' own verdict that the rollout stalled. */
export function progressDeadlineExceeded(deployment: V1Deployment): boolean {
  return (
    deployment.status?.conditions?.some(
      (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
    ) ?? false
  );
}

/** Watches until the Deployment is fully available; throws CanaryFailed with the cause otherwise. */
export async function waitForRollout(cluster: Cluster, target: RolloutTarget): Promise<RolloutResult> {
  const log = target.log ?? (() => undefined);
  const grace = target.readinessGraceSeconds ?? 4;
  const timeoutMs = (target.timeoutSeconds ?? target.startupBudgetSeconds + 120) * 1000;
  const pods = new Map<string, V1Pod>();
  /** First time each pod's container was seen running (ms), for the never-ready deadline. */
  const firstStart = new Map<string, number>();
  /** When each pod was first seen failing in a way Kubernetes may still resolve, and how (ms). */
  const passingSince = new Map<string, { kind: string; since: number }>();
  const unschedulableGraceMs = (target.unschedulableGraceSeconds ?? 5) * 1000;
  let deployment: V1Deployment | undefined;
  const aborts: AbortController[] = [];
  let stopped = false;

  return new Promise<RolloutResult>((resolve, reject) => {
    const finish = (outcome: { result?: RolloutResult; error?: Error }): void => {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      for (const abort of aborts) abort.abort();
      if (outcome.error !== undefined) reject(outcome.error);
      else resolve(outcome.result!);
    };

    const newRevisionPods = (): V1Pod[] =>
      [...pods.values()].filter(
        (pod) =>
          pod.metadata?.deletionTimestamp === undefined && pod.spec?.containers[0]?.image === target.image,
      );

    const evaluate = (): void => {
      if (stopped) return;
      const releasing = [...pods.values()].some((pod) => pod.metadata?.deletionTimestamp !== undefined);
      for (const pod of newRevisionPods()) {
        const failure = podFailure(pod);
        const name = pod.metadata?.name ?? '';
        const graceMs = failure === undefined ? 0 : failureGraceMs(failure, pod, unschedulableGraceMs);
        if (graceMs === 0) passingSince.delete(name);
        if (failure === undefined) continue;
        if (graceMs > 0) {
          const seen = passingSince.get(name);
          const since = seen?.kind === failure.kind ? seen.since : Date.now();
          passingSince.set(name, { kind: failure.kind, since });
          // Pods being released may free the room an unschedulable one waits for.
          if ((releasing && failure.kind === 'FailedScheduling') || Date.now() - since < graceMs) continue;
        }
        return finish({ error: failure });
      }
      if (deployment !== undefined && progressDeadlineExceeded(deployment)) {
        return finish({
          error: new CanaryFailed(
            'ProgressDeadlineExceeded',
            `Deployment ${target.namespace}/${target.deployment} made no progress within its deadline`,
          ),
        });
      }
      if (deployment !== undefined && rolloutComplete(deployment)) {
        const available = deployment.status?.conditions?.find((c) => c.type === 'Available');
        const conditionAt = available?.lastTransitionTime
          ? new Date(available.lastTransitionTime).getTime()
          : undefined;
        const imageIds = [...new Set(modelImageIds(newRevisionPods()))];
        return finish({
          result: {
            availableAt: Date.now(),
            ...(conditionAt !== undefined ? { conditionAt } : {}),
            imageIds,
          },
        });
      }
    };

    const checkReadinessDeadlines = (): void => {
      const now = Date.now();
      for (const pod of newRevisionPods()) {
        const name = pod.metadata?.name ?? '?';
        for (const status of pod.status?.containerStatuses ?? []) {
          const running = status.state?.running?.startedAt;
          if (running !== undefined && !firstStart.has(name))
            firstStart.set(name, new Date(running).getTime());
          const started = firstStart.get(name);
          if (started === undefined || status.ready) continue;
          const limit = started + (target.startupBudgetSeconds + grace) * 1000;
          if (now >= limit) {
            return finish({
              error: new CanaryFailed(
                'NeverReady',
                `container ${status.name} of pod ${name} did not become ready within its startup budget of ` +
                  `${target.startupBudgetSeconds}s (+${grace}s grace)`,
              ),
            });
          }
        }
      }
    };

    // A local clock, not an API request: readiness deadlines need time to pass, not new events.
    const ticker = setInterval(() => {
      checkReadinessDeadlines();
      evaluate();
    }, 500);
    const deadline = setTimeout(
      () =>
        finish({
          error: new CanaryFailed(
            'Timeout',
            `Deployment ${target.namespace}/${target.deployment} was not available after ${timeoutMs / 1000}s`,
          ),
        }),
      timeoutMs,
    );

    const basePath = `/apis/apps/v1/namespaces/${target.namespace}/deployments`;
    watchForever(
      cluster,
      basePath,
      { fieldSelector: `metadata.name=${target.deployment}` },
      aborts,
      () => stopped,
      {
        onEvent: (type, object: V1Deployment) => {
          deployment = type === 'DELETED' ? undefined : object;
          evaluate();
        },
        onError: (error) => finish({ error }),
      },
    );
    watchForever(
      cluster,
      `/api/v1/namespaces/${target.namespace}/pods`,
      { labelSelector: target.podSelector },
      aborts,
      () => stopped,
      {
        onEvent: (type, object: V1Pod) => {
          const name = object.metadata?.name ?? '';
          if (type === 'DELETED') pods.delete(name);
          else pods.set(name, object);
          checkReadinessDeadlines();
          evaluate();
        },
        onError: (error) => finish({ error }),
      },
    );
    log(`watching Deployment ${target.namespace}/${target.deployment} and its pods`);
  });
}

/**
 * Watches until at most `atMost` pods match the selector, terminating ones counted: a pod holds
 * its GPU until it is gone, so a scale-down under a GPU budget waits for this before anything
 * else may take the GPU. Fails after the pods' termination grace period plus a minute.
 */
export async function waitForPodsGone(
  cluster: Cluster,
  target: { namespace: string; podSelector: string; atMost: number; what: string },
): Promise<void> {
  const listed = await cluster.core.listNamespacedPod({
    namespace: target.namespace,
    labelSelector: target.podSelector,
  });
  if (listed.items.length <= target.atMost) return;
  // The watch below starts where the list ended: each change after it arrives, none is replayed.
  const pods = new Map<string, V1Pod>(listed.items.map((pod) => [pod.metadata?.name ?? '', pod]));
  const aborts: AbortController[] = [];
  let stopped = false;
  return new Promise<void>((resolve, reject) => {
    let deadline: NodeJS.Timeout | undefined;
    const finish = (error?: Error): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(deadline);
      for (const abort of aborts) abort.abort();
      if (error !== undefined) reject(error);
      else resolve();
    };
    const armDeadline = (): void => {
      const grace = Math.max(
        30,
        ...[...pods.values()].map((pod) => pod.spec?.terminationGracePeriodSeconds ?? 30),
      );
      clearTimeout(deadline);
      deadline = setTimeout(
        () =>
          finish(
            new ClusterError(
              target.what,
              `${pods.size} pod(s) still exist ${grace + 60}s after the scale-down to ${target.atMost} ` +
                `(${[...pods.keys()].join(', ')}); their GPUs are not free. A finalizer or a stuck node may hold them.`,
            ),
          ),
        (grace + 60) * 1000,
      );
    };
    armDeadline();
    watchForever(
      cluster,
      `/api/v1/namespaces/${target.namespace}/pods`,
      {
        labelSelector: target.podSelector,
        ...(listed.metadata?.resourceVersion !== undefined
          ? { resourceVersion: listed.metadata.resourceVersion }
          : {}),
      },
      aborts,
      () => stopped,
      {
        onEvent: (type, pod: V1Pod) => {
          const name = pod.metadata?.name ?? '';
          const known = pods.has(name);
          if (type === 'DELETED') pods.delete(name);
          else pods.set(name, pod);
          if (!known && type !== 'DELETED') armDeadline();
          if (pods.size <= target.atMost) finish();
        },
        onError: (error) => finish(error),
      },
    );
  });
}

/** Each container's restart count, by name. */
export function restartCounts(pod: V1Pod): Map<string, number> {
  return new Map((pod.status?.containerStatuses ?? []).map((status) => [status.name, status.restartCount]));
}

/**
 * Pure: the containers of a serving pod that exited since `sinceMs`: restarted more often than
 * `restartsBefore` says, or terminated now. Any exit counts, code 0 too: a server does not finish.
 */
export function containerCrashes(
  pod: V1Pod,
  restartsBefore: ReadonlyMap<string, number>,
  sinceMs: number,
): ContainerCrash[] {
  return (pod.status?.containerStatuses ?? []).flatMap((status) => {
    const now = status.state?.terminated;
    const exitedNow = now !== undefined && new Date(now.finishedAt ?? sinceMs).getTime() >= sinceMs;
    if (!exitedNow && status.restartCount <= (restartsBefore.get(status.name) ?? 0)) return [];
    const last = now ?? status.lastState?.terminated;
    return [
      {
        pod: pod.metadata?.name ?? '?',
        container: status.name,
        ...(last?.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
        ...(last?.reason !== undefined ? { reason: last.reason } : {}),
        restarts: status.restartCount,
      },
    ];
  });
}

/** The canary containers that crashed while the watch ran; `stop` ends the watch. */
export interface CrashWatch {
  crashes(): readonly ContainerCrash[];
  stop(): void;
}

/**
 * Watches the pods behind the canary arm during an analysis and keeps every container exit it
 * sees (the first per container). Restarts before the watch began are the rollout watch's
 * business; a pod created after it counts from zero. A watch that fails is logged, not fatal:
 * the other checks still judge the canary.
 */
export function watchForCrashes(
  cluster: Cluster,
  namespace: string,
  podSelector: string,
  log: (line: string) => void,
): CrashWatch {
  const since = Date.now();
  const before = new Map<string, Map<string, number>>();
  const seen = new Map<string, ContainerCrash>();
  const aborts: AbortController[] = [];
  let stopped = false;
  watchForever(
    cluster,
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector: podSelector },
    aborts,
    () => stopped,
    {
      onEvent: (type, pod: V1Pod) => {
        const name = pod.metadata?.name ?? '';
        if (type === 'DELETED' || pod.metadata?.deletionTimestamp !== undefined) return;
        if (!before.has(name)) {
          const created = new Date(pod.metadata?.creationTimestamp ?? since).getTime();
          before.set(name, created < since ? restartCounts(pod) : new Map());
        }
        for (const crash of containerCrashes(pod, before.get(name)!, since)) {
          const key = `${crash.pod}/${crash.container}`;
          if (seen.has(key)) continue;
          seen.set(key, crash);
          log(
            `canary ${crash.container} of pod ${crash.pod} exited (${crash.reason ?? `code ${crash.exitCode ?? '?'}`})`,
          );
        }
      },
      onError: (error) => log(`warning: the canary's pods are not watched for crashes: ${error.message}`),
    },
  );
  return {
    crashes: () => [...seen.values()],
    stop: () => {
      stopped = true;
      for (const abort of aborts) abort.abort();
    },
  };
}

interface WatchHandlers<T> {
  onEvent: (type: string, object: T) => void;
  onError: (error: Error) => void;
}

/**
 * One watch that reconnects where it left off when the server or the client's idle timer closes
 * it; starts over (synthetic ADDED events) when the resource version has expired.
 */
export function watchForever<T extends { metadata?: { resourceVersion?: string } }>(
  cluster: Cluster,
  path: string,
  query: Record<string, string>,
  aborts: AbortController[],
  isStopped: () => boolean,
  handlers: WatchHandlers<T>,
): void {
  // "0": start from the API server's watch cache, which needs no etcd progress notifications;
  // after a list, from the list's version, so nothing the list saw is replayed.
  let resourceVersion = query['resourceVersion'] ?? '0';
  let failures = 0;
  let lastError = '';
  let lastFailure: Error | undefined;
  const retry = (): void => {
    failures += 1;
    if (failures > 5) {
      handlers.onError(
        lastFailure ?? new Error(`watching ${path} failed ${failures} times in a row: ${lastError}`),
      );
      return;
    }
    setTimeout(connect, 250 * 2 ** failures);
  };
  const connect = (): void => {
    if (isStopped()) return;
    let failed = false;
    void cluster.watcher
      .watch(
        path,
        { ...query, timeoutSeconds: 300, resourceVersion },
        (type, object: T & { code?: number; message?: string }) => {
          if (type === 'ERROR') {
            // 410 Gone: our resource version left the window; start over from the cache.
            if (object.code === 410) resourceVersion = '0';
            else failed = true;
            lastError = object.message ?? `status ${object.code}`;
            lastFailure = undefined;
            return;
          }
          if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
          failures = 0;
          if (type !== 'BOOKMARK') handlers.onEvent(type, object);
        },
        (error: unknown) => {
          if (isStopped()) return;
          if (error !== null && error !== undefined && !isTimeout(error)) {
            lastError = (error as Error).message ?? String(error);
            const status = (error as { statusCode?: number }).statusCode;
            // The watch sends with fetch itself, not through the clients' describing library.
            lastFailure = describeKubeFailure(
              cluster.server,
              { method: 'GET', url: `${path}?watch=true` },
              status !== undefined ? { status, body: lastError } : { error },
            );
            if (status === 403) {
              handlers.onError(lastFailure);
              return;
            }
            failed = true;
          }
          if (failed) retry();
          else connect();
        },
      )
      .then((abort) => {
        if (isStopped()) abort.abort();
        else aborts.push(abort);
      })
      .catch((error: unknown) => handlers.onError(error as Error));
  };
  connect();
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/**
 * The imageIDs the pods' model containers run. The model container is the pod spec's first (the
 * pod template is rendered so); container statuses come sorted by name, so a sidecar's would
 * otherwise be taken for the model's image.
 */
export function modelImageIds(pods: readonly V1Pod[]): string[] {
  return pods.flatMap((pod) => {
    const model = pod.spec?.containers[0]?.name;
    return (pod.status?.containerStatuses ?? [])
      .filter((status) => status.name === model && status.imageID !== undefined && status.imageID !== '')
      .map((status) => status.imageID!);
  });
}
