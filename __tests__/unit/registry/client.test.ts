import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  MANIFEST_MEDIA_TYPES,
  parseAuthChallenge,
  registryBaseUrl,
  RegistryError,
  RegistrySession,
  type Descriptor,
} from '../../../src/registry/client.ts';
import { startForwardingProxy, type ForwardingProxy } from '../../support/forwarding-proxy.ts';
import { makeTestCertificates } from '../../support/tls-certificates.ts';

describe('parseAuthChallenge', () => {
  it('reads a Bearer challenge as registries send it', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/resnet:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      parameters: {
        realm: 'https://ghcr.io/token',
        service: 'ghcr.io',
        scope: 'repository:acme/resnet:pull',
      },
    });
  });

  it('reads a Basic challenge and unquoted values', () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm", charset=UTF-8')).toEqual({
      scheme: 'basic',
      parameters: { realm: 'Registry Realm', charset: 'UTF-8' },
    });
  });
});

describe('registryBaseUrl', () => {
  it.each([
    // Loopback registries are tried over HTTPS first too (a private one may speak TLS).
    ['localhost:5000', 'https://localhost:5000'],
    ['127.0.0.1:41234', 'https://127.0.0.1:41234'],
    ['ghcr.io', 'https://ghcr.io'],
    ['docker.io', 'https://registry-1.docker.io'],
    ['registry.example.com:5000', 'https://registry.example.com:5000'],
  ])('%s → %s', (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url);
  });
});

describe('RegistrySession', () => {
  it('refuses a reference with a tag, naming the image input', () => {
    expect(() => new RegistrySession('ghcr.io/acme/resnet:v1')).toThrow(RegistryError);
    expect(() => new RegistrySession('ghcr.io/acme/resnet:v1')).toThrow(/is not an image repository/);
  });
});

/** One answer of the fake registry: status, content type and body (JSON bodies as objects). */
interface Answer {
  status?: number;
  type?: string;
  body?: Buffer | object;
  headers?: Record<string, string>;
}

const OCI_INDEX = MANIFEST_MEDIA_TYPES[0];
const OCI_MANIFEST = MANIFEST_MEDIA_TYPES[1];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

function bytesOf(body: Answer['body']): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body ?? {}));
}

function digestOfBytes(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A registry on 127.0.0.1 answering `METHOD /v2/…` from `answers` (404 for anything else). */
async function fakeRegistry(answers: Record<string, Answer>): Promise<string> {
  const server = createServer((request, response) => {
    const answer: Answer = answers[`${request.method} ${request.url}`] ?? {
      status: 404,
      body: { errors: [] },
    };
    request.resume();
    response.writeHead(answer.status ?? 200, {
      ...(answer.type !== undefined ? { 'content-type': answer.type } : {}),
      ...answer.headers,
    });
    response.end(bytesOf(answer.body));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A stored blob or manifest: the answer serving it and the descriptor naming it. */
function stored(mediaType: string, body: Buffer | object, platform?: Descriptor['platform']) {
  const bytes = bytesOf(body);
  const descriptor: Descriptor = {
    mediaType,
    digest: digestOfBytes(bytes),
    size: bytes.length,
    ...(platform !== undefined ? { platform } : {}),
  };
  return { descriptor, answer: { type: mediaType, body: bytes } };
}

describe('RegistrySession reading an image', () => {
  const config = stored('application/vnd.oci.image.config.v1+json', {
    config: { Labels: { 'dev.model-canary.revision': 'abc' } },
  });
  const tarBytes = Buffer.from('a tar stream, as far as the client cares');
  const layer = stored('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tarBytes));
  const image = stored(OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: config.descriptor,
    layers: [layer.descriptor],
  });
  const arm64 = stored(OCI_MANIFEST, { schemaVersion: 2, config: config.descriptor, layers: [] });
  const index = stored(OCI_INDEX, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...arm64.descriptor, platform: { os: 'linux', architecture: 'arm64' } },
      { ...image.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  });
  const answers = (extra: Record<string, Answer> = {}): Record<string, Answer> => ({
    'GET /v2/acme/resnet/manifests/v1': index.answer,
    'GET /v2/acme/resnet/manifests/single': image.answer,
    [`GET /v2/acme/resnet/manifests/${image.descriptor.digest}`]: image.answer,
    [`GET /v2/acme/resnet/manifests/${arm64.descriptor.digest}`]: arm64.answer,
    [`GET /v2/acme/resnet/blobs/${config.descriptor.digest}`]: config.answer,
    [`GET /v2/acme/resnet/blobs/${layer.descriptor.digest}`]: layer.answer,
    ...extra,
  });

  it('follows an index to the platform asked for, and reads config and layers', async () => {
    const registry = new RegistrySession(`${await fakeRegistry(answers())}/acme/resnet`);
    const manifest = await registry.imageManifest('v1');
    expect(manifest.layers).toEqual([layer.descriptor]);
    expect((await registry.imageManifest('v1', { os: 'linux', architecture: 'arm64' })).layers).toEqual([]);
    expect((await registry.imageManifest('single')).config).toEqual(config.descriptor);
    expect((await registry.config(manifest)).config?.Labels).toEqual({ 'dev.model-canary.revision': 'abc' });
    expect(await registry.layer(layer.descriptor)).toEqual(tarBytes);
    expect(await registry.blob(layer.descriptor.digest)).toEqual(layer.answer.body);
    expect((await registry.manifest('v1')).digest).toBe(index.descriptor.digest);
  });

  it('returns an uncompressed layer as stored', async () => {
    const plain = stored('application/vnd.oci.image.layer.v1.tar', tarBytes);
    const host = await fakeRegistry({
      [`GET /v2/acme/resnet/blobs/${plain.descriptor.digest}`]: plain.answer,
    });
    expect(await new RegistrySession(`${host}/acme/resnet`).layer(plain.descriptor)).toEqual(tarBytes);
  });

  it('names the platforms an index has when the one asked for is missing', async () => {
    const registry = new RegistrySession(`${await fakeRegistry(answers())}/acme/resnet`);
    await expect(registry.imageManifest('v1', { os: 'linux', architecture: 's390x' })).rejects.toThrow(
      /acme\/resnet:v1: has no linux\/s390x image \(its index lists linux\/arm64, linux\/amd64\)/,
    );
  });

  it('refuses a blob or a manifest whose bytes do not hash to the digest asked for', async () => {
    const altered = { ...layer.answer, body: gzipSync(Buffer.from('something else')) };
    const host = await fakeRegistry(
      answers({
        [`GET /v2/acme/resnet/blobs/${layer.descriptor.digest}`]: altered,
        [`GET /v2/acme/resnet/manifests/${image.descriptor.digest}`]: arm64.answer,
      }),
    );
    const registry = new RegistrySession(`${host}/acme/resnet`);
    await expect(registry.layer(layer.descriptor)).rejects.toThrow(
      `${host}/acme/resnet@${layer.descriptor.digest}: the registry served a blob whose digest is ${digestOfBytes(altered.body)}`,
    );
    await expect(registry.imageManifest('v1')).rejects.toThrow(
      `${host}/acme/resnet@${image.descriptor.digest}: the registry served a manifest whose digest is ${arm64.descriptor.digest}`,
    );
  });

  it('refuses a manifest of a media type it does not copy, naming the type', async () => {
    const host = await fakeRegistry({
      'GET /v2/acme/resnet/manifests/old': { type: 'application/vnd.docker.distribution.manifest.v1+json' },
    });
    await expect(new RegistrySession(`${host}/acme/resnet`).manifest('old')).rejects.toThrow(
      /acme\/resnet:old: the registry served a manifest of media type 'application\/vnd\.docker\.distribution\.manifest\.v1\+json'/,
    );
  });
});

describe('RegistrySession errors', () => {
  it.each([
    [
      404,
      /:v9: http:\/\/127\.0\.0\.1:\d+ could not fetch its manifest: HTTP 404 .*MANIFEST_UNKNOWN.*; check the image input and that the image was pushed$/,
    ],
    [
      400,
      /:v9: http:\/\/[\d.:]+ could not fetch its manifest: HTTP 400 .*; check the image input and the registry's answer$/,
    ],
    [
      500,
      /:v9: http:\/\/[\d.:]+ could not fetch its manifest: HTTP 500 .*; the registry failed: re-run the job/,
    ],
    [
      403,
      /:v9: http:\/\/[\d.:]+ refused to fetch its manifest \(HTTP 403\) with no credentials \(an anonymous request\); log in before this step \(docker\/login-action\) or set registry-username and registry-password$/,
    ],
  ])('names the registry, the image, HTTP %i and what to do', async (status, message) => {
    const host = await fakeRegistry({
      'GET /v2/acme/resnet/manifests/v9': { status, body: { errors: [{ code: 'MANIFEST_UNKNOWN' }] } },
    });
    const attempt = new RegistrySession(`${host}/acme/resnet`).manifest('v9');
    await expect(attempt).rejects.toBeInstanceOf(RegistryError);
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toMatchObject({ reference: `${host}/acme/resnet:v9` });
  });

  it('asks for push rights when a tag cannot be written with the credentials it names', async () => {
    const host = await fakeRegistry({ 'PUT /v2/acme/resnet/manifests/v1': { status: 403 } });
    const manifest = {
      digest: digestOfBytes(Buffer.from('{}')),
      mediaType: OCI_MANIFEST,
      bytes: Buffer.from('{}'),
    };
    const credentials = { username: 'ci', password: 'pw' };
    const attempt = new RegistrySession(`${host}/acme/resnet`, credentials).putManifest('v1', manifest);
    await expect(attempt).rejects.toThrow(
      `${host}/acme/resnet:v1: http://${host} refused to tag it (HTTP 403) with registry-username/registry-password; check them and that they may push`,
    );
    await expect(attempt).rejects.toMatchObject({ input: 'registry-password' });
    const fromDocker = new RegistrySession(
      `${host}/acme/resnet`,
      credentials,
      `the Docker config's login for ${host}`,
    );
    await expect(fromDocker.putManifest('v1', manifest)).rejects.toThrow(
      `with the Docker config's login for ${host}; check them and that they may push`,
    );
  });

  it('resolves a missing tag to undefined, not an error', async () => {
    const host = await fakeRegistry({});
    expect(await new RegistrySession(`${host}/acme/resnet`).resolve('v1')).toBeUndefined();
  });

  it('names the token service, the HTTP status and what to do when it refuses', async () => {
    const tokens = await fakeRegistry({
      'GET /token?service=fake&scope=repository%3Aacme%2Fresnet%3Apull%2Cpush': { status: 401 },
    });
    const host = await fakeRegistry({
      'HEAD /v2/acme/resnet/manifests/v1': {
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="http://${tokens}/token",service="fake"` },
      },
    });
    const attempt = new RegistrySession(`${host}/acme/resnet`).resolve('v1');
    await expect(attempt).rejects.toThrow(
      `${host}/acme/resnet: http://${tokens} refused to give a token for acme/resnet (the registry's token service) (HTTP 401) with no credentials (an anonymous request); log in before this step`,
    );
    await expect(attempt).rejects.toMatchObject({ input: 'registry-password' });
  });

  it('names the address it could not reach, why, and the image input', async () => {
    const host = await fakeRegistry({});
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
    const attempt = new RegistrySession(`${host}/acme/resnet`).resolve('v1');
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `^${host}/acme/resnet: could not reach the registry: could not connect to https://${host} at 127\\.0\\.0\\.1:\\d+: the connection was refused .*\\(ECONNREFUSED\\); check the registry host in the image input`,
      ),
    );
    await expect(attempt).rejects.toMatchObject({ input: 'image' });
  });
});

describe('RegistrySession authentication', () => {
  /** A registry whose manifests answer only `Bearer good-token`, and its token service. */
  async function bearerRegistry(
    grant: (request: { method: string; url: string; authorization?: string; body: string }) => boolean,
  ): Promise<string> {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const host = request.headers.host!;
        if (request.url!.startsWith('/token')) {
          const ok = grant({
            method: request.method!,
            url: request.url!,
            body,
            ...(request.headers.authorization !== undefined
              ? { authorization: request.headers.authorization }
              : {}),
          });
          response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
          response.end(JSON.stringify(ok ? { access_token: 'good-token' } : {}));
          return;
        }
        if (request.headers.authorization !== 'Bearer good-token') {
          response.writeHead(401, {
            'www-authenticate': `Bearer realm="http://${host}/token",service="fake"`,
          });
          response.end();
          return;
        }
        response.writeHead(200, { 'docker-content-digest': `sha256:${'a'.repeat(64)}` });
        response.end();
      });
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('earns a Bearer token with Basic credentials', async () => {
    const expected = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    const host = await bearerRegistry((r) => r.method === 'GET' && r.authorization === expected);
    const session = new RegistrySession(`${host}/acme/resnet`, { username: 'ci', password: 'pw' });
    expect(await session.resolve('v1')).toBe(`sha256:${'a'.repeat(64)}`);
  });

  it("exchanges a Docker config's identity token as an OAuth2 refresh token", async () => {
    const host = await bearerRegistry((r) => {
      const form = new URLSearchParams(r.body);
      return (
        r.method === 'POST' &&
        r.authorization === undefined &&
        form.get('grant_type') === 'refresh_token' &&
        form.get('refresh_token') === 'refresh-me' &&
        form.get('scope') === 'repository:acme/resnet:pull,push'
      );
    });
    const credentials = { username: '<token>', password: 'refresh-me', identityToken: true };
    const session = new RegistrySession(`${host}/acme/resnet`, credentials);
    expect(await session.resolve('v1')).toBe(`sha256:${'a'.repeat(64)}`);
  });
});

describe('RegistrySession behind a proxy', () => {
  const proxies: ForwardingProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  const manifest = stored(OCI_MANIFEST, { schemaVersion: 2, layers: [] });
  const tagged = { ...manifest.answer, headers: { 'docker-content-digest': manifest.descriptor.digest } };

  it('sends through HTTPS_PROXY / HTTP_PROXY, as curl would', async () => {
    const proxy = await startForwardingProxy();
    proxies.push(proxy);
    const registry = await fakeRegistry({ 'HEAD /v2/acme/resnet/manifests/v1': tagged });
    const session = new RegistrySession(`${registry}/acme/resnet`, undefined, undefined, {
      HTTPS_PROXY: proxy.url,
      http_proxy: proxy.url,
    });
    expect(await session.resolve('v1')).toBe(manifest.descriptor.digest);
    // HTTPS first through a tunnel (this loopback registry speaks no TLS), then plain HTTP.
    expect(proxy.seen).toEqual([
      `CONNECT ${registry}`,
      `HEAD http://${registry}/v2/acme/resnet/manifests/v1`,
    ]);
  });

  it('goes direct to a host NO_PROXY names', async () => {
    const proxy = await startForwardingProxy();
    proxies.push(proxy);
    const registry = await fakeRegistry({ 'HEAD /v2/acme/resnet/manifests/v1': tagged });
    const session = new RegistrySession(`${registry}/acme/resnet`, undefined, undefined, {
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      NO_PROXY: 'example.com,127.0.0.1',
    });
    expect(await session.resolve('v1')).toBe(manifest.descriptor.digest);
    expect(proxy.seen).toEqual([]);
  });
});

describe('RegistrySession and a registry behind a private CA', () => {
  let directory: string;
  let server: HttpsServer;
  let host: string;
  const digest = `sha256:${'c'.repeat(64)}`;

  beforeAll(async () => {
    // A CA of its own and a server certificate it signed, as a company registry has.
    const certificates = makeTestCertificates('registry-ca-');
    directory = certificates.directory;
    writeFileSync(join(directory, 'not-a-cert.txt'), 'hello\n');
    server = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
      request.resume();
      if (request.method === 'HEAD' && request.url === '/v2/acme/resnet/manifests/v1') {
        response.writeHead(200, { 'docker-content-digest': digest, 'content-type': OCI_MANIFEST });
      } else response.writeHead(404);
      response.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    rmSync(directory, { recursive: true, force: true });
  });

  const session = (environment: Record<string, string>) =>
    new RegistrySession(`${host}/acme/resnet`, undefined, undefined, environment);

  it('trusts the CAs of SSL_CERT_FILE beside the built-in ones', async () => {
    expect(await session({ SSL_CERT_FILE: join(directory, 'ca.pem') }).resolve('v1')).toBe(digest);
  });

  it('without it, says the certificate is not trusted and how to trust it', async () => {
    await expect(session({}).resolve('v1')).rejects.toThrow(
      /certificate is not trusted by the runner: put its CA in a file named by SSL_CERT_FILE/,
    );
  });

  it.each([
    ['missing.pem', /SSL_CERT_FILE names .*missing\.pem, which cannot be read \(ENOENT\)/],
    ['not-a-cert.txt', /SSL_CERT_FILE names .*not-a-cert\.txt, which holds no PEM certificate/],
  ])('names SSL_CERT_FILE when %s is no CA file', async (file, message) => {
    await expect(session({ SSL_CERT_FILE: join(directory, file) }).resolve('v1')).rejects.toThrow(message);
  });
});
