/** The probe section: what requests the load generator sends, how fast, for how long, and where to. */
import type { RequestSet } from '../answers/request-set.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';

export const PROTOCOLS = ['v2', 'openai', 'http'] as const;
export const PROBE_TARGETS = ['proxy', 'url'] as const;

export type Protocol = (typeof PROTOCOLS)[number];
export type ProbeTarget = (typeof PROBE_TARGETS)[number];

export interface ProbeSettings {
  protocol?: Protocol;
  path?: string;
  payloadFile?: string;
  /** The requests probe-payload holds (a file, a JSON Lines file or a folder), read at input time. */
  requests?: RequestSet;
  method?: 'GET' | 'POST';
  ratePerSecond: number;
  durationMs: number;
  warmupMs: number;
  target: ProbeTarget;
  url?: string;
}

/** Reads the probe-* inputs and warmup. */
export function parseProbe(read: InputReader): ProbeSettings {
  return withoutUndefined<ProbeSettings>({
    ...parseRequest(read),
    ratePerSecond: read.decimal('probe-rate', 0.1, 5000, 'requests per second') ?? 20,
    durationMs: read.duration('probe-duration', 5000, 3_600_000),
    warmupMs: read.duration('warmup', 0, 600_000),
    ...parseTarget(read),
  });
}

/** What each probe request is: protocol, path, payload and, for plain HTTP, method. */
function parseRequest(
  read: InputReader,
): Pick<ProbeSettings, 'protocol' | 'path' | 'payloadFile' | 'requests' | 'method'> {
  const protocolText = read.optional('probe-protocol');
  let protocol: Protocol | undefined;
  if (protocolText !== undefined) protocol = read.oneOf('probe-protocol', PROTOCOLS);
  const path = read.optional('probe-path');
  if (path !== undefined && (!path.startsWith('/') || /\s/.test(path))) {
    read.problem('probe-path', `expected a URL path starting with '/'; got '${path}'`);
  }
  if (protocol === 'http' && path === undefined) {
    read.problem('probe-path', 'probe-protocol http needs the request path, e.g. /predict');
  }
  const payloadText = read.optional('probe-payload');
  const payloadFile =
    payloadText === undefined ? undefined : read.repositoryPath('probe-payload', payloadText);
  // Plain HTTP may send any bytes (as before request sets); the model protocols send JSON.
  const requests =
    payloadFile === undefined
      ? undefined
      : read.keyedSet('probe-payload', payloadFile, {
          expectedAnswers: false,
          rawSingleFile: protocol === 'http',
        });
  const methodText = read.optional('probe-method');
  let method: 'GET' | 'POST' | undefined;
  if (methodText !== undefined) {
    if (protocol !== 'http') read.problem('probe-method', 'is only used with probe-protocol http');
    method = read.oneOf('probe-method', ['GET', 'POST'] as const);
    if (method === 'GET' && payloadText !== undefined) {
      read.problem('probe-method', 'GET cannot send probe-payload; use POST or drop the payload');
    }
  }
  return { protocol, path, payloadFile, requests, method };
}

function parseTarget(read: InputReader): Pick<ProbeSettings, 'target' | 'url'> {
  const target = read.oneOf('probe-target', PROBE_TARGETS);
  const url = read.optional('probe-url');
  if (target === 'url' && url === undefined) {
    read.problem('probe-url', 'probe-target url needs the service URL, e.g. https://models.example.com');
  }
  if (target !== 'url' && url !== undefined) {
    read.problem('probe-url', `is only used with probe-target url (probe-target is ${target})`);
  }
  if (url !== undefined && !isHttpUrl(url)) {
    read.problem('probe-url', `expected an http:// or https:// URL; got '${url}'`);
  }
  return { target, url };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
