/**
 * What a failed request to the Kubernetes API server means to the user: the server, the request
 * (verb, resource, namespace, name, read from its URL), the HTTP status and the Status message,
 * and what to do — for 403 the exact RBAC rule. Every API client of a Cluster sends through
 * `describingHttpLibrary`, so no call site has to describe its own failures.
 */
import {
  IsomorphicFetchHttpLibrary,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { ClusterError, connectionFailureOf } from '../errors.ts';

/** What a request to the API server asks for, as RBAC names it. */
export interface KubeRequestTarget {
  verb: string;
  /** API group: '' for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** How a request ended without a usable answer: an HTTP error status, or no connection. */
export type KubeFailure = { status: number; body: string } | { error: unknown };

const VERB_OF_METHOD: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Pure: the RBAC verb, group, resource, namespace and name a request URL (or path) addresses. */
export function kubeRequestTarget(method: string, url: string): KubeRequestTarget {
  const parsed = new URL(url, 'http://api-server');
  const parts = parsed.pathname
    .split('/')
    .filter((part) => part !== '')
    .map(decodeURIComponent);
  // /api/v1/… (core group) or /apis/<group>/<version>/…
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const group = parts[0] === 'apis' ? (parts[1] ?? '') : '';
  let namespace: string | undefined;
  let resourceParts = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    resourceParts = rest.slice(2);
  }
  // A path naming no resource is API discovery (KubernetesObjectApi asks it for resource names).
  const [resource = parsed.pathname, name, subresource] = resourceParts;
  const upper = method.toUpperCase();
  const verb =
    upper === 'GET'
      ? parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1'
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : upper === 'DELETE' && name === undefined
        ? 'deletecollection'
        : (VERB_OF_METHOD[upper] ?? upper.toLowerCase());
  return {
    verb,
    group,
    resource,
    ...(subresource !== undefined ? { subresource } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/** A request the API server refused, or could not be sent: says which server, request and status. */
export class KubeApiError extends ClusterError {
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The API server's Status message (or the connection failure); what the server itself said. */
  readonly serverMessage: string;
  /** The description without the object prefix: server, request, status and what to do. */
  readonly detail: string;
  readonly target: KubeRequestTarget;

  constructor(
    object: string,
    detail: string,
    target: KubeRequestTarget,
    serverMessage: string,
    status?: number,
  ) {
    super(object, detail);
    this.name = 'KubeApiError';
    this.detail = detail;
    this.target = target;
    this.serverMessage = serverMessage;
    this.status = status;
  }
}

/** `deployments.apps ml/resnet-canary`: the object a request was about, as kubectl names it. */
function objectOf(target: KubeRequestTarget): string {
  const kind = `${target.resource}${target.subresource !== undefined ? `/${target.subresource}` : ''}${target.group !== '' ? `.${target.group}` : ''}`;
  if (target.name === undefined)
    return target.namespace !== undefined ? `${kind} in namespace ${target.namespace}` : kind;
  return `${kind} ${target.namespace !== undefined ? `${target.namespace}/` : ''}${target.name}`;
}

/** The RBAC rule a request needs, as a user would write it in a Role. */
function ruleOf(target: KubeRequestTarget): string {
  const resource =
    target.subresource !== undefined ? `${target.resource}/${target.subresource}` : target.resource;
  const scope =
    target.namespace !== undefined
      ? `a Role in namespace ${target.namespace} (bound to it by a RoleBinding)`
      : 'a ClusterRole (bound by a ClusterRoleBinding)';
  return `apiGroups: ["${target.group}"], resources: ["${resource}"], verbs: ["${target.verb}"] in ${scope}`;
}

/** What the user can do about an HTTP status from the API server. */
function adviceFor(status: number, target: KubeRequestTarget): string {
  if (status === 401) {
    return "the API server did not accept the kubeconfig's credentials: they are wrong or expired; refresh the kubeconfig secret (a token or client certificate that is still valid)";
  }
  if (status === 403) {
    return `the kubeconfig's user may not ${target.verb} ${target.resource}: grant it ${ruleOf(target)}; examples/rbac/model-canary.yaml holds every rule the action needs`;
  }
  if (status === 404) {
    return target.name !== undefined
      ? 'it does not exist (was it deleted by hand, or is input namespace wrong?)'
      : `the cluster does not serve ${target.resource}${target.group !== '' ? ` in API group ${target.group}` : ''} (is its API installed?), or the namespace does not exist`;
  }
  if (status === 409) return 'someone else changed it at the same time; re-run the job';
  if (status === 422 || status === 400) {
    return 'the API server refused the object as invalid; check the inputs that shape it (pod-template, resources, tolerations, node-selector)';
  }
  if (status === 429 || status >= 500) {
    return 'the API server is overloaded or failing; re-run the job, and check the control plane if it persists';
  }
  return '';
}

/** The Status message in an API server's error body, or a short piece of the body. */
function statusMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message;
  } catch {
    // Not a Status object: a proxy or load balancer answered.
  }
  return body.trim().replace(/\s+/g, ' ').slice(0, 200);
}

/** Describes one failed request to the API server at `server` as a KubeApiError. */
export function describeKubeFailure(
  server: string,
  request: { method: string; url: string },
  failure: KubeFailure,
  sends = 1,
): KubeApiError {
  const target = kubeRequestTarget(request.method, request.url);
  const asked = `${target.verb} ${objectOf(target)}`;
  const tries = sends > 1 ? ` (sent ${sends} times)` : '';
  if ('status' in failure) {
    const said = statusMessageOf(failure.body);
    const advice = adviceFor(failure.status, target);
    const detail =
      `the Kubernetes API server ${server} refused to ${asked}${tries} (HTTP ${failure.status}${said !== '' ? `: ${said}` : ''})` +
      (advice !== '' ? `; ${advice}` : '');
    return new KubeApiError(objectOf(target), detail, target, said, failure.status);
  }
  const connection = connectionFailureOf(failure.error, server);
  const said =
    connection?.description ??
    (failure.error instanceof Error ? failure.error.message : String(failure.error));
  const advice = connection?.tls
    ? "check the kubeconfig's certificate-authority-data and that server names the API server's certificate"
    : "check the kubeconfig's server address and that the runner can reach it (firewall, VPN; a proxy goes in HTTPS_PROXY/NO_PROXY or the kubeconfig's proxy-url)";
  const detail = `could not ${asked} on the Kubernetes API server ${server}${tries}: ${said}; ${advice}`;
  return new KubeApiError(objectOf(target), detail, target, said);
}

/** How often one request is sent at most while its failures look transient. */
export const MAX_SENDS = 5;
/** A Retry-After longer than this is not waited out in full: the run has deadlines of its own. */
const RETRY_AFTER_CAP_MS = 10_000;
/** Statuses an API server (or the load balancer before it) gives for a moment's trouble. */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Connection failures that a second try may not meet (not DNS names or certificates). */
const TRANSIENT_CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Pure: how long to wait before sending a request again after `failure`, its `sends`-th; undefined
 * when it must not be sent again. 429 and 5xx wait the server's Retry-After (seconds) when it gives
 * one, as client-go does; otherwise, and after a dropped connection, 0.2 s doubling. Every method
 * is retried, since every write of ours is safe to send twice: apply patches and scales set values,
 * deletes carry a uid precondition (a repeat answers 404, read as already gone), and creates and
 * Lease replaces answer a repeat with 409, which their callers read as "changed meanwhile" and
 * read again.
 */
export function retryDelayMs(
  failure: { status: number; retryAfter?: string } | { error: unknown },
  sends: number,
): number | undefined {
  if (sends >= MAX_SENDS) return undefined;
  const backoff = 200 * 2 ** (sends - 1);
  if ('status' in failure) {
    if (!TRANSIENT_STATUSES.has(failure.status)) return undefined;
    const seconds = /^\s*\d+\s*$/.test(failure.retryAfter ?? '') ? Number(failure.retryAfter) : undefined;
    return seconds !== undefined ? Math.min(seconds * 1000, RETRY_AFTER_CAP_MS) : backoff;
  }
  const code = connectionFailureOf(failure.error, '')?.code;
  return code !== undefined && TRANSIENT_CONNECTION_CODES.has(code) ? backoff : undefined;
}

/**
 * The HTTP library every API client of a Cluster sends through. A transient failure (retryDelayMs)
 * is sent again, so a busy or restarting API server, or a load balancer dropping a connection,
 * costs a few seconds rather than the run. What still fails becomes a KubeApiError that names the
 * server, the request and what to do, rather than client-node's ApiException, whose message is a
 * raw dump of the answer.
 */
export function describingHttpLibrary(
  server: string,
  inner: HttpLibrary = new IsomorphicFetchHttpLibrary(),
): HttpLibrary {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const described = { method: String(request.getHttpMethod()), url: request.getUrl() };
      for (let sends = 1; ; sends++) {
        let failure: KubeFailure;
        let delay: number | undefined;
        try {
          const response = await inner.send(request).toPromise();
          if (response.httpStatusCode < 400) return response;
          const body = await response.body.text().catch(() => '');
          failure = { status: response.httpStatusCode, body };
          delay = retryDelayMs(
            { status: failure.status, retryAfter: response.headers['retry-after'] },
            sends,
          );
        } catch (error) {
          failure = { error };
          delay = retryDelayMs(failure, sends);
        }
        if (delay === undefined || request.getSignal()?.aborted) {
          throw describeKubeFailure(server, described, failure, sends);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
  });
}
