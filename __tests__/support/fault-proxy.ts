/**
 * A TLS proxy in front of the local cluster's real API server that makes it unreliable on purpose
 * (issue #15's fault suite): at a set rate a request is answered 429 with Retry-After, 500 or 503
 * without reaching the server, has its connection reset before it is sent or after the server
 * applied it (the client never hears), or is held up to two seconds; a watch stream is dropped
 * after a few seconds. Everything else is forwarded, as the admin user of the cluster's kubeconfig
 * (the proxy ends the client's TLS, so the client's own credentials are not forwarded).
 *
 * Requests through the API server's proxy subresource (`…/proxy/…`, the probes' way to a pod) are
 * never faulted: they carry the model's traffic, not the action's control of the cluster, and
 * faults there are the error-rate check's business.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { makeTestCertificates } from './tls-certificates.ts';

export const FAULT_KINDS = [
  '429',
  '500',
  '503',
  'reset-before',
  'reset-after',
  'slow',
  'watch-drop',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A count of zero faults of every kind. */
export function noFaults(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

/** Faults of all kinds together. */
export function faultTotal(faults: Record<FaultKind, number>): number {
  return Object.values(faults).reduce((a, b) => a + b, 0);
}

export interface FaultProxy {
  /** https://127.0.0.1:port */
  server: string;
  /** A kubeconfig for the proxy: its CA trusted, a placeholder token. */
  kubeconfig: string;
  /** Requests seen, and the faults injected by kind, since the start or the last reset(). */
  counts(): { requests: number; faults: Record<FaultKind, number>; log: string[] };
  reset(): void;
  setRate(rate: number): void;
  close(): Promise<void>;
}

/** A small seeded generator (mulberry32), so a failing run can be repeated with its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ANSWERED: Record<
  '429' | '500' | '503',
  { status: number; message: string; headers: Record<string, string> }
> = {
  '429': {
    status: 429,
    message: 'Too many requests, please try again later.',
    headers: { 'retry-after': '1' },
  },
  '500': { status: 500, message: 'Internal error occurred: fault proxy', headers: {} },
  '503': { status: 503, message: 'The server is currently unable to handle the request', headers: {} },
};

export async function startFaultProxy(
  config: KubeConfig,
  options: { rate: number; seed?: number },
): Promise<FaultProxy> {
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster?.caData || !user?.certData || !user.keyData)
    throw new Error('fault proxy: the local kubeconfig must embed its CA and client certificate');
  const upstream = new URL(cluster.server);
  const tls = {
    ca: Buffer.from(cluster.caData, 'base64'),
    cert: Buffer.from(user.certData, 'base64'),
    key: Buffer.from(user.keyData, 'base64'),
  };
  const certificates = makeTestCertificates('model-canary-fault-proxy-');
  const random = seeded(options.seed ?? 15);
  let rate = options.rate;
  let requests = 0;
  let faults = noFaults();
  let log: string[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer(
    { cert: certificates.cert, key: certificates.key },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://proxy');
      const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
      const faultable = !/\/proxy(\/|$)/.test(url.pathname);
      requests += 1;
      let fault: FaultKind | undefined;
      if (faultable && random() < rate) {
        const kinds: readonly FaultKind[] = watch
          ? ['429', '500', '503', 'reset-before', 'watch-drop']
          : FAULT_KINDS.filter((kind) => kind !== 'watch-drop');
        fault = kinds[Math.floor(random() * kinds.length)]!;
        faults[fault] += 1;
        log.push(`${fault} ${request.method} ${url.pathname}${url.search}`);
      }
      if (fault === '429' || fault === '500' || fault === '503') {
        const answer = ANSWERED[fault];
        request.resume();
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        response.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: answer.message,
            code: answer.status,
          }),
        );
        return;
      }
      if (fault === 'reset-before') {
        request.socket.destroy();
        return;
      }
      const forward = (): void => {
        const headers = { ...request.headers, host: upstream.host };
        delete headers['authorization'];
        const sent = httpsRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: url.pathname + url.search,
            headers,
            ...tls,
          },
          (answer) => {
            if (fault === 'reset-after') {
              // The server did it; the client never hears.
              answer.resume();
              answer.on('end', () => request.socket.destroy());
              return;
            }
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
            if (fault === 'watch-drop') {
              const timer = setTimeout(
                () => {
                  sent.destroy();
                  request.socket.destroy();
                },
                500 + random() * 2500,
              );
              answer.on('close', () => clearTimeout(timer));
            }
          },
        );
        sent.on('error', () => request.socket.destroy());
        response.on('close', () => sent.destroy());
        request.pipe(sent);
      };
      if (fault === 'slow') setTimeout(forward, 500 + random() * 1500);
      else forward();
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fault-proxy',
    '  cluster:',
    `    server: ${address}`,
    `    certificate-authority-data: ${certificates.ca.toString('base64')}`,
    'users:',
    '- name: through-proxy',
    '  user:',
    '    token: fault-proxy-forwards-as-admin',
    'contexts:',
    '- name: fault-proxy',
    '  context: { cluster: fault-proxy, user: through-proxy }',
    'current-context: fault-proxy',
    '',
  ].join('\n');

  return {
    server: address,
    kubeconfig,
    counts: () => ({ requests, faults: { ...faults }, log: [...log] }),
    reset() {
      requests = 0;
      faults = noFaults();
      log = [];
    },
    setRate(next: number) {
      rate = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(certificates.directory, { recursive: true, force: true });
    },
  };
}
