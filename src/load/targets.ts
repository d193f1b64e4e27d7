/**
 * How the runner reaches the two arms. `proxy`: through the API server's service proxy to the
 * canary and stable arm Services, authenticated as the kubeconfig is (works wherever kubectl
 * works); `url`: the user's URL with a header that pins the arm. Both arms always take the same
 * path, so whatever lies on it (API server, ingress, network) weighs on both alike.
 *
 * Credentials go into the connection pools only; `describeArm` is what may be logged.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { describeProxy, proxyFor, type ProxyEnvironment } from '../proxy.ts';
import { encodeRequest } from './http1.ts';
import { KeepAlivePool, requestWhole } from './keep-alive-pool.ts';
import type { ArmEndpoint } from './generator.ts';
import type { ArmGet } from './protocols.ts';

/** The header a `url` target's router matches to send a request to one arm. */
export const ARM_HEADER = 'x-model-canary-arm';

export type ArmName = 'canary' | 'stable';

/** Where one arm is, before any connection is opened. */
export interface ArmTarget {
  arm: ArmName;
  /** scheme://host:port */
  origin: string;
  /** Prepended to every probe path (the service-proxy path, or the URL's own path). */
  pathPrefix: string;
  /** Headers every request carries (credentials, the arm header); never logged. */
  headers: Record<string, string>;
  tls?: TlsOptions;
  /** The forward proxy on the way (never logged but by describeProxy). */
  proxy?: URL;
}

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** The API server's proxy path to a Service port (name or number), without a trailing slash. */
export function serviceProxyPath(namespace: string, service: string, port: string | number): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(String(port))}/proxy`;
}

/** The user's URL for one arm: its origin, its path as prefix, the arm header and the proxy the environment names. */
export function urlArmTarget(url: string, arm: ArmName, environment: ProxyEnvironment): ArmTarget {
  const parsed = new URL(url);
  const proxy = proxyFor(parsed, environment);
  return {
    arm,
    origin: parsed.origin,
    pathPrefix: parsed.pathname.replace(/\/+$/, ''),
    headers: { [ARM_HEADER]: arm },
    ...(proxy !== undefined ? { proxy } : {}),
  };
}

/** What can be logged about an arm's target: where it goes, never what it carries. */
export function describeArm(target: ArmTarget): string {
  const via = target.proxy !== undefined ? ` via proxy ${describeProxy(target.proxy)}` : '';
  return `${target.arm}: ${target.origin}${target.pathPrefix || '/'}${via}`;
}

/** The API server and the credentials of the kubeconfig's current context, as the connection pools need them. */
export interface ApiServerConnection {
  origin: string;
  headers: Record<string, string>;
  tls?: TlsOptions;
  /** The cluster's proxy-url (src/kube/cluster.ts sets it from HTTPS_PROXY/NO_PROXY when absent). */
  proxy?: URL;
}

/**
 * Reads the current context's server, CA, client certificate/key and token (exec and auth-provider
 * plugins included) through client-node's own option builder, so auth behaves as its API calls do.
 */
export async function apiServerConnection(kube: KubeConfig): Promise<ApiServerConnection> {
  const cluster = kube.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const options: {
    headers?: Record<string, string | string[] | number>;
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
    rejectUnauthorized?: boolean;
    servername?: string;
    auth?: string;
  } = { headers: {} };
  await kube.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  if (options.auth !== undefined)
    headers['authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  const origin = new URL(cluster.server).origin;
  const proxy = cluster.proxyUrl ? new URL(cluster.proxyUrl) : undefined;
  if (!origin.startsWith('https:')) return { origin, headers, ...(proxy !== undefined ? { proxy } : {}) };
  const tls: TlsOptions = {};
  if (options.ca !== undefined) tls.ca = options.ca;
  if (options.cert !== undefined) tls.cert = options.cert;
  if (options.key !== undefined) tls.key = options.key;
  if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  return { origin, headers, tls, ...(proxy !== undefined ? { proxy } : {}) };
}

/** The first port of a Service, by name when it has one (what the service proxy path takes). */
export async function servicePort(
  kube: KubeConfig,
  namespace: string,
  service: string,
): Promise<string | number> {
  const found = await kube.makeApiClient(CoreV1Api).readNamespacedService({ name: service, namespace });
  const port = found.spec?.ports?.[0];
  if (port === undefined) throw new Error(`service ${namespace}/${service} has no ports`);
  return port.name ? port.name : port.port;
}

/** Both arms through the API server's service proxy, with the kubeconfig's credentials. */
export async function proxyArmTargets(
  kube: KubeConfig,
  namespace: string,
  services: Record<ArmName, string>,
): Promise<ArmTarget[]> {
  const connection = await apiServerConnection(kube);
  const arms: ArmName[] = ['canary', 'stable'];
  return Promise.all(
    arms.map(async (arm) => {
      const port = await servicePort(kube, namespace, services[arm]);
      return {
        arm,
        origin: connection.origin,
        pathPrefix: serviceProxyPath(namespace, services[arm], port),
        headers: { ...connection.headers },
        ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
        ...(connection.proxy !== undefined ? { proxy: connection.proxy } : {}),
      };
    }),
  );
}

/** Open keep-alive pools, one per arm, and a way to close them all. */
export interface OpenArms {
  endpoints: ArmEndpoint[];
  close(): Promise<void>;
}

/** Opens one keep-alive pool per arm, with at most `connections` sockets each. */
export function openArms(targets: readonly ArmTarget[], connections: number): OpenArms {
  const pools = targets.map(
    (target) =>
      new KeepAlivePool(target.origin, {
        connections,
        ...(target.tls !== undefined ? { tls: target.tls } : {}),
        ...(target.proxy !== undefined ? { proxy: target.proxy } : {}),
      }),
  );
  return {
    endpoints: targets.map((target, index) => ({
      pool: pools[index]!,
      pathPrefix: target.pathPrefix,
      headers: target.headers,
    })),
    close: async () => {
      await Promise.all(pools.map((pool) => pool.close()));
    },
  };
}

/** A JSON GET against one arm (readiness and metadata before the measurement). */
export function armGet(endpoint: ArmEndpoint, timeoutMs: number): ArmGet {
  return async (path) => {
    const request = encodeRequest({
      method: 'GET',
      path: endpoint.pathPrefix + path,
      host: endpoint.pool.host,
      headers: { ...endpoint.headers, accept: 'application/json' },
    });
    const { status, body } = await requestWhole(endpoint.pool, request, timeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    return { status, json };
  };
}
