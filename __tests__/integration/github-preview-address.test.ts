/**
 * The preview address the PR comment and the Deployment's environment_url carry: the preview
 * Service through the real API server's service proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from '../../src/errors.ts';
import { serviceProxyAddress } from '../../src/stages/report-preview.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

describe('preview address', () => {
  let admin: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    admin = await requireLocalCluster();
    namespace = await createTestNamespace(admin, 'preview-address');
    await admin.makeApiClient(CoreV1Api).createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'tiny-mlp-pr-7' },
        spec: { selector: { app: 'none' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
      },
    });
  });

  afterAll(async () => {
    if (namespace) await deleteTestNamespace(admin, namespace);
  });

  it('is the Service through the API server proxy, by port name, and the API server routes it', async () => {
    const address = await serviceProxyAddress(admin, namespace, 'tiny-mlp-pr-7');
    const server = admin.getCurrentCluster()!.server.replace(/\/+$/, '');
    expect(address).toBe(`${server}/api/v1/namespaces/${namespace}/services/tiny-mlp-pr-7:http/proxy/`);
    // The proxy finds the Service (no pods behind it: 503 "no endpoints"), not a 404 for a bad path.
    const core = admin.makeApiClient(CoreV1Api);
    const answer = await core
      .connectGetNamespacedServiceProxyWithPath({ name: 'tiny-mlp-pr-7:http', namespace, path: '' })
      .then(
        () => 200,
        (error: { code?: number }) => error.code,
      );
    expect(answer).toBe(503);
  });

  it('names the missing Service when the preview has none', async () => {
    await expect(serviceProxyAddress(admin, namespace, 'tiny-mlp-pr-8')).rejects.toBeInstanceOf(ClusterError);
    await expect(serviceProxyAddress(admin, namespace, 'tiny-mlp-pr-8')).rejects.toThrow(
      /^service\/tiny-mlp-pr-8:/,
    );
  });
});
