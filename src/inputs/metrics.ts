/**
 * The metrics section: the Prometheus-compatible server the metric checks ask (metrics-url, its
 * token or login, its CA), the user's checks (metrics-checks, written in the workflow or a file in
 * the repository) and whether the runtime's built-in checks run (metrics-builtin). docs/metrics.md.
 */
import type { PrometheusServer } from '../metrics/prometheus.ts';
import { readMetricChecks, type MetricCheckSpec } from '../metrics/spec.ts';
import type { InputReader } from './input-reader.ts';

export interface MetricsSettings {
  server: PrometheusServer;
  /** The user's checks, in the order written. */
  checks: MetricCheckSpec[];
  /** Whether the runtime's built-in checks run too (src/metrics/built-in.ts). */
  builtIn: boolean;
  /** The repository file metrics-checks named, when it named one. */
  checksFile?: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** True when metrics-checks holds the list itself rather than a path to a file with it. */
function isInlineList(value: string): boolean {
  return value.includes('\n') || /^\s*[-[]/.test(value);
}

/** The CA of metrics-ca: PEM text, or a repository file holding it. */
function readCa(read: InputReader): string | undefined {
  const value = read.optional('metrics-ca');
  if (value === undefined) return undefined;
  let text: string | undefined = value;
  let where = 'its value';
  if (!value.startsWith('-----BEGIN')) {
    const path = read.repositoryPath('metrics-ca', value);
    if (path === undefined) return undefined;
    text = read.fileText(path);
    where = `'${path}'`;
  }
  if (text === undefined || !PEM_CERTIFICATE.test(text)) {
    read.problem(
      'metrics-ca',
      `expected PEM certificates (-----BEGIN CERTIFICATE-----) or a repository file holding them; ${where} holds none`,
    );
    return undefined;
  }
  return text;
}

/** The server's login: a bearer token, or a username and password; never both. */
function readAuth(read: InputReader): PrometheusServer['auth'] {
  const token = read.token('metrics-token', '${{ secrets.PROMETHEUS_TOKEN }}');
  const username = read.optional('metrics-username');
  const password = read.optional('metrics-password');
  if (token !== undefined && (username !== undefined || password !== undefined)) {
    read.problem(
      'metrics-token',
      'is a bearer token; give it or metrics-username and metrics-password, not both',
    );
    return undefined;
  }
  if (token !== undefined) return { kind: 'bearer', token };
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    read.problem(
      username === undefined ? 'metrics-username' : 'metrics-password',
      'basic auth needs both metrics-username and metrics-password',
    );
    return undefined;
  }
  return { kind: 'basic', username, password };
}

/**
 * Reads metrics-url, metrics-token, metrics-username, metrics-password, metrics-ca,
 * metrics-checks and metrics-builtin; undefined when metrics-url is empty (no metric checks).
 */
export function parseMetrics(read: InputReader): MetricsSettings | undefined {
  const url = read.optional('metrics-url');
  const checksText = read.optional('metrics-checks');
  const builtIn = read.boolean('metrics-builtin');
  if (url === undefined) {
    for (const name of [
      'metrics-checks',
      'metrics-token',
      'metrics-username',
      'metrics-password',
      'metrics-ca',
    ] as const) {
      if (read.optional(name) !== undefined) {
        read.problem(name, 'needs metrics-url, the Prometheus-compatible server the metric checks ask');
      }
    }
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    read.problem(
      'metrics-url',
      `expected the http(s) URL of a Prometheus-compatible API, such as http://prometheus.monitoring:9090; got '${url}'`,
    );
  } else if (parsed.username !== '' || parsed.password !== '') {
    read.problem(
      'metrics-url',
      'must not hold credentials; give them in metrics-username and metrics-password',
    );
  } else if (/\/api\/v1\/?$/.test(parsed.pathname)) {
    read.problem(
      'metrics-url',
      `is the root of the API, without /api/v1: ${url.replace(/\/api\/v1\/?$/, '')}`,
    );
  }
  const auth = readAuth(read);
  const ca = readCa(read);
  let checks: MetricCheckSpec[] = [];
  let checksFile: string | undefined;
  if (checksText !== undefined) {
    let text: string | undefined = checksText;
    let where = 'metrics-checks';
    if (!isInlineList(checksText)) {
      checksFile = read.repositoryPath('metrics-checks', checksText);
      text = checksFile === undefined ? undefined : read.fileText(checksFile);
      where = checksFile ?? checksText;
    }
    if (text !== undefined) {
      const listed = readMetricChecks(where, text);
      if ('problems' in listed)
        for (const problem of listed.problems) read.problem('metrics-checks', problem);
      else checks = listed.checks;
    }
  }
  return {
    server: {
      url: url.replace(/\/+$/, ''),
      ...(auth !== undefined ? { auth } : {}),
      ...(ca !== undefined ? { ca } : {}),
    },
    checks,
    builtIn,
    ...(checksFile !== undefined ? { checksFile } : {}),
  };
}
