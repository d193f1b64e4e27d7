/**
 * Adapter: instant queries against any server of Prometheus' HTTP API (Prometheus, Thanos Query,
 * Grafana Mimir under its /prometheus prefix, VictoriaMetrics), with a bearer token or basic auth,
 * a custom CA, and the runner's proxy variables (src/proxy.ts). `describePrometheusFailure` is the
 * one place that words a failed request: the server, the query, PromQL's own error, what to do.
 */
import { Agent, fetch as undiciFetch, ProxyAgent, type Dispatcher } from 'undici';
import { connectionFailureOf, originOf } from '../errors.ts';
import { proxyFor, type ProxyEnvironment } from '../proxy.ts';

/** How the runner reaches the metrics server (input metrics-url and its credentials). */
export interface PrometheusServer {
  /** The API's root: `<url>/api/v1/query` is asked. */
  url: string;
  auth?: { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };
  /** PEM certificates trusted for the server (input metrics-ca), besides Node's own. */
  ca?: string;
}

/** One series of an instant query's answer: its labels and its value (NaN and ±Inf kept). */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/**
 * The metrics server refused a query or could not be reached. `syntax` is true when the server
 * said the query itself is wrong (PromQL's `bad_data`): a fault of the check, not of the server.
 */
export class PrometheusError extends Error {
  readonly server: string;
  readonly syntax: boolean;

  constructor(server: string, message: string, syntax = false) {
    super(message);
    this.name = 'PrometheusError';
    this.server = server;
    this.syntax = syntax;
  }
}

/** A request's answer as the failure description reads it. */
export type PrometheusFailure = { status: number; body: string } | { error: unknown };

/** Longest part of a query a message quotes. */
const QUOTED_QUERY_CHARACTERS = 300;

function quotedQuery(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length <= QUOTED_QUERY_CHARACTERS ? flat : `${flat.slice(0, QUOTED_QUERY_CHARACTERS)}…`;
}

/**
 * Describes one failed query: no connection (naming the address tried), a refused login, PromQL's
 * own error for a bad query, or another status; each with what to do.
 */
export function describePrometheusFailure(
  url: string,
  query: string,
  failure: PrometheusFailure,
): PrometheusError {
  const server = originOf(url);
  if (!('status' in failure)) {
    const connection = connectionFailureOf(failure.error, url);
    const why =
      connection?.description ??
      `could not reach ${url} (${failure.error instanceof Error ? failure.error.message : String(failure.error)})`;
    // `why` names the address tried (connectionFailureOf), so the server is not named twice.
    const advice = connection?.tls
      ? "the server's certificate is not trusted: give its CA in input metrics-ca"
      : 'check input metrics-url and that the runner can reach it (a proxy goes in HTTPS_PROXY/NO_PROXY)';
    return new PrometheusError(server, `metrics server: ${why}; ${advice}`);
  }
  let parsed: { errorType?: unknown; error?: unknown } = {};
  try {
    parsed = JSON.parse(failure.body) as typeof parsed;
  } catch {
    // Not the API's JSON (a proxy's or load balancer's page): the status and the text say enough.
  }
  const said = typeof parsed.error === 'string' ? parsed.error : failure.body.trim().slice(0, 200);
  if (failure.status === 401 || failure.status === 403) {
    return new PrometheusError(
      server,
      `metrics server ${url} refused the query (HTTP ${failure.status}${said !== '' ? `: ${said}` : ''}); check metrics-token, or metrics-username and metrics-password`,
    );
  }
  if (parsed.errorType === 'bad_data' || (failure.status === 400 && said !== '')) {
    return new PrometheusError(
      server,
      `metrics server ${url} refused the query ${quotedQuery(query)}: ${said}; fix the query in metrics-checks`,
      true,
    );
  }
  const advice =
    failure.status === 404
      ? 'metrics-url must be the root of a Prometheus-compatible API (the part before /api/v1, e.g. https://mimir.example.com/prometheus)'
      : failure.status >= 500 || failure.status === 422
        ? 'the server failed to evaluate it: check the server, and re-run the job if it was passing'
        : "check input metrics-url and the server's answer";
  return new PrometheusError(
    server,
    `metrics server ${url} could not answer the query ${quotedQuery(query)}: HTTP ${failure.status}${said !== '' ? ` ${said}` : ''}; ${advice}`,
  );
}

/** A sample value as the API writes it: a decimal, `NaN`, `+Inf` or `-Inf` (which Number() does not read). */
function sampleValue(text: unknown): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** The series of an instant query's `data`, or a description of why it is not a vector or scalar. */
export function seriesOfResult(data: unknown): Series[] | string {
  const { resultType, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  if (resultType === 'scalar' && Array.isArray(result))
    return [{ labels: {}, value: sampleValue(result[1]) }];
  if (resultType === 'vector' && Array.isArray(result)) {
    return result.map((item: { metric?: Record<string, string>; value?: [number, string] }) => ({
      labels: { ...item.metric },
      value: sampleValue(item.value?.[1]),
    }));
  }
  if (resultType === 'matrix') {
    return 'it returns a range vector; judge one value per series with a function over the window, such as rate(x[{{ window }}]) or max_over_time(x[{{ window }}])';
  }
  return `it returns ${String(resultType)}, not an instant vector or a scalar`;
}

/** Seconds a query may take before it counts as failed. */
const QUERY_TIMEOUT_MS = 15_000;

/** One metrics server's client; one connection pool for its life. */
export class PrometheusClient {
  readonly url: string;
  private readonly server: PrometheusServer;
  private readonly dispatcher: Dispatcher;

  constructor(server: PrometheusServer, environment: ProxyEnvironment = process.env) {
    this.server = server;
    this.url = server.url.replace(/\/+$/, '');
    const proxy = proxyFor(this.url, environment);
    const tls = server.ca !== undefined ? { ca: server.ca } : undefined;
    // A custom CA is added to Node's roots (undici's `ca` replaces them, so both are passed).
    this.dispatcher =
      proxy !== undefined
        ? new ProxyAgent({ uri: proxy.href, ...(tls !== undefined ? { requestTls: tls } : {}) })
        : new Agent(tls !== undefined ? { connect: tls } : {});
  }

  /** The series `query` evaluates to at `timeSeconds` (Unix time); throws a PrometheusError. */
  async query(query: string, timeSeconds: number): Promise<Series[]> {
    const endpoint = `${this.url}/api/v1/query`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    const auth = this.server.auth;
    if (auth?.kind === 'bearer') headers['authorization'] = `Bearer ${auth.token}`;
    if (auth?.kind === 'basic') {
      headers['authorization'] =
        `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    }
    let status: number;
    let body: string;
    try {
      // POST with a form body: long queries exceed URL limits, and every compatible server takes it.
      const response = await undiciFetch(endpoint, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ query, time: timeSeconds.toFixed(3) }).toString(),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      throw describePrometheusFailure(this.url, query, { error });
    }
    if (status !== 200) throw describePrometheusFailure(this.url, query, { status, body });
    let parsed: { status?: unknown; data?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw describePrometheusFailure(this.url, query, {
        status: 502,
        body: `not JSON: ${body.slice(0, 120)}`,
      });
    }
    if (parsed.status !== 'success') throw describePrometheusFailure(this.url, query, { status: 400, body });
    const series = seriesOfResult(parsed.data);
    if (typeof series === 'string') {
      throw new PrometheusError(
        originOf(this.url),
        `metrics server ${this.url}: the query ${quotedQuery(query)} cannot be judged: ${series}`,
        true,
      );
    }
    return series;
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
