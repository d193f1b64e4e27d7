import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from '../../../src/kube/cluster.ts';
import type { ProxyEnvironment } from '../../../src/proxy.ts';
import { startForwardingProxy, type ForwardingProxy } from '../../support/forwarding-proxy.ts';

describe('a Cluster behind a proxy', () => {
  const servers: Server[] = [];
  const proxies: ForwardingProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  });

  /** A fake API server answering every request with an empty namespace list. */
  async function apiServer(): Promise<string> {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', items: [] }));
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function clusterAt(server: string, environment: ProxyEnvironment, proxyUrl?: string): Cluster {
    return new Cluster({
      kubeconfig: [
        'apiVersion: v1',
        `clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true${proxyUrl !== undefined ? `, proxy-url: "${proxyUrl}"` : ''} } }]`,
        'users: [{ name: u, user: { token: t0ken } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
      environment,
    });
  }

  it('sends API calls through HTTP_PROXY when the kubeconfig names no proxy-url, as kubectl does', async () => {
    const proxy = await startForwardingProxy();
    proxies.push(proxy);
    const server = await apiServer();
    const cluster = clusterAt(server, { http_proxy: proxy.url });
    expect(cluster.config.getCurrentCluster()?.proxyUrl).toBe(`${proxy.url}/`);
    await cluster.core.listNamespace();
    expect(proxy.seen).toEqual([`GET ${server}/api/v1/namespaces`]);
  });

  it("keeps the kubeconfig's proxy-url over the variables", async () => {
    const proxy = await startForwardingProxy();
    proxies.push(proxy);
    const server = await apiServer();
    const cluster = clusterAt(server, { HTTP_PROXY: 'http://127.0.0.1:9' }, proxy.url);
    await cluster.core.listNamespace();
    expect(proxy.seen).toEqual([`GET ${server}/api/v1/namespaces`]);
  });

  it('goes direct when NO_PROXY names the server', async () => {
    const proxy = await startForwardingProxy();
    proxies.push(proxy);
    const server = await apiServer();
    const cluster = clusterAt(server, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(cluster.config.getCurrentCluster()?.proxyUrl).toBeUndefined();
    await cluster.core.listNamespace();
    expect(proxy.seen).toEqual([]);
  });

  it('names the variable and the cluster when the proxy is no URL', () => {
    expect(() => clusterAt('https://api.example:6443', { HTTPS_PROXY: 'http://[bad' })).toThrow(
      /^cluster c: HTTPS_PROXY is not a proxy URL/,
    );
  });
});
