import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  encodeRequest,
  HttpWireError,
  MAX_HEAD_BYTES,
  ResponseParser,
  toProxyForm,
} from '../../../src/load/http1.ts';
import { KeepAlivePool, requestWhole, type ExchangeHandler } from '../../../src/load/keep-alive-pool.ts';
import { startForwardingProxy, type ForwardingProxy } from '../../support/forwarding-proxy.ts';
import { makeTestCertificates, type TestCertificates } from '../../support/tls-certificates.ts';

interface Parsed {
  status: number;
  keepAlive: boolean;
  body: string;
  /** Where the response ended in the bytes fed, or -1 when only the connection's end finishes it. */
  end: number;
}

/** Feeds `wire` to a fresh parser in the given pieces and collects what it reports. */
function parseInPieces(wire: Buffer, cuts: number[]): Parsed {
  const parser = new ResponseParser();
  const body: Buffer[] = [];
  let offset = 0;
  let end = -1;
  const bounds = [0, ...cuts, wire.length];
  for (let piece = 0; piece + 1 < bounds.length && end === -1; piece++) {
    const chunk = wire.subarray(bounds[piece], bounds[piece + 1]);
    const at = parser.push(chunk, (data) => body.push(Buffer.from(data)));
    if (at !== -1) end = offset + at;
    offset += chunk.length;
  }
  return { status: parser.status, keepAlive: parser.keepAlive, body: Buffer.concat(body).toString(), end };
}

const wire = (text: string) => Buffer.from(text, 'latin1');

describe('ResponseParser', () => {
  const framed: { name: string; response: string; status: number; keepAlive: boolean; body: string }[] = [
    {
      name: 'content-length',
      response: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}',
      status: 200,
      keepAlive: true,
      body: '{"ok":true}',
    },
    {
      name: 'chunked, with a chunk extension and trailers',
      response:
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n',
      status: 200,
      keepAlive: true,
      body: 'hello, world',
    },
    {
      name: 'an interim 100 Continue, then the answer',
      response:
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy',
      status: 503,
      keepAlive: true,
      body: 'busy',
    },
    {
      name: '204 without a body, whatever its headers say',
      response: 'HTTP/1.1 204 No Content\r\nx-note: none\r\n\r\n',
      status: 204,
      keepAlive: true,
      body: '',
    },
    {
      name: 'connection: close ends keep-alive',
      response: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
      status: 200,
      keepAlive: false,
      body: 'ok',
    },
    {
      name: 'HTTP/1.0 keeps the connection only when asked to',
      response: 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok',
      status: 200,
      keepAlive: true,
      body: 'ok',
    },
    {
      name: 'a list of equal content-lengths',
      response: 'HTTP/1.1 200 OK\r\ncontent-length: 2, 2\r\n\r\nok',
      status: 200,
      keepAlive: true,
      body: 'ok',
    },
    {
      name: 'a transfer coding beside a length: chunked wins, the connection is not reused',
      response:
        'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      status: 200,
      keepAlive: false,
      body: 'ok',
    },
  ];

  it.each(framed)('reads $name, however the bytes are split', ({ response, status, keepAlive, body }) => {
    const bytes = wire(response);
    const whole = parseInPieces(bytes, []);
    expect(whole).toEqual({ status, keepAlive, body, end: bytes.length });
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parseInPieces(bytes, [cut])).toEqual(whole);
    }
    expect(
      parseInPieces(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(whole);
  });

  it('says where a response ends when more bytes follow it', () => {
    const first = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    expect(new ResponseParser().push(wire(`${first}HTTP/1.1 200 OK\r\n`))).toBe(first.length);
  });

  it('reads a body without length until the connection ends', () => {
    const parser = new ResponseParser();
    const body: string[] = [];
    expect(parser.push(wire('HTTP/1.0 200 OK\r\n\r\npart one, '), (data) => body.push(data.toString()))).toBe(
      -1,
    );
    expect(parser.push(wire('part two'), (data) => body.push(data.toString()))).toBe(-1);
    expect(parser.closed()).toBe(true);
    expect(parser.keepAlive).toBe(false);
    expect(body.join('')).toBe('part one, part two');
  });

  it('is not finished by a connection end in the middle of a framed body', () => {
    const parser = new ResponseParser();
    parser.push(wire('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort'));
    expect(parser.closed()).toBe(false);
  });

  it('starts over after reset, for the next exchange on the connection', () => {
    const parser = new ResponseParser();
    expect(parser.started).toBe(false);
    parser.push(wire('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n'));
    expect(parser.status).toBe(500);
    parser.reset();
    expect(parser.started).toBe(false);
    expect(parser.push(wire('HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n'))).toBeGreaterThan(0);
    expect(parser.status).toBe(201);
  });

  it.each([
    ['HTTP/2 200 OK\r\n\r\n', /not an HTTP\/1\.x status line: 'HTTP\/2 200 OK'/],
    ['SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1\.x status line/],
    ['HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\n', /invalid content-length '5, 6'/],
    ['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', /invalid content-length '-1'/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line: 'no colon here'/],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size line 'zz'/],
    [
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokay\r\n',
      /chunk data longer than its declared size/,
    ],
    ['HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n', /switched protocols/],
  ])('refuses %j', (response, message) => {
    expect(() => new ResponseParser().push(wire(response))).toThrow(message);
  });

  it('refuses a head that never ends rather than buffering it without bound', () => {
    const parser = new ResponseParser();
    parser.push(wire('HTTP/1.1 200 OK\r\n'));
    const filler = wire(`x-filler: ${'a'.repeat(1000)}\r\n`);
    expect(() => {
      for (let sent = 0; sent <= MAX_HEAD_BYTES; sent += filler.length) parser.push(filler);
    }).toThrow(HttpWireError);
  });
});

describe('encodeRequest', () => {
  it('writes the request line, Host, the headers and a body length in bytes', () => {
    const bytes = encodeRequest({
      method: 'POST',
      path: '/v2/models/m/infer',
      host: 'models.example.com:8443',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"text":"é"}',
    });
    expect(bytes.toString('utf8')).toBe(
      'POST /v2/models/m/infer HTTP/1.1\r\nhost: models.example.com:8443\r\ncontent-type: application/json\r\n' +
        'authorization: Bearer t\r\ncontent-length: 13\r\n\r\n{"text":"é"}',
    );
  });

  it("leaves framing to itself: a caller's Host, Content-Length or Connection is not sent", () => {
    const text = encodeRequest({
      method: 'GET',
      path: '/',
      host: '127.0.0.1:80',
      headers: { Host: 'elsewhere', 'Content-Length': '99', connection: 'close', accept: '*/*' },
    }).toString('latin1');
    expect(text).toBe('GET / HTTP/1.1\r\nhost: 127.0.0.1:80\r\naccept: */*\r\n\r\n');
  });

  it('refuses a header that would break the head, naming it', () => {
    const request = { method: 'GET', path: '/', host: 'h' };
    expect(() => encodeRequest({ ...request, headers: { 'x-arm': 'canary\r\nx-evil: 1' } })).toThrow(
      /header 'x-arm' has a line break/,
    );
    expect(() => encodeRequest({ ...request, headers: { 'bad name': 'v' } })).toThrow(
      /header name 'bad name' is not a valid HTTP token/,
    );
    expect(() => encodeRequest({ ...request, path: 'relative', headers: {} })).toThrow(
      /must start with '\/'/,
    );
  });
});

/** Starts a raw TCP server whose `answer` sees each request's head and the socket's request count. */
async function rawServer(answer: (socket: Socket, requestOnSocket: number) => void): Promise<Server> {
  const server = createTcpServer((socket) => {
    let requests = 0;
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(end + 4);
        answer(socket, ++requests);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const originOf = (server: { address(): AddressInfo | string | null }) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const get = (pool: KeepAlivePool, path = '/') =>
  encodeRequest({ method: 'GET', path, host: pool.host, headers: {} });

/** Sends and reports the outcome as a value: `status` or `kind: message`. */
function outcome(pool: KeepAlivePool, request: Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const handler: ExchangeHandler = {
      end: (status) => resolve(String(status)),
      fail: (kind, message) => resolve(`${kind}: ${message}`),
    };
    pool.send(request, handler, timeoutMs);
  });
}

describe('KeepAlivePool against loopback servers', () => {
  const connections: Socket[] = [];
  const http = createHttpServer((request, response) => {
    if (request.url === '/slow') setTimeout(() => response.end('slow'), 50);
    else if (request.url !== '/hang') response.end('fast');
  });
  http.on('connection', (socket: Socket) => connections.push(socket));

  beforeAll(() => new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve())));
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  it('reuses one connection for requests one after another', async () => {
    const pool = new KeepAlivePool(originOf(http), { connections: 4 });
    const before = connections.length;
    for (let i = 0; i < 5; i++) {
      expect((await requestWhole(pool, get(pool), 5000)).body.toString()).toBe('fast');
    }
    expect(connections.length - before).toBe(1);
    await pool.close();
  });

  it('opens at most `connections` sockets; the requests beyond wait their turn and all finish', async () => {
    const pool = new KeepAlivePool(originOf(http), { connections: 3 });
    const before = connections.length;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => outcome(pool, get(pool, '/slow'), 5000)),
    );
    expect(answers).toEqual(Array.from({ length: 10 }, () => '200'));
    expect(connections.length - before).toBe(3);
    expect(pool.size).toBe(3);
    await pool.close();
    expect(pool.size).toBe(0);
  });

  it('times out a request that gets no answer and closes its connection', async () => {
    const pool = new KeepAlivePool(originOf(http), { connections: 1 });
    const before = connections.length;
    expect(await outcome(pool, get(pool, '/hang'), 200)).toMatch(/^timeout: .*no answer within 200 ms/);
    expect(pool.size).toBe(0);
    // The next request gets a fresh connection rather than waiting behind the hung one.
    expect(await outcome(pool, get(pool), 5000)).toBe('200');
    expect(connections.length - before).toBe(2);
    await pool.close();
  });

  it('sends again on a new connection when a reused one closes before answering (the keep-alive race)', async () => {
    // Each connection answers its first request and hangs up on its second without a word.
    const server = await rawServer((socket, requestOnSocket) => {
      if (requestOnSocket === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else socket.destroy();
    });
    const pool = new KeepAlivePool(originOf(server), { connections: 1 });
    expect(await outcome(pool, get(pool), 5000)).toBe('200');
    expect(await outcome(pool, get(pool), 5000)).toBe('200');
    await pool.close();
    server.close();
  });

  it('does not send again when a fresh connection closes before answering', async () => {
    const server = await rawServer((socket) => socket.destroy());
    const pool = new KeepAlivePool(originOf(server), { connections: 1 });
    expect(await outcome(pool, get(pool), 5000)).toMatch(
      /^network: http:\/\/127\.0\.0\.1:\d+: the server closed the connection before the response ended$/,
    );
    await pool.close();
    server.close();
  });

  it('ends a body without length at the connection end, and fails a response that breaks framing', async () => {
    const server = await rawServer((socket, requestOnSocket) => {
      if (requestOnSocket === 1) socket.end('HTTP/1.0 200 OK\r\n\r\nuntil the end');
    });
    const pool = new KeepAlivePool(originOf(server), { connections: 1 });
    const whole = await requestWhole(pool, get(pool), 5000);
    expect(whole).toEqual({ status: 200, body: Buffer.from('until the end') });
    server.close();

    const broken = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n'));
    const brokenPool = new KeepAlivePool(originOf(broken), { connections: 1 });
    expect(await outcome(brokenPool, get(brokenPool), 5000)).toBe(
      'network: invalid HTTP response from http://127.0.0.1:' +
        `${(broken.address() as AddressInfo).port}: invalid content-length 'x'`,
    );
    await brokenPool.close();
    broken.close();
  });

  it('fails the requests still waiting when it is closed, and refuses new ones', async () => {
    const pool = new KeepAlivePool(originOf(http), { connections: 1 });
    const running = outcome(pool, get(pool, '/hang'), 5000);
    const waiting = outcome(pool, get(pool), 5000);
    await pool.close();
    expect(await running).toMatch(/^network: .*was closed/);
    expect(await waiting).toMatch(/^network: .*was closed/);
    expect(await outcome(pool, get(pool), 5000)).toMatch(/^network: .*is closed/);
  });

  it('names what is wrong with an origin it cannot use', () => {
    expect(() => new KeepAlivePool('ftp://example.com', { connections: 1 })).toThrow(
      "expected an http:// or https:// origin; got 'ftp://example.com'",
    );
  });
});

describe('toProxyForm', () => {
  const request = (path: string, headers: Record<string, string> = {}) =>
    encodeRequest({ method: 'POST', path, host: 'models.internal:8080', headers, body: '{"a":1}' });

  it.each([
    ['/', {}],
    ['/v2/models/m/infer?x=1', { authorization: 'Bearer t' }],
    ['/api/v1/namespaces/ml/services/m-canary:http/proxy/health', { accept: 'application/json' }],
  ])('puts the origin before %s and keeps the head and body', (path, headers) => {
    const proxied = toProxyForm(request(path, headers), 'http://models.internal:8080').toString('latin1');
    expect(proxied).toBe(
      request(path, headers)
        .toString('latin1')
        .replace(`POST ${path}`, `POST http://models.internal:8080${path}`),
    );
  });

  it('adds the proxy credentials as a header of their own', () => {
    const proxied = toProxyForm(request('/x'), 'http://a:1', 'Basic dTpw').toString('latin1');
    expect(proxied.split('\r\n').slice(0, 3)).toEqual([
      'POST http://a:1/x HTTP/1.1',
      'proxy-authorization: Basic dTpw',
      'host: models.internal:8080',
    ]);
    expect(proxied.endsWith('\r\n\r\n{"a":1}')).toBe(true);
  });

  it('refuses a request already in absolute form', () => {
    expect(() => toProxyForm(Buffer.from('GET http://a/ HTTP/1.1\r\n\r\n'), 'http://a')).toThrow(
      /origin form/,
    );
  });
});

describe('KeepAlivePool behind a forward proxy', () => {
  let proxy: ForwardingProxy;
  let certificates: TestCertificates;
  const answer = (request: IncomingMessage, response: ServerResponse) =>
    response.end(`${request.method} ${request.url} host=${request.headers.host}`);
  const plain = createHttpServer(answer);
  let secure: ReturnType<typeof createHttpsServer>;

  beforeAll(async () => {
    proxy = await startForwardingProxy();
    // A certificate for 127.0.0.1 from a CA of the test's own: TLS inside the tunnel is verified.
    certificates = makeTestCertificates('pool-tls-');
    secure = createHttpsServer({ key: certificates.key, cert: certificates.cert }, answer);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    await proxy.close();
    plain.close();
    secure.close();
    rmSync(certificates.directory, { recursive: true, force: true });
  });

  const body = async (pool: KeepAlivePool, path: string) =>
    (
      await requestWhole(pool, encodeRequest({ method: 'GET', path, host: pool.host, headers: {} }), 5000)
    ).body.toString();

  it('sends http requests to the proxy in absolute form, with its credentials', async () => {
    const origin = originOf(plain);
    const pool = new KeepAlivePool(origin, {
      connections: 2,
      proxy: new URL(proxy.url.replace('//', '//user:p%40ss@')),
    });
    for (const path of ['/a', '/b?c=d', '/a']) {
      expect(await body(pool, path)).toBe(`GET ${path} host=${new URL(origin).host}`);
    }
    await pool.close();
    expect(proxy.seen.slice(-3)).toEqual([`GET ${origin}/a`, `GET ${origin}/b?c=d`, `GET ${origin}/a`]);
    expect(proxy.authorizations.at(-1)).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('tunnels https with CONNECT and verifies the origin inside the tunnel', async () => {
    const origin = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    const seenBefore = proxy.seen.length;
    const pool = new KeepAlivePool(origin, {
      connections: 2,
      tls: { ca: certificates.ca },
      proxy: new URL(proxy.url),
    });
    const answers = await Promise.all(['/1', '/2', '/3', '/4'].map((path) => body(pool, path)));
    expect(answers).toEqual(
      ['/1', '/2', '/3', '/4'].map((path) => `GET ${path} host=${new URL(origin).host}`),
    );
    await pool.close();
    // Two sockets at most, each one tunnel: the proxy saw CONNECTs only, never a request line.
    const seen = proxy.seen.slice(seenBefore);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set([`CONNECT ${new URL(origin).host}`]));
  });

  it('fails with the proxy named when the tunnel cannot open', async () => {
    const origin = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    const closed = await rawServer((socket) =>
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'),
    );
    const pool = new KeepAlivePool(origin, { connections: 1, proxy: new URL(originOf(closed)) });
    expect(await outcome(pool, get(pool), 5000)).toBe(
      `network: ${origin}: proxy ${originOf(closed)} refused CONNECT ${new URL(origin).host} (HTTP 407 Proxy Authentication Required); check HTTPS_PROXY/NO_PROXY or the kubeconfig's proxy-url, and the proxy's credentials`,
    );
    await pool.close();
    closed.close();
    const unreachable = new KeepAlivePool(origin, { connections: 1, proxy: new URL('http://127.0.0.1:1') });
    expect(await outcome(unreachable, get(unreachable), 5000)).toMatch(
      /^network: https:\/\/127\.0\.0\.1:\d+: proxy http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
    await unreachable.close();
  });
});
