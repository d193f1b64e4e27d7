/**
 * Errors a user can act on. Each is rendered once, at the top (main.ts / post.ts), as a GitHub
 * annotation; none is ever shown as a stack trace.
 */

/** One input that failed validation: which input, and what was expected instead. */
export interface InputProblem {
  input: string;
  message: string;
}

/** Every bad input at once, so a user fixes them in one edit rather than one run per mistake. */
export class InputError extends Error {
  readonly problems: readonly InputProblem[];

  constructor(problems: readonly InputProblem[]) {
    super(
      problems.length === 1
        ? `Invalid input ${problems[0]!.input}: ${problems[0]!.message}`
        : `${problems.length} invalid inputs:\n` +
            problems.map((p) => `- ${p.input}: ${p.message}`).join('\n'),
    );
    this.name = 'InputError';
    this.problems = problems;
  }
}

/** The cluster refused or lacks something we need; `object` names it (e.g. `namespace/ml`). */
export class ClusterError extends Error {
  readonly object: string;

  constructor(object: string, message: string) {
    super(`${object}: ${message}`);
    this.name = 'ClusterError';
    this.object = object;
  }
}

/** The canary itself failed (crashed, never ready, unschedulable, too slow): reverted, with the cause. */
export class CanaryFailed extends Error {
  /** Machine-readable cause, e.g. `CrashLoopBackOff`, `FailedScheduling`, `LatencyRegression`. */
  readonly kind: string;

  constructor(kind: string, message: string) {
    super(message);
    this.name = 'CanaryFailed';
    this.kind = kind;
  }
}

/** BuildKit could not build or push the image; `input` names the input to look at, when one is. */
export class BuildFailed extends Error {
  readonly input?: string;

  constructor(message: string, input?: string) {
    super(message);
    this.name = 'BuildFailed';
    if (input !== undefined) this.input = input;
  }
}

/** Why a connection failed, by the error code Node's sockets, DNS and undici give it. */
const CONNECTION_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens at that address)',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved (DNS failed temporarily)',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server sent no answer in time',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  EHOSTUNREACH: 'there is no route to the host',
  ENETUNREACH: 'the network is unreachable',
};

/** How a connection to a server failed, when it failed before any HTTP answer. */
export interface ConnectionFailure {
  /** `could not connect to <address tried>: <why> (<code>)`. */
  description: string;
  /** The server's TLS certificate was refused: a CA is missing or the name does not match. */
  tls: boolean;
  /** The system or undici error code, when there is one (ECONNRESET, UND_ERR_SOCKET, …). */
  code?: string;
}

/**
 * Pure: the connection failure in `error` (fetch's `TypeError: fetch failed` and its cause, a
 * socket error, an AggregateError of several addresses, a timeout), naming the address tried; or
 * undefined when the error is not one.
 */
export function connectionFailureOf(error: unknown, url: string): ConnectionFailure | undefined {
  const chain: Record<string, unknown>[] = [];
  for (let at: unknown = error; at !== null && typeof at === 'object' && chain.length < 5;) {
    const node = at as Record<string, unknown>;
    chain.push(node);
    at = node['cause'] ?? (Array.isArray(node['errors']) ? node['errors'][0] : undefined);
  }
  const coded = chain.find((node) => typeof node['code'] === 'string');
  const code = coded?.['code'] as string | undefined;
  const timedOut = chain.some((node) => node['name'] === 'TimeoutError');
  const origin = originOf(url);
  const address =
    typeof coded?.['address'] === 'string'
      ? ` at ${String(coded['address'])}${coded['port'] !== undefined ? `:${String(coded['port'])}` : ''}`
      : '';
  const tried = `could not connect to ${origin}${address}`;
  if (
    code !== undefined &&
    (code.startsWith('ERR_TLS') || /CERT|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
  ) {
    return { description: `${tried}: its TLS certificate was refused (${code})`, tls: true, code };
  }
  if (code !== undefined && code in CONNECTION_FAILURES) {
    return { description: `${tried}: ${CONNECTION_FAILURES[code]} (${code})`, tls: false, code };
  }
  if (timedOut) return { description: `${tried}: no answer before the time limit`, tls: false };
  const first = chain[0];
  if (first !== undefined && first['message'] === 'fetch failed') {
    const why = chain
      .slice(1)
      .map((node) => node['message'])
      .find((message) => typeof message === 'string' && message !== '');
    return { description: `${tried}: ${typeof why === 'string' ? why : 'the request failed'}`, tls: false };
  }
  return undefined;
}

/** `scheme://host:port` of a URL, or the text itself when it is not one. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
