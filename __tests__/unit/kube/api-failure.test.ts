import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  KubeApiError,
  MAX_SENDS,
  describeKubeFailure,
  kubeRequestTarget,
  retryDelayMs,
} from '../../../src/kube/api-failure.ts';
import { Cluster, statusOf, unlessNotFound } from '../../../src/kube/cluster.ts';

describe('kubeRequestTarget', () => {
  it.each([
    [
      'GET',
      '/apis/apps/v1/namespaces/ml/deployments/resnet',
      { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'ml', name: 'resnet' },
    ],
    [
      'GET',
      '/api/v1/namespaces/ml/pods?labelSelector=a%3Db',
      { verb: 'list', group: '', resource: 'pods', namespace: 'ml' },
    ],
    [
      'GET',
      '/api/v1/namespaces/ml/pods?watch=true',
      { verb: 'watch', group: '', resource: 'pods', namespace: 'ml' },
    ],
    [
      'PATCH',
      'https://k8s:6443/apis/apps/v1/namespaces/ml/deployments/r/scale',
      {
        verb: 'patch',
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        namespace: 'ml',
        name: 'r',
      },
    ],
    [
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/ml/leases',
      { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'ml' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/ml/services/r',
      { verb: 'delete', group: '', resource: 'services', namespace: 'ml', name: 'r' },
    ],
    [
      'PUT',
      '/apis/coordination.k8s.io/v1/namespaces/ml/leases/l',
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'ml', name: 'l' },
    ],
    ['GET', '/api/v1/nodes', { verb: 'list', group: '', resource: 'nodes' }],
    ['GET', '/api/v1/namespaces/ml', { verb: 'get', group: '', resource: 'namespaces', name: 'ml' }],
  ])('%s %s', (method, url, target) => {
    expect(kubeRequestTarget(method, url)).toEqual(target);
  });
});

describe('describeKubeFailure', () => {
  const server = 'https://k8s.example.com:6443';

  it('names the server, the request, the status, the Status message and the RBAC rule of a 403', () => {
    const error = describeKubeFailure(
      server,
      { method: 'PATCH', url: `${server}/apis/apps/v1/namespaces/ml/deployments/resnet-canary` },
      {
        status: 403,
        body: JSON.stringify({ kind: 'Status', message: 'deployments.apps "resnet-canary" is forbidden' }),
      },
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.object).toBe('deployments.apps ml/resnet-canary');
    expect(error.status).toBe(403);
    expect(error.message).toContain(
      `the Kubernetes API server ${server} refused to patch deployments.apps ml/resnet-canary`,
    );
    expect(error.message).toContain('(HTTP 403: deployments.apps "resnet-canary" is forbidden)');
    expect(error.message).toContain(
      'apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"] in a Role in namespace ml',
    );
  });

  it('asks for a ClusterRole for a cluster-scoped resource, and says a 401 is the credentials', () => {
    const nodes = describeKubeFailure(
      server,
      { method: 'GET', url: `${server}/api/v1/nodes` },
      { status: 403, body: '' },
    );
    expect(nodes.message).toContain('verbs: ["list"] in a ClusterRole');
    const expired = describeKubeFailure(
      server,
      { method: 'GET', url: `${server}/api/v1/nodes` },
      { status: 401, body: 'Unauthorized' },
    );
    expect(expired.message).toMatch(/HTTP 401: Unauthorized\).*credentials: they are wrong or expired/);
  });

  it('names the address it tried when there was no connection', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), {
        code: 'ECONNREFUSED',
        address: '10.0.0.1',
        port: 6443,
      }),
    });
    const error = describeKubeFailure(
      server,
      { method: 'GET', url: `${server}/api/v1/namespaces/ml/pods` },
      { error: refused },
    );
    expect(error.status).toBeUndefined();
    expect(error.message).toContain(
      `could not list pods in namespace ml on the Kubernetes API server ${server}: could not connect to ${server} at 10.0.0.1:6443: the connection was refused`,
    );
    expect(error.message).toContain("check the kubeconfig's server address");
  });

  it("points at the kubeconfig's CA when the server's certificate is refused", () => {
    const untrusted = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    const error = describeKubeFailure(
      server,
      { method: 'GET', url: `${server}/api/v1/nodes` },
      { error: untrusted },
    );
    expect(error.message).toContain('its TLS certificate was refused (SELF_SIGNED_CERT_IN_CHAIN)');
    expect(error.message).toContain('certificate-authority-data');
  });
});

/** fetch's error for a connection that failed with `code`. */
function fetchFailed(code: string): TypeError {
  return Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
}

describe('retryDelayMs', () => {
  it("waits the server's Retry-After for 429 and 5xx, capped at 10 s", () => {
    expect(retryDelayMs({ status: 429, retryAfter: '2' }, 1)).toBe(2000);
    expect(retryDelayMs({ status: 503, retryAfter: ' 0 ' }, 3)).toBe(0);
    expect(retryDelayMs({ status: 500, retryAfter: '3600' }, 1)).toBe(10_000);
  });

  it('backs off from 0.2 s, doubling, when there is no usable Retry-After', () => {
    const delays = [1, 2, 3, 4].map((sends) => retryDelayMs({ status: 502 }, sends));
    expect(delays).toEqual([200, 400, 800, 1600]);
    // An HTTP date is not read: the backoff stands in for it.
    expect(retryDelayMs({ status: 429, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' }, 2)).toBe(400);
    expect(retryDelayMs({ error: fetchFailed('ECONNRESET') }, 1)).toBe(200);
    expect(retryDelayMs({ error: fetchFailed('UND_ERR_SOCKET') }, 2)).toBe(400);
  });

  it('gives up after MAX_SENDS sends', () => {
    expect(retryDelayMs({ status: 503 }, MAX_SENDS - 1)).toBeDefined();
    expect(retryDelayMs({ status: 503 }, MAX_SENDS)).toBeUndefined();
    expect(retryDelayMs({ error: fetchFailed('ECONNRESET') }, MAX_SENDS)).toBeUndefined();
  });

  it('does not retry answers and failures that a second try meets again', () => {
    for (const status of [400, 401, 403, 404, 409, 410, 422, 501])
      expect(retryDelayMs({ status, retryAfter: '1' }, 1)).toBeUndefined();
    for (const code of ['ENOTFOUND', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'])
      expect(retryDelayMs({ error: fetchFailed(code) }, 1)).toBeUndefined();
    expect(retryDelayMs({ error: new Error('not a connection failure') }, 1)).toBeUndefined();
  });
});

describe("a Cluster's clients describe their failures", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  });

  /** A fake API server answering every request with `status` and `body`. */
  async function apiServer(status: number, body: object): Promise<string> {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function clusterAt(server: string): Cluster {
    return new Cluster({
      kubeconfig: [
        'apiVersion: v1',
        'clusters: [{ name: c, cluster: { server: "' + server + '", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t0ken } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    });
  }

  it('a forbidden read names the server, the object and the rule, and keeps its status', async () => {
    const server = await apiServer(403, {
      kind: 'Status',
      message: 'forbidden: User "ci" cannot get resource',
    });
    const attempt = clusterAt(server).apps.readNamespacedDeployment({ namespace: 'ml', name: 'resnet' });
    await expect(attempt).rejects.toBeInstanceOf(KubeApiError);
    await expect(attempt).rejects.toThrow(
      `deployments.apps ml/resnet: the Kubernetes API server ${server} refused to get deployments.apps ml/resnet (HTTP 403: forbidden: User "ci" cannot get resource)`,
    );
    expect(await attempt.catch(statusOf)).toBe(403);
  });

  it('sends again after transient answers and dropped connections, and the request arrives whole', async () => {
    // Each request's fate in turn: a reset connection, 503, 429 with Retry-After 0, then the answer.
    const fates = ['reset', 503, 429, 200];
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push(body);
        const fate = fates.shift();
        if (fate === 'reset') {
          response.socket?.destroy();
          return;
        }
        response.writeHead(fate as number, { 'content-type': 'application/json', 'retry-after': '0' });
        response.end(JSON.stringify(fate === 200 ? { metadata: { name: 'ml' } } : { message: 'busy' }));
      });
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const namespace = await clusterAt(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ).core.createNamespace({
      body: { metadata: { name: 'ml' } },
    });
    expect(namespace.metadata?.name).toBe('ml');
    expect(bodies).toHaveLength(4);
    expect(new Set(bodies)).toEqual(new Set([JSON.stringify({ metadata: { name: 'ml' } })]));
  });

  it('a failure that stays transient names how often it was sent', async () => {
    const server = await apiServer(503, { kind: 'Status', message: 'the server is shutting down' });
    const attempt = clusterAt(server).core.readNamespace({ name: 'ml' });
    await expect(attempt).rejects.toThrow(
      `refused to get namespaces ml (sent ${MAX_SENDS} times) (HTTP 503: the server is shutting down)`,
    );
  });

  it('a missing object is still a 404 to unlessNotFound', async () => {
    const server = await apiServer(404, { kind: 'Status', message: 'not found' });
    expect(await unlessNotFound(clusterAt(server).core.readNamespace({ name: 'ml' }))).toBeUndefined();
  });

  it('a server that is down is named with the address tried', async () => {
    const server = await apiServer(200, {});
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
    const attempt = clusterAt(server).core.listNamespacedPod({ namespace: 'ml' });
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `could not list pods in namespace ml on the Kubernetes API server ${server} \\(sent ${MAX_SENDS} times\\): could not connect to ${server} at 127\\.0\\.0\\.1:\\d+: the connection was refused`,
      ),
    );
    await expect(attempt).rejects.not.toThrow(/t0ken/);
  });
});
