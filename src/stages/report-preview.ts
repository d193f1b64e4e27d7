/**
 * Stage `report-preview`: finds the address a reviewer opens for a preview — with `probe-target:
 * url`, the user's URL; otherwise the preview Service through the API server's service proxy
 * (reachable wherever the kubeconfig is) — and keeps it for the PR comment, the Deployment's
 * environment_url and the `preview-url` output that finishRunReport writes after the stages.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { serviceProxyPath, servicePort } from '../load/targets.ts';
import { ClusterError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import { clusterOf } from '../kube/cluster.ts';
import type { Plan } from '../plan.ts';

/** The address the report-preview stage found in this main step (in memory only). */
export const previewRecord: { url?: string } = {};

/** The preview Service's address through the API server proxy, with a trailing slash. */
export async function serviceProxyAddress(
  config: KubeConfig,
  namespace: string,
  service: string,
): Promise<string> {
  const server = config.getCurrentCluster()?.server;
  if (server === undefined) throw new ClusterError('kubeconfig', 'names no current cluster');
  const port = await servicePort(config, namespace, service).catch((error: unknown) => {
    throw new ClusterError(
      `service/${service}`,
      `the preview's Service could not be read: ${(error as Error).message}`,
    );
  });
  return `${server.replace(/\/+$/, '')}${serviceProxyPath(namespace, service, port)}/`;
}

/** Stage runner for `report-preview` (wire as `'report-preview': reportPreviewStage`). */
export async function reportPreviewStage(plan: Plan, settings: Settings): Promise<void> {
  if (settings.probe.target === 'url' && settings.probe.url !== undefined) {
    previewRecord.url = settings.probe.url;
    return;
  }
  const cluster = clusterOf(settings);
  previewRecord.url = await serviceProxyAddress(cluster.config, plan.namespace, plan.objects.service);
}
