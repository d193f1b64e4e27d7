/**
 * Finds an autoscaler that owns stable's replica count: a HorizontalPodAutoscaler (autoscaling/v2)
 * or a KEDA ScaledObject (keda.sh/v1alpha1, which runs an HPA of its own) whose scale target is
 * the stable Deployment. The rollout then never sets stable's replicas (src/kube/rollout.ts).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { apiMessage, statusOf, type Cluster } from './cluster.ts';
import type { Autoscaler } from './gpu-budget.ts';

/** An HPA's or ScaledObject's target, the fields we read. */
export interface ScaleTargetHolder extends KubernetesObject {
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

/** The API groups, versions and resources listed; the preflight asks RBAC for `list` on each. */
export const AUTOSCALER_RESOURCES = [
  { kind: 'ScaledObject', group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects' },
  {
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
  },
] as const;

function targets(holder: ScaleTargetHolder, deployment: string): boolean {
  const ref = holder.spec?.scaleTargetRef;
  // A ScaledObject's kind defaults to Deployment; an HPA always names it.
  return ref?.name === deployment && (ref.kind ?? 'Deployment') === 'Deployment';
}

/**
 * Pure: the autoscaler of `deployment`. A ScaledObject is named before the HPA KEDA made for it
 * (`keda-hpa-<name>`), since that is what the user wrote.
 */
export function autoscalerOf(
  listed: { kind: Autoscaler['kind']; items: ScaleTargetHolder[] }[],
  deployment: string,
): Autoscaler | undefined {
  for (const { kind, items } of listed) {
    const found = items.find((item) => targets(item, deployment));
    if (found !== undefined) return { kind, name: found.metadata?.name ?? '?' };
  }
  return undefined;
}

/** Lists both kinds in the namespace; a kind whose API is not installed (no KEDA: 404) has none. */
export async function findAutoscaler(
  cluster: Cluster,
  namespace: string,
  deployment: string,
): Promise<Autoscaler | undefined> {
  const listed = await Promise.all(
    AUTOSCALER_RESOURCES.map(async (resource) => {
      try {
        const list = (await cluster.custom.listNamespacedCustomObject({
          group: resource.group,
          version: resource.version,
          namespace,
          plural: resource.plural,
        })) as { items: ScaleTargetHolder[] };
        return { kind: resource.kind, items: list.items };
      } catch (error) {
        if (statusOf(error) === 404) return { kind: resource.kind, items: [] };
        throw new ClusterError(
          `${resource.plural}.${resource.group} in ${namespace}`,
          `could not be listed to find an autoscaler of Deployment ${deployment}: ${apiMessage(error)}` +
            (statusOf(error) === 403 ? '. Grant list on them (examples/rbac).' : ''),
        );
      }
    }),
  );
  return autoscalerOf(listed, deployment);
}
