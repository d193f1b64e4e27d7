/**
 * GPUs in use on the local cluster, sampled every second through the Kubernetes API while a
 * rollout runs (the gpu-budget integration test and the rollout benchmark). A pod holds its GPUs
 * from the moment it is bound to a node until it is gone, terminating or not, so that is what is
 * counted: a budget that only looked at ready pods would hide a canary started beside a stable pod
 * still shutting down.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from '../../src/kube/quantities.ts';

export const GPU_RESOURCE = 'nvidia.com/gpu';

/** GPUs the pods hold: bound to a node and not finished (terminating ones included). */
export function gpusHeld(pods: readonly V1Pod[], resource = GPU_RESOURCE): number {
  return pods
    .filter((pod) => pod.spec?.nodeName && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''))
    .flatMap((pod) => pod.spec?.containers ?? [])
    .reduce((sum, container) => {
      const value = container.resources?.limits?.[resource] ?? container.resources?.requests?.[resource];
      return sum + (value === undefined ? 0 : (parseQuantity(value) ?? 0));
    }, 0);
}

/** GPUs held by pods in `namespace` now. */
export async function gpusInUse(config: KubeConfig, namespace: string): Promise<number> {
  const pods = await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
  return gpusHeld(pods.items);
}

/** Free GPUs of the cluster's nodes now: allocatable less what every bound, unfinished pod holds. */
export async function freeGpus(config: KubeConfig): Promise<{ free: number; holders: string[] }> {
  const core = config.makeApiClient(CoreV1Api);
  const [nodes, pods] = await Promise.all([core.listNode(), core.listPodForAllNamespaces()]);
  const allocatable = nodes.items.reduce(
    (sum, node) => sum + (parseQuantity(node.status?.allocatable?.[GPU_RESOURCE] ?? '0') ?? 0),
    0,
  );
  const holding = pods.items.filter((pod) => gpusHeld([pod]) > 0);
  return {
    free: allocatable - gpusHeld(pods.items),
    holders: holding.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`),
  };
}

export interface GpuSampler {
  /** Stops sampling; resolves with the samples taken (GPUs in use, one a second). */
  stop(): Promise<number[]>;
}

/** Samples the GPUs held in `namespace` every second until stopped; a failed sample fails the stop. */
export function sampleGpus(config: KubeConfig, namespace: string, intervalMs = 1000): GpuSampler {
  const samples: number[] = [];
  let failure: unknown;
  let pending: Promise<void> = Promise.resolve();
  const take = (): void => {
    pending = gpusInUse(config, namespace).then(
      (gpus) => void samples.push(gpus),
      (error: unknown) => void (failure ??= error),
    );
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      take();
      await pending;
      if (failure !== undefined) throw failure;
      return samples;
    },
  };
}
