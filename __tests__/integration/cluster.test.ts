/**
 * The local stack does what every other integration test relies on: BuildKit builds and pushes
 * to the registry, the kubelet runs that image on a fake GPU the device plugin allocated, the API
 * server's service proxy reaches it, and the scheduler refuses a pod that wants more GPUs than exist.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  buildAndPush,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  PYTHON_BASE_IMAGE,
  REGISTRY,
  requireLocalCluster,
} from './local-cluster.ts';

const GPU_TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

describe('the local cluster', () => {
  let config: KubeConfig;
  let namespace: string;
  let core: CoreV1Api;
  let imageDigest: string;
  const token = `${Date.now()}-${process.pid}`;
  const image = `${REGISTRY}/model-canary-test/gpu-echo`;

  beforeAll(async () => {
    config = await requireLocalCluster();
    core = config.makeApiClient(CoreV1Api);
    namespace = await createTestNamespace(config, 'cluster');
  });

  afterAll(async () => {
    if (namespace) await deleteTestNamespace(config, namespace);
  });

  it('builds an image with BuildKit and pushes it to the registry', async () => {
    const context = mkdtempSync(join(tmpdir(), 'gpu-echo-'));
    // The token makes every run's image unique, so the test proves a fresh push rather than a cached tag.
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${PYTHON_BASE_IMAGE}\nRUN mkdir -p /srv && echo "build=${token}" > /srv/build.txt\n` +
        `CMD ["sh", "-c", "echo gpus=$NVIDIA_VISIBLE_DEVICES > /srv/gpus.txt && exec python3 -m http.server 8080 --directory /srv"]\n`,
    );
    imageDigest = await buildAndPush(context, `${image}:${token}`);
    expect(imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const response = await fetch(`http://${REGISTRY}/v2/model-canary-test/gpu-echo/manifests/${token}`, {
      method: 'HEAD',
      headers: {
        accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(imageDigest);
  });

  it('runs it on an allocated fake GPU and answers through the service proxy', async () => {
    const labels = { app: 'gpu-echo' };
    await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'gpu-echo', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              tolerations: [GPU_TOLERATION],
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'server',
                  image: `${image}@${imageDigest}`,
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/gpus.txt', port: 8080 }, periodSeconds: 1 },
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'gpu-echo' },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });

    const pod = await eventually<V1Pod>('a ready gpu-echo pod', 180, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=gpu-echo' });
      return pods.items.find((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    });
    expect(pod.status?.podIP).toMatch(/^198\.18\./);

    const answer = await core.connectGetNamespacedServiceProxyWithPath({
      namespace,
      name: 'gpu-echo:80',
      path: 'gpus.txt',
    });
    // The device plugin's Allocate response set NVIDIA_VISIBLE_DEVICES to the one device it gave.
    expect(String(answer).trim()).toMatch(/^gpus=GPU-[\w-]+$/);
    expect(String(answer)).not.toContain(',');
    const build = await core.connectGetNamespacedServiceProxyWithPath({
      namespace,
      name: 'gpu-echo:80',
      path: 'build.txt',
    });
    expect(String(build).trim()).toBe(`build=${token}`);
  });

  it('leaves a pod that wants more GPUs than the node has Pending with FailedScheduling', async () => {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'too-many-gpus' },
        spec: {
          tolerations: [GPU_TOLERATION],
          containers: [
            {
              name: 'server',
              image: PYTHON_BASE_IMAGE,
              command: ['sleep', '3600'],
              resources: { limits: { 'nvidia.com/gpu': '5' } },
            },
          ],
        },
      },
    });
    const event = await eventually('a FailedScheduling event', 60, async () => {
      const events = await core.listNamespacedEvent({
        namespace,
        fieldSelector: 'involvedObject.name=too-many-gpus,reason=FailedScheduling',
      });
      return events.items[0];
    });
    expect(event.message).toMatch(/Insufficient nvidia\.com\/gpu/);
    const pod = await core.readNamespacedPod({ namespace, name: 'too-many-gpus' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
  });

  it('advertises the GPUs, their labels and taint on the node', async () => {
    const nodes = await core.listNode();
    const gpuNode = nodes.items.find((node) => node.status?.allocatable?.['nvidia.com/gpu'] !== undefined);
    expect(gpuNode?.status?.allocatable?.['nvidia.com/gpu']).toBe('4');
    expect(gpuNode?.metadata?.labels?.['nvidia.com/gpu.product']).toBeTruthy();
    expect(gpuNode?.metadata?.labels?.['nvidia.com/gpu.memory']).toMatch(/^\d+$/);
    expect(gpuNode?.spec?.taints).toContainEqual(
      expect.objectContaining({ key: 'nvidia.com/gpu', effect: 'NoSchedule' }),
    );
  });
});
