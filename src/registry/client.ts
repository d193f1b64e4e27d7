/**
 * Adapter: the few OCI distribution (registry HTTP API v2) calls release tagging needs — resolve
 * a tag to a digest, fetch a manifest by digest, put a manifest under a tag — with the two
 * authentication schemes registries use: Basic, and Bearer tokens from the realm a 401 names.
 */
import { createHash } from 'node:crypto';
import { parseImageReference } from './image-ref.ts';

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
      throw new RegistryError(repository, 'is not an image repository (registry/path, no tag)', 'image');
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
    await this.expectOk(response, `${this.repository}:${tag}`, 'resolve');
    const digest = response.headers.get('docker-content-digest');
    if (digest !== null) return digest;
    // Registries may leave the header out of HEAD answers; the manifest's own hash is the digest.
    return (await this.manifest(tag)).digest;
  }

  /** The manifest under a digest (or tag), byte for byte, checked against its digest. */
  async manifest(reference: string): Promise<Manifest> {
    const where = reference.startsWith('sha256:')
      ? `${this.repository}@${reference}`
      : `${this.repository}:${reference}`;
    const response = await this.send('GET', `manifests/${reference}`, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    await this.expectOk(response, where, 'fetch the manifest of');
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(where, `the registry served a manifest whose digest is ${digest}`);
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!(MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new RegistryError(where, `unexpected manifest media type '${mediaType}'`);
    }
    return { digest, mediaType, bytes };
  }

  /** Stores the manifest's exact bytes under `tag`; returns the digest the registry reports. */
  async putManifest(tag: string, manifest: Manifest): Promise<string> {
    const response = await this.send(
      'PUT',
      `manifests/${tag}`,
      { 'content-type': manifest.mediaType },
      manifest.bytes,
    );
    await this.expectOk(response, `${this.repository}:${tag}`, 'tag');
    return response.headers.get('docker-content-digest') ?? manifest.digest;
  }

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    const url = `${this.baseUrl}/v2/${this.path}/${path}`;
    const attempt = (): Promise<Response> =>
      fetch(url, {
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
    const response = await fetch(tokenUrl, { headers: basic !== undefined ? { authorization: basic } : {} });
    if (!response.ok) {
      await response.arrayBuffer();
      throw new RegistryError(
        this.repository,
        `the registry's token service (${tokenUrl.origin}) refused ${
          basic !== undefined ? 'registry-username/registry-password' : 'an anonymous request'
        } (HTTP ${response.status})`,
        'registry-password',
      );
    }
    const token = (await response.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    return value === undefined ? undefined : `Bearer ${value}`;
  }

  private async expectOk(response: Response, where: string, what: string): Promise<void> {
    if (response.ok) return;
    const text = await response.text().catch(() => '');
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        where,
        `the registry refused to ${what} it (HTTP ${response.status}); check registry-username and registry-password and that they may push`,
        'registry-password',
      );
    }
    throw new RegistryError(
      where,
      `could not ${what} it: HTTP ${response.status} ${text.slice(0, 200)}`.trim(),
    );
  }
}
