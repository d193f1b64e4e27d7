/**
 * Adapter: the OCI distribution (registry HTTP API v2) calls release tagging needs — resolve a tag
 * to a digest, fetch a manifest by digest, put a manifest under a tag — and those that read an
 * image's manifest, config and layers (the build tests and benchmark check what a push really put
 * in the registry), with the two authentication schemes registries use: Basic, and Bearer tokens
 * from the realm a 401 names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import {
  Agent,
  fetch as undiciFetch,
  ProxyAgent,
  type Dispatcher,
  type RequestInit as UndiciRequestInit,
} from 'undici';
import { connectionFailureOf, originOf } from '../errors.ts';
import { proxyFor, type ProxyEnvironment } from '../proxy.ts';
import { isDigest, parseImageReference, pinnedReference } from './image-ref.ts';

/** Every manifest media type we copy as is: OCI and Docker, single images and indexes. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

/** The registry refused or lacks something; `reference` names the image, `input` the input to fix. */
export class RegistryError extends Error {
  readonly reference: string;
  readonly input?: string;

  constructor(reference: string, message: string, input?: string) {
    super(`${reference}: ${message}`);
    this.name = 'RegistryError';
    this.reference = reference;
    if (input !== undefined) this.input = input;
  }
}

export interface RegistryCredentials {
  username: string;
  password: string;
  /** `password` is an OAuth2 refresh token (docker's identitytoken), exchanged at the token service. */
  identityToken?: boolean;
}

/** One request to a registry, as a failure names it. */
export interface RegistryRequest {
  /** The image (or repository) the request was about. */
  image: string;
  /** What we tried, as a verb phrase: `fetch its manifest`, `tag it`. */
  action: string;
  access: 'pull' | 'push';
  url: string;
  /** Where the credentials offered came from (`registry-username/registry-password`); none: anonymous. */
  login?: string;
}

/**
 * Describes one failed registry request: an HTTP error status, or no connection at all. The one
 * place that says, for every registry call, which server and image, which status, and what to do.
 */
export function describeRegistryFailure(
  request: RegistryRequest,
  failure: { status: number; body: string } | { error: unknown },
): RegistryError {
  const server = originOf(request.url);
  if (!('status' in failure)) {
    const connection = connectionFailureOf(failure.error, request.url);
    const why =
      connection?.description ??
      `could not reach ${server} (${failure.error instanceof Error ? failure.error.message : String(failure.error)})`;
    const advice = connection?.tls
      ? "the registry's certificate is not trusted by the runner: put its CA in a file named by SSL_CERT_FILE (or NODE_EXTRA_CA_CERTS)"
      : 'check the registry host in the image input and that the runner can reach it (a proxy goes in HTTPS_PROXY/NO_PROXY)';
    return new RegistryError(request.image, `could not ${request.action}: ${why}; ${advice}`, 'image');
  }
  const status = `HTTP ${failure.status}`;
  if (failure.status === 401 || failure.status === 403) {
    const offered = request.login ?? 'no credentials (an anonymous request)';
    const advice =
      request.login !== undefined
        ? `check them${request.access === 'push' ? ' and that they may push' : ''}`
        : 'log in before this step (docker/login-action) or set registry-username and registry-password';
    return new RegistryError(
      request.image,
      `${server} refused to ${request.action} (${status}) with ${offered}; ${advice}`,
      'registry-password',
    );
  }
  const text = failure.body.trim().slice(0, 200);
  const advice =
    failure.status >= 500
      ? 'the registry failed: re-run the job, and check the registry if it keeps failing'
      : failure.status === 404
        ? 'check the image input and that the image was pushed'
        : "check the image input and the registry's answer";
  return new RegistryError(
    request.image,
    `${server} could not ${request.action}: ${status}${text !== '' ? ` ${text}` : ''}; ${advice}`,
  );
}

/** A manifest exactly as the registry stored it: its bytes are what the digest covers. */
export interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** What a manifest or index says about one blob or manifest it names. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** The operating system and CPU architecture an index lists an image for. */
export interface Platform {
  os: string;
  architecture: string;
}

/** A single-platform image manifest: its config blob and its layers, base image first. */
export interface ImageManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The parts of an image config blob that are read: labels, environment, command, user, layer diff IDs. */
export interface ImageConfig {
  config?: { Labels?: Record<string, string>; Env?: string[]; Cmd?: string[]; User?: string };
  rootfs?: { diff_ids: string[] };
}

/** Parsed `WWW-Authenticate` challenge: the scheme and its parameters. */
export interface AuthChallenge {
  scheme: string;
  parameters: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseAuthChallenge(header: string): AuthChallenge {
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const parameters: Record<string, string> = {};
  for (const [, key, quoted, bare] of header
    .slice(space + 1)
    .matchAll(/([A-Za-z]+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    parameters[key!.toLowerCase()] = quoted ?? bare ?? '';
  }
  return { scheme, parameters };
}

/** The registry's HTTPS address (Docker Hub's API lives at registry-1.docker.io). */
export function registryBaseUrl(registry: string): string {
  return `https://${registry === 'docker.io' ? 'registry-1.docker.io' : registry}`;
}

/** True for a registry on this machine's loopback, which may speak plain HTTP. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\./.test(host) || host === '[::1]';
}

/** One repository of one registry, with the credentials and the tokens they earned (one session per run). */
export class RegistrySession {
  readonly repository: string;
  private readonly registry: string;
  /** HTTPS, or plain HTTP once a loopback registry turned out not to speak TLS. */
  private baseUrl: string;
  private readonly path: string;
  private readonly credentials: RegistryCredentials | undefined;
  /** Where the credentials came from, for messages. */
  private readonly login: string | undefined;
  private authorization: string | undefined;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read (src/proxy.ts). */
  private readonly environment: ProxyEnvironment;
  /** One connection pool per proxy, kept for the session (the token service may be another host). */
  private readonly proxyAgents = new Map<string, ProxyAgent>();
  /** The direct pool when SSL_CERT_FILE adds CAs (else undici's global one). */
  private directAgent: Agent | undefined;
  /** Node's CAs plus those of SSL_CERT_FILE, read once; undefined when it is unset. */
  private trustedCas: string[] | undefined | null = null;

  constructor(
    repository: string,
    credentials?: RegistryCredentials,
    login = 'registry-username/registry-password',
    environment: ProxyEnvironment = process.env,
  ) {
    const parsed = parseImageReference(repository);
    if (parsed === undefined || parsed.tag !== undefined || parsed.digest !== undefined) {
      throw new RegistryError(
        repository,
        'is not an image repository (registry/path, no tag): give one such as ghcr.io/acme/resnet',
        'image',
      );
    }
    this.repository = repository;
    this.registry = parsed.registry;
    this.baseUrl = registryBaseUrl(parsed.registry);
    this.path = parsed.path;
    this.credentials = credentials;
    this.login = credentials !== undefined ? login : undefined;
    this.environment = environment;
  }

  /** The digest a tag points at, or undefined when the tag does not exist. */
  async resolve(tag: string): Promise<string | undefined> {
    const response = await this.send('HEAD', `manifests/${tag}`, { accept: MANIFEST_MEDIA_TYPES.join(', ') });
    if (response.status === 404) return undefined;
    await this.expectOk(response, `${this.repository}:${tag}`, 'resolve it', 'pull');
    const digest = response.headers.get('docker-content-digest');
    if (digest !== null) return digest;
    // Registries may leave the header out of HEAD answers; the manifest's own hash is the digest.
    return (await this.manifest(tag)).digest;
  }

  /** The manifest under a digest (or tag), byte for byte, checked against its digest. */
  async manifest(reference: string): Promise<Manifest> {
    const where = this.imageNamed(reference);
    const response = await this.send('GET', `manifests/${reference}`, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    await this.expectOk(response, where, 'fetch its manifest', 'pull');
    const bytes = Buffer.from(await response.arrayBuffer());
    if (isDigest(reference)) expectDigest(where, 'manifest', reference, bytes);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!(MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new RegistryError(
        where,
        `the registry served a manifest of media type '${mediaType}'; only OCI and Docker schema 2 images and indexes are read (${MANIFEST_MEDIA_TYPES.join(', ')}): push the image with BuildKit or docker`,
      );
    }
    return { digest: sha256Digest(bytes), mediaType, bytes };
  }

  /** The image manifest for a platform, following an index (BuildKit pushes one with attestations). */
  async imageManifest(
    reference: string,
    platform: Platform = { os: 'linux', architecture: 'amd64' },
  ): Promise<ImageManifest> {
    const body = JSON.parse((await this.manifest(reference)).bytes.toString('utf8')) as
      ImageManifest | { manifests: Descriptor[] };
    if (!('manifests' in body) || !Array.isArray(body.manifests)) return body as ImageManifest;
    const entry = body.manifests.find(
      (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
    );
    if (entry === undefined) {
      const listed = body.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`);
      throw new RegistryError(
        this.imageNamed(reference),
        `has no ${platform.os}/${platform.architecture} image (its index lists ${listed.join(', ')}): build it for that platform`,
      );
    }
    return JSON.parse((await this.manifest(entry.digest)).bytes.toString('utf8')) as ImageManifest;
  }

  /** A blob's bytes (a layer, an image config), checked against its digest. */
  async blob(digest: string): Promise<Buffer> {
    const where = pinnedReference(this.repository, digest);
    const response = await this.send('GET', `blobs/${digest}`, {});
    await this.expectOk(response, where, 'fetch this blob', 'pull');
    const bytes = Buffer.from(await response.arrayBuffer());
    expectDigest(where, 'blob', digest, bytes);
    return bytes;
  }

  /** A layer's tar stream, uncompressed. */
  async layer(descriptor: Descriptor): Promise<Buffer> {
    const blob = await this.blob(descriptor.digest);
    return descriptor.mediaType.endsWith('gzip') ? gunzipSync(blob) : blob;
  }

  /** The config blob of an image manifest, parsed. */
  async config(manifest: ImageManifest): Promise<ImageConfig> {
    return JSON.parse((await this.blob(manifest.config.digest)).toString('utf8')) as ImageConfig;
  }

  /** Stores the manifest's exact bytes under `tag`; returns the digest the registry reports. */
  async putManifest(tag: string, manifest: Manifest): Promise<string> {
    const response = await this.send(
      'PUT',
      `manifests/${tag}`,
      { 'content-type': manifest.mediaType },
      manifest.bytes,
    );
    await this.expectOk(response, `${this.repository}:${tag}`, 'tag it', 'push');
    return response.headers.get('docker-content-digest') ?? manifest.digest;
  }

  /** `repository:tag`, or `repository@sha256:…` for a digest: the image a message is about. */
  private imageNamed(reference: string): string {
    return isDigest(reference)
      ? pinnedReference(this.repository, reference)
      : `${this.repository}:${reference}`;
  }

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    // Built at each attempt: the first may have found that a loopback registry speaks plain HTTP.
    const attempt = (): Promise<Response> =>
      this.reach(`${this.baseUrl}/v2/${this.path}/${path}`, {
        method,
        headers: {
          ...headers,
          ...(this.authorization !== undefined ? { authorization: this.authorization } : {}),
        },
        ...(body !== undefined ? { body: new Uint8Array(body) } : {}),
        redirect: 'follow',
      });
    const response = await attempt();
    if (response.status !== 401) return response;
    const challenge = response.headers.get('www-authenticate');
    await response.arrayBuffer();
    if (challenge === null) return response;
    const authorization = await this.authorize(parseAuthChallenge(challenge));
    if (authorization === undefined || authorization === this.authorization) return response;
    this.authorization = authorization;
    return attempt();
  }

  /** `fetch`, with a refused connection or an unknown host named as this registry's fault, not ours. */
  private async reach(url: URL | string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, init);
    } catch (error) {
      // As docker does for localhost: a loopback registry that does not speak TLS is asked again
      // over plain HTTP, and the session keeps to HTTP from then on.
      const plain = String(url).replace(/^https:/, 'http:');
      if (
        plain !== String(url) &&
        String(url).startsWith(this.baseUrl) &&
        isLoopbackRegistry(this.registry)
      ) {
        const response = await this.fetch(plain, init).catch(() => undefined);
        if (response !== undefined) {
          this.baseUrl = this.baseUrl.replace(/^https:/, 'http:');
          return response;
        }
      }
      throw describeRegistryFailure(
        { image: this.repository, action: 'reach the registry', access: 'pull', url: String(url) },
        { error },
      );
    }
  }

  /**
   * One request, through the proxy the environment names for its URL, as curl would send it.
   * Node's own fetch reads no proxy variables (unless NODE_USE_ENV_PROXY is set) and takes no
   * dispatcher of the undici package (their handler interfaces differ), so requests go through
   * undici's fetch, the one @kubernetes/client-node uses too. undici's EnvHttpProxyAgent reads
   * NO_PROXY its own way; src/proxy.ts is the one reading for every client of ours.
   */
  private async fetch(url: URL | string, init: RequestInit): Promise<Response> {
    const proxy = proxyFor(url, this.environment);
    const ca = this.cas();
    let dispatcher: Dispatcher | undefined;
    if (proxy !== undefined) {
      const agent =
        this.proxyAgents.get(proxy.href) ??
        new ProxyAgent(ca !== undefined ? { uri: proxy.href, requestTls: { ca } } : proxy.href);
      this.proxyAgents.set(proxy.href, agent);
      dispatcher = agent;
    } else if (ca !== undefined) {
      this.directAgent ??= new Agent({ connect: { ca } });
      dispatcher = this.directAgent;
    }
    // The DOM and undici types describe the same fetch; they differ only in their stream types.
    const response = await undiciFetch(url, {
      ...(init as UndiciRequestInit),
      ...(dispatcher !== undefined ? { dispatcher } : {}),
    });
    return response as unknown as Response;
  }

  /**
   * SSL_CERT_FILE, as curl and Go read it, for a registry behind a private CA: its certificates are
   * trusted beside Node's own (NODE_EXTRA_CA_CERTS works as well, read by Node at start).
   */
  private cas(): string[] | undefined {
    if (this.trustedCas !== null) return this.trustedCas;
    const file = this.environment['SSL_CERT_FILE']?.trim();
    if (file === undefined || file === '') {
      this.trustedCas = undefined;
      return undefined;
    }
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new RegistryError(
        this.repository,
        `SSL_CERT_FILE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a PEM file of CA certificates or unset it`,
        'image',
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new RegistryError(
        this.repository,
        `SSL_CERT_FILE names ${file}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----); point it at the registry's CA`,
        'image',
      );
    }
    this.trustedCas = [...rootCertificates, pem];
    return this.trustedCas;
  }

  /** The Authorization header a challenge asks for, or undefined when we have nothing to offer. */
  private async authorize(challenge: AuthChallenge): Promise<string | undefined> {
    const basic =
      this.credentials !== undefined && this.credentials.identityToken !== true
        ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
        : undefined;
    if (challenge.scheme === 'basic') return basic;
    if (challenge.scheme !== 'bearer' || challenge.parameters.realm === undefined) return undefined;
    const tokenUrl = new URL(challenge.parameters.realm);
    if (challenge.parameters.service !== undefined)
      tokenUrl.searchParams.set('service', challenge.parameters.service);
    // Ask for push as well as pull: tagging writes, and one token then serves every call.
    const scope = `repository:${this.path}:pull,push`;
    tokenUrl.searchParams.set('scope', scope);
    const response =
      this.credentials?.identityToken === true
        ? // A refresh token is exchanged by POST (the distribution spec's OAuth2 token request).
          await this.reach(new URL(challenge.parameters.realm), {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: this.credentials.password,
              service: challenge.parameters.service ?? '',
              scope,
              client_id: 'model-canary',
            }).toString(),
          })
        : await this.reach(tokenUrl, { headers: basic !== undefined ? { authorization: basic } : {} });
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      throw describeRegistryFailure(
        {
          image: this.repository,
          action: `give a token for ${this.path} (the registry's token service)`,
          access: 'push',
          url: tokenUrl.toString(),
          ...(this.login !== undefined ? { login: this.login } : {}),
        },
        { status: response.status, body },
      );
    }
    const token = (await response.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    return value === undefined ? undefined : `Bearer ${value}`;
  }

  /** Throws a RegistryError naming `image`, the HTTP status and what to do, unless the answer is 2xx. */
  private async expectOk(
    response: Response,
    image: string,
    action: string,
    access: 'pull' | 'push',
  ): Promise<void> {
    if (response.ok) return;
    const body = await response.text().catch(() => '');
    throw describeRegistryFailure(
      {
        image,
        action,
        access,
        url: response.url || this.baseUrl,
        ...(this.login !== undefined ? { login: this.login } : {}),
      },
      { status: response.status, body },
    );
  }
}

/** `sha256:` and the hex hash of some bytes: the digest a registry names them by. */
function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throws unless the bytes served for `digest` hash to it (a registry or a proxy changed them). */
function expectDigest(image: string, what: string, digest: string, bytes: Buffer): void {
  const served = sha256Digest(bytes);
  if (served !== digest) {
    throw new RegistryError(
      image,
      `the registry served a ${what} whose digest is ${served}; the registry or a proxy in between altered it: re-run the job, and check the registry if it persists`,
    );
  }
}
