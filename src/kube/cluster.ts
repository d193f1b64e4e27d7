/**
 * The connection to one cluster: a KubeConfig and the typed API clients made from it. Every HTTP
 * request any of them sends (watches and discovery included) passes the KubeConfig's
 * authentication hook, which is where requests are counted.
 */
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  setHeaderMiddleware,
  Watch,
} from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { proxyFor, type ProxyEnvironment } from '../proxy.ts';
import { describingHttpLibrary, KubeApiError } from './api-failure.ts';
import type { Settings } from '../inputs/settings.ts';

const WATCH_IDLE_TIMEOUT_MS = 330_000;

export interface ClusterOptions {
  /** Kubeconfig content (input `kubeconfig`); undefined: in-cluster or KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  /** An already loaded config (tests, benchmarks). */
  config?: KubeConfig;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read; process.env unless given. */
  environment?: ProxyEnvironment;
}

export class Cluster {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly authorization: AuthorizationV1Api;
  readonly custom: CustomObjectsApi;
  readonly objects: KubernetesObjectApi;
  readonly watcher: Watch;
  /** HTTP requests sent to the API server so far, watches and discovery included. */
  requests = 0;

  constructor(options: ClusterOptions) {
    const config = options.config ?? loadConfig(options);
    // A copy, so counting requests on it never changes a caller's config.
    this.config = new KubeConfig();
    const environment = options.environment ?? process.env;
    this.config.loadFromOptions({
      // client-node honours a cluster's proxy-url but not the proxy variables, which kubectl
      // (client-go's ProxyFromEnvironment) honours when proxy-url is unset: the variables become
      // the proxy-url here, so API calls, watches and the probes' service proxy all use them.
      clusters: config.clusters.map((cluster) => {
        if (cluster.proxyUrl) return cluster;
        let proxy: URL | undefined;
        try {
          proxy = proxyFor(cluster.server, environment);
        } catch (error) {
          throw new ClusterError(`cluster ${cluster.name}`, (error as Error).message);
        }
        return proxy === undefined ? cluster : { ...cluster, proxyUrl: proxy.href };
      }),
      users: config.users,
      contexts: config.contexts,
      currentContext:
        options.config !== undefined && options.context !== undefined
          ? options.context
          : config.currentContext,
    });
    const authenticate = this.config.applySecurityAuthentication.bind(this.config);
    this.config.applySecurityAuthentication = async (context) => {
      this.requests += 1;
      return authenticate(context);
    };
    // As KubeConfig.makeApiClient builds them, but sending through describingHttpLibrary, so every
    // failed call names the server, the request and what to do (src/kube/api-failure.ts).
    const server = this.server;
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: this.config },
      middleware: [setHeaderMiddleware('User-Agent', 'model-canary')],
      httpApi: describingHttpLibrary(server),
    });
    this.core = new CoreV1Api(configuration);
    this.apps = new AppsV1Api(configuration);
    this.coordination = new CoordinationV1Api(configuration);
    this.authorization = new AuthorizationV1Api(configuration);
    this.custom = new CustomObjectsApi(configuration);
    this.objects = new KubernetesObjectApi(configuration);
    // Protected in client-node; KubernetesObjectApi.makeApiClient calls it the same way.
    (this.objects as unknown as { setDefaultNamespace(config: KubeConfig): void }).setDefaultNamespace(
      this.config,
    );
    this.watcher = new Watch(this.config);
    // client-node drops a watch after 30 s without data and we would reconnect, so quiet waits
    // (a model loading) would cost a request every 30 s. The server ends each watch at its
    // timeoutSeconds (300, see rollout-watch.ts) anyway; allow a little more than that.
    (this.watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = WATCH_IDLE_TIMEOUT_MS;
  }

  /** The API server's address, for messages. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? 'the cluster';
  }
}

function loadConfig(options: ClusterOptions): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined && options.kubeconfig.trim() !== '')
      config.loadFromString(options.kubeconfig);
    else config.loadFromDefault();
    if (options.context !== undefined) config.setCurrentContext(options.context);
  } catch (error) {
    throw new ClusterError('kubeconfig', `could not be loaded: ${(error as Error).message}`);
  }
  if (config.getCurrentCluster() === null) {
    throw new ClusterError(
      'kubeconfig',
      'names no current cluster (set input context or the current-context)',
    );
  }
  return config;
}

/** The HTTP status of an API error, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.status;
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * What the API server said about a failed call: for our clients' errors, the server, the request,
 * the status and what to do (KubeApiError.detail); the Status message of an ApiException; or the
 * error's own message.
 */
export function apiMessage(error: unknown): string {
  if (error instanceof KubeApiError) return error.detail;
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    if (body !== null && typeof body === 'object' && 'message' in body) return String(body.message);
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Only the Status message the API server sent (or the error's message), without our advice. */
export function serverMessage(error: unknown): string {
  return error instanceof KubeApiError ? error.serverMessage : apiMessage(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** Runs an API call, returning undefined on 404. */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The cluster the action's inputs name: `kubeconfig` and `context`, else the default kubeconfig. */
export function clusterOf(settings: Pick<Settings, 'cluster'>): Cluster {
  return new Cluster({
    ...(settings.cluster.kubeconfig !== undefined ? { kubeconfig: settings.cluster.kubeconfig } : {}),
    ...(settings.cluster.context !== undefined ? { context: settings.cluster.context } : {}),
  });
}
