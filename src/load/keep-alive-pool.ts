/**
 * Keep-alive HTTP/1.1 connections to one origin (http or https), one exchange per connection at a
 * time, for the load generator's probes and the few requests before them. The adapter around the
 * pure wire code of http1.ts: sockets, TLS, timeouts, reuse.
 *
 * - Idle connections are reused last-in first-out, so at a low rate a few stay warm and the rest
 *   may time out on the server without a request ever meeting a half-closed one.
 * - A request whose reused connection closes before any answer arrived (the server's keep-alive
 *   timeout crossed it in flight) is sent once more on a new connection, as browsers do; its
 *   latency still runs from the first send.
 * - A timeout is the time without progress: no answer yet, or no body bytes for that long. One
 *   sweep per pool checks the deadlines, not one timer per request.
 * - Behind a forward proxy (HTTPS_PROXY, a kubeconfig's proxy-url) an https origin is reached
 *   through a CONNECT tunnel per connection, TLS inside it, so the proxy sees neither credentials
 *   nor timings beyond the tunnel's; an http origin gets its requests in absolute form.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectTls } from 'node:tls';
import { describeProxy, proxyAuthorization } from '../proxy.ts';
import { ResponseParser, toProxyForm, type BodySink } from './http1.ts';
import type { TlsOptions } from './targets.ts';

/** How one exchange ends, told to whoever sent it. */
export interface ExchangeHandler {
  /** Body bytes as they arrive (a view: copy to keep). */
  body?: BodySink;
  end(status: number): void;
  fail(kind: 'timeout' | 'network', message: string): void;
}

export interface KeepAlivePoolOptions {
  /** Sockets at most; requests beyond wait in order for a free one. */
  connections: number;
  tls?: TlsOptions;
  /** The forward proxy to reach the origin through (see the module comment). */
  proxy?: URL;
}

interface Exchange {
  request: Buffer;
  handler: ExchangeHandler;
  timeoutMs: number;
  /** performance.now() after which the exchange has timed out; moved on by every byte received. */
  deadline: number;
  retried: boolean;
}

/** Granularity of the timeout sweep: timeouts fire up to this late. */
const SWEEP_MS = 50;

class Connection {
  /** Set once, right after construction (the socket's read callback needs the connection first). */
  socket!: Socket;
  readonly parser = new ResponseParser();
  exchange: Exchange | undefined;
  /** True until the proxy's CONNECT tunnel is open: a request assigned meanwhile is written then. */
  tunnelling = false;
  /** Exchanges finished on this socket: a failure on a reused one may be the keep-alive race. */
  served = 0;
  open = true;
}

export class KeepAlivePool {
  /** The Host header's value for this origin. */
  readonly host: string;
  readonly origin: string;
  private readonly url: URL;
  private readonly options: KeepAlivePoolOptions;
  private readonly connections = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly waiting: Exchange[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  /** Where plain sockets read into; see connect(). */
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private closing = false;

  constructor(origin: string, options: KeepAlivePoolOptions) {
    this.url = new URL(origin);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new Error(`expected an http:// or https:// origin; got '${origin}'`);
    }
    if (!(options.connections >= 1)) throw new RangeError('connections must be ≥ 1');
    this.origin = this.url.origin;
    this.host = this.url.host;
    this.options = options;
  }

  /** Sends pre-encoded request bytes; exactly one of the handler's end or fail is called. */
  send(request: Buffer, handler: ExchangeHandler, timeoutMs: number): void {
    const proxy = this.options.proxy;
    const exchange: Exchange = {
      request:
        proxy !== undefined && this.url.protocol === 'http:'
          ? toProxyForm(request, this.origin, proxyAuthorization(proxy))
          : request,
      handler,
      timeoutMs,
      deadline: performance.now() + timeoutMs,
      retried: false,
    };
    if (this.closing) {
      handler.fail('network', `connection pool to ${this.origin} is closed`);
      return;
    }
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    this.assign(exchange);
  }

  /** Connections open now (idle or busy). */
  get size(): number {
    return this.connections.size;
  }

  /** Ends every connection; exchanges still running or waiting fail as network errors. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const exchange of this.waiting.splice(0)) {
      exchange.handler.fail('network', `connection pool to ${this.origin} was closed`);
    }
    const closed = [...this.connections].map((connection) => {
      const gone = new Promise<void>((resolve) => {
        if (connection.socket.destroyed) resolve();
        else connection.socket.once('close', () => resolve());
      });
      this.drop(connection, `connection pool to ${this.origin} was closed`);
      return gone;
    });
    await Promise.all(closed);
  }

  private assign(exchange: Exchange): void {
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (connection.open) {
        this.start(connection, exchange);
        return;
      }
    }
    if (this.connections.size < this.options.connections) this.start(this.connect(), exchange);
    else this.waiting.push(exchange);
  }

  private start(connection: Connection, exchange: Exchange): void {
    connection.exchange = exchange;
    connection.parser.reset();
    if (!connection.tunnelling) connection.socket.write(exchange.request);
  }

  private connect(): Connection {
    const connection = new Connection();
    this.connections.add(connection);
    const proxy = this.options.proxy;
    if (proxy !== undefined && this.url.protocol === 'https:') this.tunnel(connection, proxy);
    else
      this.attach(
        connection,
        this.url.protocol === 'https:' ? this.connectTls() : this.connectPlain(connection),
      );
    return connection;
  }

  /** Where sockets go: the origin, or the proxy for an http origin behind one. */
  private socketAddress(): { host: string; port: number } {
    const to =
      this.options.proxy !== undefined && this.url.protocol === 'http:' ? this.options.proxy : this.url;
    return {
      // URL keeps IPv6 literals in brackets; sockets want them bare.
      host: to.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(to.port) || (to.protocol === 'https:' ? 443 : 80),
    };
  }

  private connectPlain(connection: Connection): Socket {
    return connectTcp({
      ...this.socketAddress(),
      // Plain sockets read straight into one buffer the pool reuses (bytes are parsed before
      // the next read), which skips the stream machinery and a Buffer per read: at the top
      // rates that was a tenth of the generator's time. TLS sockets have no such option.
      onread: {
        buffer: this.readBuffer,
        callback: (length: number) => {
          this.received(connection, this.readBuffer.subarray(0, length));
          return true;
        },
      },
    });
  }

  /** TLS to the origin, directly or over `tunnel` (a socket to the proxy that CONNECT opened). */
  private connectTls(tunnel?: Socket): Socket {
    const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const tls = this.options.tls;
    return connectTls({
      // Over a tunnel `host` is what the certificate is checked against (the proxy's address is not).
      host,
      ...(tunnel !== undefined ? { socket: tunnel } : { port: Number(this.url.port) || 443 }),
      ...tls,
      // SNI takes names only; the kubeconfig's tls-server-name wins when it has one.
      ...(tls?.servername === undefined && isIP(host) === 0 ? { servername: host } : {}),
      ALPNProtocols: ['http/1.1'],
    });
  }

  /** Reads and forgets what the socket says: the connection's exchange is settled from here on. */
  private attach(connection: Connection, socket: Socket): void {
    socket.setNoDelay(true);
    connection.socket = socket;
    if (this.url.protocol === 'https:')
      socket.on('data', (chunk: Buffer) => this.received(connection, chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.lost(connection, describeSocketError(error)));
    socket.on('close', () =>
      this.lost(connection, 'the server closed the connection before the response ended'),
    );
  }

  /** Opens a CONNECT tunnel through the proxy, then TLS to the origin inside it. */
  private tunnel(connection: Connection, proxy: URL): void {
    const where = describeProxy(proxy);
    const authority = this.url.port === '' ? `${this.url.host}:443` : this.url.host;
    const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
    const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
    const socket =
      proxy.protocol === 'https:'
        ? connectTls({
            host: proxyHost,
            port: proxyPort,
            ...(isIP(proxyHost) === 0 ? { servername: proxyHost } : {}),
          })
        : connectTcp({ host: proxyHost, port: proxyPort });
    connection.socket = socket;
    connection.tunnelling = true;
    const authorization = proxyAuthorization(proxy);
    socket.write(
      `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n` +
        (authorization !== undefined ? `proxy-authorization: ${authorization}\r\n` : '') +
        '\r\n',
    );
    let head = Buffer.alloc(0);
    const fail = (reason: string) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      this.lost(connection, reason);
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 16 * 1024) fail(`proxy ${where} sent an endless answer to CONNECT ${authority}`);
        return;
      }
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
      if (status !== 200) {
        fail(
          `proxy ${where} refused CONNECT ${authority} (${statusLine.replace(/^HTTP\/1\.[01] /, 'HTTP ')}); check HTTPS_PROXY/NO_PROXY or the kubeconfig's proxy-url, and the proxy's credentials`,
        );
        return;
      }
      socket.removeAllListeners();
      connection.tunnelling = false;
      this.attach(connection, this.connectTls(socket));
      if (connection.exchange !== undefined) connection.socket.write(connection.exchange.request);
    };
    socket.on('data', onData);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(`proxy ${where}: ${describeSocketError(error)}`),
    );
    socket.on('close', () =>
      fail(`proxy ${where} closed the connection before the CONNECT tunnel to ${authority} opened`),
    );
  }

  private received(connection: Connection, chunk: Buffer): void {
    const exchange = connection.exchange;
    if (exchange === undefined) {
      this.drop(connection, 'unexpected bytes on an idle connection');
      return;
    }
    exchange.deadline = performance.now() + exchange.timeoutMs;
    let end: number;
    try {
      end = connection.parser.push(chunk, exchange.handler.body);
    } catch (error) {
      this.drop(connection, `invalid HTTP response from ${this.origin}: ${(error as Error).message}`);
      return;
    }
    if (end === -1) return;
    // Read before the connection moves on to a waiting request, which resets the parser.
    const { status, keepAlive } = connection.parser;
    connection.exchange = undefined;
    connection.served++;
    const reusable = keepAlive && end === chunk.length && !this.closing;
    if (!reusable) this.drop(connection, '');
    else {
      const next = this.waiting.shift();
      if (next !== undefined) this.start(connection, next);
      else this.idle.push(connection);
    }
    exchange.handler.end(status);
  }

  /** The socket failed or closed: settles its exchange (or retries it once) and forgets it. */
  private lost(connection: Connection, reason: string): void {
    if (!this.connections.delete(connection)) return;
    connection.open = false;
    const exchange = connection.exchange;
    connection.exchange = undefined;
    if (exchange !== undefined) {
      if (connection.parser.closed()) exchange.handler.end(connection.parser.status);
      else if (connection.served > 0 && !connection.parser.started && !exchange.retried && !this.closing) {
        exchange.retried = true;
        this.assign(exchange);
      } else exchange.handler.fail('network', `${this.origin}: ${reason}`);
    }
    // A request waiting for a socket gets the one just freed.
    const next = this.connections.size < this.options.connections ? this.waiting.shift() : undefined;
    if (next !== undefined) this.assign(next);
  }

  /** Closes a connection on purpose; its exchange (if any) fails as `kind` with `reason`. */
  private drop(connection: Connection, reason: string, kind: 'timeout' | 'network' = 'network'): void {
    const exchange = connection.exchange;
    connection.exchange = undefined;
    this.lost(connection, reason);
    connection.socket.destroy();
    if (exchange !== undefined) exchange.handler.fail(kind, reason);
  }

  private sweep(): void {
    const now = performance.now();
    for (const connection of this.connections) {
      const exchange = connection.exchange;
      if (exchange !== undefined && now > exchange.deadline) {
        this.drop(connection, `${this.origin}: no answer within ${exchange.timeoutMs} ms`, 'timeout');
      }
    }
    for (let index = 0; index < this.waiting.length;) {
      const exchange = this.waiting[index]!;
      if (now > exchange.deadline) {
        this.waiting.splice(index, 1);
        exchange.handler.fail(
          'timeout',
          `${this.origin}: no free connection within ${exchange.timeoutMs} ms`,
        );
      } else index++;
    }
  }
}

/** A socket error in words that name the cause (ECONNREFUSED, a certificate problem, …). */
function describeSocketError(error: NodeJS.ErrnoException): string {
  return error.code !== undefined && !error.message.includes(error.code)
    ? `${error.message} (${error.code})`
    : error.message;
}

/** One whole exchange as a promise (for the few requests outside the load): status and body. */
export function requestWhole(
  pool: KeepAlivePool,
  request: Buffer,
  timeoutMs: number,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pool.send(
      request,
      {
        body: (chunk) => chunks.push(Buffer.from(chunk)),
        end: (status) => resolve({ status, body: Buffer.concat(chunks) }),
        fail: (_kind, message) => reject(new Error(message)),
      },
      timeoutMs,
    );
  });
}
