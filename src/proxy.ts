/**
 * Which forward proxy a request to a URL goes through, read from the environment values the
 * caller passes (pure: the adapters pass `process.env`). Runners behind a corporate proxy set these
 * for curl, so they are read as curl reads them:
 *
 * - `http_proxy` / `HTTP_PROXY` for http:// URLs, `https_proxy` / `HTTPS_PROXY` for https:// ones;
 *   the lower-case name wins when both are set. A proxy without a scheme is `http://`.
 * - `no_proxy` / `NO_PROXY`: a comma- or space-separated list. `*` bypasses the proxy for every
 *   host; a name matches itself and its subdomains (a leading dot is optional); an IP address
 *   matches itself, a CIDR block (`10.0.0.0/8`) the addresses in it. An entry may end in `:port`
 *   to match that port only (as Go and undici allow; curl ignores ports).
 * - Loopback hosts are not bypassed unless listed, as in curl.
 */
import { BlockList, isIP } from 'node:net';

export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/** The proxy for `url`, or undefined when it goes direct; throws naming the variable when it is no URL. */
export function proxyFor(url: string | URL, environment: ProxyEnvironment): URL | undefined {
  const target = new URL(url);
  const scheme = target.protocol === 'https:' ? 'https' : target.protocol === 'http:' ? 'http' : undefined;
  if (scheme === undefined) return undefined;
  const variable = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`].find(
    (name) => (environment[name] ?? '').trim() !== '',
  );
  if (variable === undefined) return undefined;
  if (bypassesProxy(target, environment['no_proxy'] ?? environment['NO_PROXY'] ?? '')) return undefined;
  const value = environment[variable]!.trim();
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new Error(`${variable} is not a proxy URL (expected http://host:port); fix or unset it`);
  }
  return proxy;
}

/** True when the `no_proxy` list names the URL's host (see the module comment for the forms). */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { name, entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (matchesHost(host, name)) return true;
  }
  return false;
}

/** `name[:port]`, `[v6]:port`, a bare IPv6 address (its colons are not a port) or a CIDR block. */
function splitPort(entry: string): { name: string; entryPort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) {
    return bracketed[2] !== undefined
      ? { name: bracketed[1]!, entryPort: bracketed[2] }
      : { name: bracketed[1]! };
  }
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  return withPort !== null ? { name: withPort[1]!, entryPort: withPort[2] } : { name: entry };
}

function matchesHost(host: string, name: string): boolean {
  const cidr = /^(.+)\/(\d{1,3})$/.exec(name);
  if (cidr !== null) {
    const family = isIP(cidr[1]!);
    if (family === 0 || isIP(host) !== family) return false;
    const block = new BlockList();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    try {
      block.addSubnet(cidr[1]!, Number(cidr[2]), type);
    } catch {
      return false;
    }
    return block.check(host, type);
  }
  const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
  if (domain === '') return false;
  if (isIP(domain) !== 0 || isIP(host) !== 0) return host === domain;
  return host === domain || host.endsWith(`.${domain}`);
}

/** The Proxy-Authorization header for a proxy URL with credentials (`http://user:pass@proxy:3128`). */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The proxy as it may be logged: scheme, host and port, never its credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
