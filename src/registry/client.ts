/**
 * Adapter: the OCI distribution (registry HTTP API v2) calls release tagging needs — resolve a tag
 * to a digest, fetch a manifest by digest, put a manifest under a tag — and those that read an
 * image's manifest, config and layers (the build tests and benchmark check what a push really put
 * in the registry), with the two authentication schemes registries use: Basic, and Bearer tokens
 * from the realm a 401 names.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
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

/** Registries on this machine's loopback speak plain HTTP (as docker allows for localhost). */
export function registryBaseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const loopback = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
  return `${loopback ? 'http' : 'https'}://${registry === 'docker.io' ? 'registry-1.docker.io' : registry}`;
}

/** One repository of one registry, with the credentials and the tokens they earned (one session per run). */
export class RegistrySession {
  readonly repository: string;
  private readonly baseUrl: string;
  private readonly path: string;
  private readonly credentials: RegistryCredentials | undefined;
  private authorization: string | undefined;

  constructor(repository: string, credentials?: RegistryCredentials) {
    const parsed = parseImageReference(repository);
    if (parsed === undefined || parsed.tag !== undefined || parsed.digest !== undefined) {
      throw new RegistryError(
        repository,
        'is not an image repository (registry/path, no tag): give one such as ghcr.io/acme/resnet',
        'image',
      );
    }
    this.repository = repository;
    this.baseUrl = registryBaseUrl(parsed.registry);
    this.path = parsed.path;
    this.credentials = credentials;
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
    const url = `${this.baseUrl}/v2/${this.path}/${path}`;
    const attempt = (): Promise<Response> =>
      this.reach(url, {
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
      return await fetch(url, init);
    } catch (error) {
      // Duck-typed: fetch's TypeError may come from another realm (a test's VM context).
      const { message, cause } = error as { message?: unknown; cause?: { message?: unknown } };
      const why = [message, cause?.message].filter((part) => typeof part === 'string').join(': ');
      throw new RegistryError(
        this.repository,
        `could not reach ${new URL(url).origin} (${why || String(error)}); check the registry host in the image input and that the runner can reach it`,
        'image',
      );
    }
  }

  /** The Authorization header a challenge asks for, or undefined when we have nothing to offer. */
  private async authorize(challenge: AuthChallenge): Promise<string | undefined> {
    const basic =
      this.credentials !== undefined
        ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
        : undefined;
    if (challenge.scheme === 'basic') return basic;
    if (challenge.scheme !== 'bearer' || challenge.parameters.realm === undefined) return undefined;
    const tokenUrl = new URL(challenge.parameters.realm);
    if (challenge.parameters.service !== undefined)
      tokenUrl.searchParams.set('service', challenge.parameters.service);
    // Ask for push as well as pull: tagging writes, and one token then serves every call.
    tokenUrl.searchParams.set('scope', `repository:${this.path}:pull,push`);
    const response = await this.reach(tokenUrl, {
      headers: basic !== undefined ? { authorization: basic } : {},
    });
    if (!response.ok) {
      await response.arrayBuffer();
      const [offered, advice] =
        basic !== undefined
          ? ['registry-username/registry-password', 'check them and that they may push']
          : ['an anonymous request', 'set registry-username and registry-password'];
      throw new RegistryError(
        this.repository,
        `the registry's token service (${tokenUrl.origin}) refused ${offered} (HTTP ${response.status}); ${advice}`,
        'registry-password',
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
    const text = (await response.text().catch(() => '')).trim().slice(0, 200);
    const status = `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        image,
        `the registry refused to ${action} (${status}); check registry-username and registry-password${
          access === 'push' ? ' and that they may push' : ''
        }`,
        'registry-password',
      );
    }
    const advice =
      response.status >= 500
        ? 'the registry failed: re-run the job, and check the registry if it keeps failing'
        : response.status === 404
          ? 'check the image input and that the image was pushed'
          : "check the image input and the registry's answer";
    throw new RegistryError(
      image,
      `could not ${action}: ${status}${text !== '' ? ` ${text}` : ''}; ${advice}`,
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
