/**
 * Release tagging against the real local registry (localhost:5000): an image BuildKit pushed under
 * the commit SHA gets v1.2.3, v1.2 and v1 without a rebuild — asserted from the registry requests
 * themselves: only manifest reads and manifest puts, no blob upload, and every tag has the digest.
 * A loopback proxy in front of the registry demands Basic or Bearer authentication, as hosted
 * registries do, so both flows run against the real registry behind it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../../src/registry/client.ts';
import { tagVerifiedImage } from '../../src/stages/tag-release.ts';
import { buildAndPush, REGISTRY } from './local-cluster.ts';

const CREDENTIALS = { username: 'release-bot', password: 'not-a-real-secret-0451' };
const TAGS = ['v1.2.3', 'v1.2', 'v1'];
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

async function requireRegistry(): Promise<void> {
  const response = await fetch(`http://${REGISTRY}/v2/`).catch((error: unknown) => {
    throw new Error(
      `The local registry ${REGISTRY} is not running: run npm run cluster:up (${String(error)})`,
    );
  });
  expect(response.status).toBe(200);
}

/** Builds a tiny FROM-scratch image with BuildKit and pushes it as `repository:tag`; returns its digest. */
async function pushImage(repository: string, tag: string, attestation: boolean): Promise<string> {
  const context = mkdtempSync(join(tmpdir(), 'release-image-'));
  writeFileSync(join(context, 'model.txt'), `weights for ${tag}\n`);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY model.txt /model.txt\n');
  // With a provenance attestation BuildKit pushes an image index; without, a single manifest.
  return buildAndPush(
    context,
    `${repository}:${tag}`,
    attestation ? ['--opt', 'attest:provenance=mode=min'] : [],
  );
}

/** What the registry itself says a tag points at (no auth: straight to localhost:5000). */
async function registryDigest(path: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: ACCEPT },
  });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

/**
 * A loopback reverse proxy to the registry that demands credentials the way hosted registries do:
 * `basic` answers 401 with a Basic challenge; `bearer` sends clients to its /token realm, which
 * wants Basic credentials and hands out a token scoped to one repository.
 */
class AuthenticatingRegistryProxy {
  readonly requests: string[] = [];
  url = '';
  private readonly scheme: 'basic' | 'bearer';
  private readonly issuedTokens = new Set<string>();
  private readonly server: Server;

  constructor(scheme: 'basic' | 'bearer') {
    this.scheme = scheme;
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(502).end(String(error));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private basicValue(): string {
    return `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${this.url}`);
    this.requests.push(`${request.method} ${url.pathname}${url.pathname === '/token' ? url.search : ''}`);
    const authorization = request.headers.authorization;
    if (url.pathname === '/token') {
      if (authorization !== this.basicValue()) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const token = `tok-${this.issuedTokens.size + 1}-${url.searchParams.get('scope')}`;
      this.issuedTokens.add(token);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const allowed =
      this.scheme === 'basic'
        ? authorization === this.basicValue()
        : authorization !== undefined && this.issuedTokens.has(authorization.replace(/^Bearer /, ''));
    if (!allowed) {
      const challenge =
        this.scheme === 'basic'
          ? 'Basic realm="local registry"'
          : `Bearer realm="http://${this.url}/token",service="local-registry",scope="repository:${url.pathname.split('/').slice(2, -2).join('/')}:pull"`;
      response
        .writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'content-type']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(`http://${REGISTRY}${url.pathname}${url.search}`, {
      method: request.method ?? 'GET',
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const passHeaders: Record<string, string> = {};
    for (const name of ['content-type', 'docker-content-digest', 'location']) {
      const value = upstream.headers.get(name);
      if (value !== null) passHeaders[name] = value;
    }
    if (request.method !== 'HEAD') passHeaders['content-length'] = String(body.length);
    else if (upstream.headers.get('content-length') !== null) {
      passHeaders['content-length'] = upstream.headers.get('content-length')!;
    }
    response.writeHead(upstream.status, passHeaders).end(request.method === 'HEAD' ? undefined : body);
  }
}

describe('release tags on the local registry', () => {
  const unique = `${Date.now().toString(36)}${process.pid}`;
  const sha = `${unique}`
    .padEnd(40, '0')
    .replace(/[^0-9a-f]/g, 'a')
    .slice(0, 40);

  beforeAll(async () => {
    await requireRegistry();
  });

  it.each([
    ['a single manifest, registry without auth', false, undefined],
    ['an image index (with attestation), Basic auth', true, 'basic'],
    ['a single manifest, Bearer token auth', false, 'bearer'],
  ] as const)(
    'tags %s with v1.2.3, v1.2, v1 at the same digest, no blob moved',
    async (_name, index, scheme) => {
      const path = `model-canary-test/release-${scheme ?? 'none'}-${unique}`;
      const built = await pushImage(`${REGISTRY}/${path}`, sha, index);
      const proxy = scheme === undefined ? undefined : await new AuthenticatingRegistryProxy(scheme).start();
      try {
        const host = proxy?.url ?? REGISTRY;
        const released = await tagVerifiedImage({
          repository: `${host}/${path}`,
          commitTag: sha,
          releaseTags: TAGS,
          ...(proxy !== undefined ? { credentials: CREDENTIALS } : {}),
        });

        expect(released.digest).toBe(built);
        expect(released.image).toBe(`${host}/${path}@${built}`);
        expect(released.mediaType).toBe(
          index ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json',
        );
        for (const tag of [sha, ...TAGS]) expect(await registryDigest(path, tag)).toBe(built);
        if (proxy !== undefined) {
          // Only manifests were read and written: no blob was fetched or uploaded, so nothing was built.
          const registryCalls = proxy.requests.filter((r) => r.includes('/v2/'));
          expect(registryCalls.every((r) => /^(HEAD|GET|PUT) \/v2\/[^ ]+\/manifests\/[^/]+$/.test(r))).toBe(
            true,
          );
          expect(registryCalls.filter((r) => r.startsWith('PUT'))).toEqual(
            TAGS.map((tag) => `PUT /v2/${path}/manifests/${tag}`),
          );
          if (scheme === 'bearer') {
            const tokenRequests = proxy.requests.filter((r) => r.startsWith('GET /token'));
            expect(tokenRequests).toHaveLength(1);
            expect(decodeURIComponent(tokenRequests[0]!)).toContain(`scope=repository:${path}:pull,push`);
          }
        }
      } finally {
        await proxy?.close();
      }
    },
  );

  it('refuses to tag a commit that has no verified image, naming the image', async () => {
    const path = `model-canary-test/release-missing-${unique}`;
    await expect(
      tagVerifiedImage({ repository: `${REGISTRY}/${path}`, commitTag: sha, releaseTags: TAGS }),
    ).rejects.toThrow(new RegExp(`${REGISTRY}/${path}:${sha}: was not found`));
    expect(await registryDigest(path, 'v1')).toBeNull();
  });

  it('names registry-password when the token service refuses the credentials', async () => {
    const path = `model-canary-test/release-denied-${unique}`;
    await pushImage(`${REGISTRY}/${path}`, sha, false);
    const proxy = await new AuthenticatingRegistryProxy('bearer').start();
    try {
      const attempt = tagVerifiedImage({
        repository: `${proxy.url}/${path}`,
        commitTag: sha,
        releaseTags: TAGS,
        credentials: { username: CREDENTIALS.username, password: 'wrong' },
      });
      await expect(attempt).rejects.toBeInstanceOf(RegistryError);
      await expect(attempt).rejects.toMatchObject({ input: 'registry-password' });
      await expect(attempt).rejects.not.toThrow(/wrong/);
      expect(await registryDigest(path, 'v1.2.3')).toBeNull();
    } finally {
      await proxy.close();
    }
  });
});
