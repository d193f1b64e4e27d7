export const id = 886;
export const ids = [886];
export const modules = {

/***/ 87779:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   kf: () => (/* binding */ encodeRequest),
/* harmony export */   nf: () => (/* binding */ ResponseParser)
/* harmony export */ });
/* unused harmony exports HttpWireError, MAX_HEAD_BYTES, parseResponseHead */
/**
 * HTTP/1.1 on the wire for the load generator: a request encoded once into the bytes every probe
 * sends, and an incremental response parser. Pure (bytes in, numbers and body slices out), so the
 * unit tests feed it responses split at every byte.
 *
 * Why not undici: the probe is the same request thousands of times a second, and undici rebuilds
 * and validates it, serializes its head and parses through WebAssembly callbacks on every one. On
 * one core it reached 0.6× autocannon's rate (bench/results/load.json history); pre-encoded bytes
 * and a parser that only reads what the generator needs (status, framing, keep-alive) do the same
 * work in about half the CPU. What the parser accepts is RFC 9112's response framing (§6.3):
 * Content-Length, chunked (extensions and trailers skipped), read-until-close, interim 1xx
 * answers, and bodiless 204/304 answers.
 */
/** The response broke HTTP/1.1 framing: the connection cannot be trusted for another exchange. */
class HttpWireError extends Error {
    name = 'HttpWireError';
}
/** RFC 9110 token characters: what a header name may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CR, LF and NUL would end the header early and let a value inject headers of its own. */
const UNSAFE_IN_VALUE = /[\r\n\0]/;
/** The generator frames requests itself; a caller's copy of these would contradict it. */
const FRAMING_HEADERS = new Set([
    'host',
    'content-length',
    'transfer-encoding',
    'connection',
]);
/**
 * The request's bytes: head (Host, the caller's headers, Content-Length when there is a body) and
 * body. Throws naming the header when a name or value could not be sent as is.
 */
function encodeRequest(request) {
    if (!request.path.startsWith('/') || /[\s]/.test(request.path)) {
        throw new HttpWireError(`request path must start with '/' and contain no spaces; got '${request.path}'`);
    }
    let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${request.host}\r\n`;
    for (const [name, value] of Object.entries(request.headers)) {
        if (!TOKEN.test(name))
            throw new HttpWireError(`header name '${name}' is not a valid HTTP token`);
        if (UNSAFE_IN_VALUE.test(value)) {
            throw new HttpWireError(`header '${name}' has a line break or NUL in its value; remove it`);
        }
        if (FRAMING_HEADERS.has(name.toLowerCase()))
            continue;
        head += `${name}: ${value}\r\n`;
    }
    const body = request.body === undefined
        ? undefined
        : typeof request.body === 'string'
            ? Buffer.from(request.body, 'utf8')
            : request.body;
    if (body !== undefined)
        head += `content-length: ${body.length}\r\n`;
    head += '\r\n';
    const headBytes = Buffer.from(head, 'latin1');
    return body === undefined ? headBytes : Buffer.concat([headBytes, body]);
}
const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Longer heads are refused rather than buffered without bound (undici's default is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longer chunk-size or trailer lines are refused for the same reason. */
const MAX_LINE_BYTES = 8 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
/** Where the line starting at `start` ends (its CR), or the text's end for the last line. */
function lineEnd(text, start) {
    const end = text.indexOf('\r\n', start);
    return end === -1 ? text.length : end;
}
/** The last item of a comma-separated header value, trimmed and lower-cased. */
function lastListItem(value) {
    return value
        .slice(value.lastIndexOf(',') + 1)
        .trim()
        .toLowerCase();
}
/** Reads a head's text (status line and header lines, without the blank line). */
function parseResponseHead(text) {
    // Line by line with indexOf rather than split and regular expressions: this runs once per
    // probe, and only three header names matter, so the others are skipped by their length.
    const statusEnd = lineEnd(text, 0);
    const statusLine = STATUS_LINE.exec(text.slice(0, statusEnd));
    if (statusLine === null) {
        throw new HttpWireError(`not an HTTP/1.x status line: '${text.slice(0, Math.min(statusEnd, 80))}'`);
    }
    const status = Number(statusLine[2]);
    let keepAlive = statusLine[1] === '1';
    let contentLength;
    let chunked = false;
    let transferEncoded = false;
    for (let start = statusEnd + 2; start < text.length;) {
        const end = lineEnd(text, start);
        const colon = text.indexOf(':', start);
        if (colon <= start || colon > end) {
            throw new HttpWireError(`malformed header line: '${text.slice(start, Math.min(end, start + 80))}'`);
        }
        const nameLength = colon - start;
        if (nameLength === 14 || nameLength === 17 || nameLength === 10) {
            const name = text.slice(start, colon).toLowerCase();
            const value = text.slice(colon + 1, end);
            if (name === 'content-length') {
                // A list of equal values is allowed (RFC 9110 §8.6); differing ones make the framing unknowable.
                for (const item of value.split(',')) {
                    const length = /^\s*(\d{1,15})\s*$/.exec(item);
                    if (length === null || (contentLength !== undefined && Number(length[1]) !== contentLength)) {
                        throw new HttpWireError(`invalid content-length '${value.trim()}'`);
                    }
                    contentLength = Number(length[1]);
                }
            }
            else if (name === 'transfer-encoding') {
                transferEncoded = true;
                chunked = lastListItem(value) === 'chunked';
            }
            else if (name === 'connection') {
                const options = value.split(',').map((option) => option.trim().toLowerCase());
                if (options.includes('close'))
                    keepAlive = false;
                else if (options.includes('keep-alive'))
                    keepAlive = true;
            }
        }
        start = end + 2;
    }
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        return { status, framing: 'none', contentLength: 0, keepAlive };
    }
    if (transferEncoded) {
        // A length beside a transfer coding is a smuggling vector (RFC 9112 §6.3): trust neither after.
        if (contentLength !== undefined)
            keepAlive = false;
        return chunked
            ? { status, framing: 'chunked', contentLength: 0, keepAlive }
            : { status, framing: 'until-close', contentLength: 0, keepAlive: false };
    }
    if (contentLength !== undefined) {
        return { status, framing: contentLength === 0 ? 'none' : 'length', contentLength, keepAlive };
    }
    return { status, framing: 'until-close', contentLength: 0, keepAlive: false };
}
/**
 * One response at a time, fed chunk by chunk. `push` returns where in the chunk the response
 * ended, or -1 while it goes on; `closed` tells whether the connection's end completes it.
 */
class ResponseParser {
    status = 0;
    keepAlive = true;
    state = 'head';
    /** Head bytes (or a chunk-size/trailer line) that arrived without their end yet. */
    partial;
    remaining = 0;
    /** The last head read on this connection and what it said (heads repeat; see readHead). */
    lastHead;
    /** Readies the parser for the next response on the connection. */
    reset() {
        this.status = 0;
        this.keepAlive = true;
        this.state = 'head';
        this.partial = undefined;
        this.remaining = 0;
    }
    /** True once some part of a response head has been seen (a retry would then be unsafe). */
    get started() {
        return this.state !== 'head' || this.partial !== undefined;
    }
    push(chunk, sink) {
        let position = 0;
        while (position < chunk.length) {
            switch (this.state) {
                case 'head': {
                    position = this.readHead(chunk, position);
                    if (position === -1)
                        return -1;
                    if (this.state === 'head')
                        continue; // an interim 1xx answer: the real head follows
                    if (this.state === 'length' && this.remaining === 0)
                        return position; // no body
                    break;
                }
                case 'length':
                    position = this.readBody(chunk, position, sink);
                    if (this.remaining === 0)
                        return position;
                    break;
                case 'until-close':
                    sink?.(chunk.subarray(position));
                    return -1;
                case 'chunk-size': {
                    const line = this.readLine(chunk, position);
                    if (line === undefined)
                        return -1;
                    position = line.next;
                    const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line.text);
                    if (size === null)
                        throw new HttpWireError(`invalid chunk size line '${line.text.slice(0, 40)}'`);
                    this.remaining = parseInt(size[1], 16);
                    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
                    break;
                }
                case 'chunk-data':
                    position = this.readBody(chunk, position, sink);
                    if (this.remaining === 0)
                        this.state = 'chunk-data-end';
                    break;
                case 'chunk-data-end': {
                    const line = this.readLine(chunk, position);
                    if (line === undefined)
                        return -1;
                    if (line.text !== '')
                        throw new HttpWireError('chunk data longer than its declared size');
                    position = line.next;
                    this.state = 'chunk-size';
                    break;
                }
                case 'trailers': {
                    const line = this.readLine(chunk, position);
                    if (line === undefined)
                        return -1;
                    position = line.next;
                    if (line.text === '')
                        return position;
                    break;
                }
            }
        }
        return -1;
    }
    /** The connection ended: true when that is how this response's body ends (no length given). */
    closed() {
        return this.state === 'until-close';
    }
    /** Passes on the body bytes of the current length or chunk; returns the position after them. */
    readBody(chunk, from, sink) {
        const take = Math.min(this.remaining, chunk.length - from);
        sink?.(chunk.subarray(from, from + take));
        this.remaining -= take;
        return from + take;
    }
    /** Parses a head ending in this chunk; returns the position after it, or -1 to wait for more. */
    readHead(chunk, from) {
        let bytes = chunk;
        let start = from;
        if (this.partial !== undefined) {
            bytes = Buffer.concat([this.partial, chunk.subarray(from)]);
            start = 0;
        }
        const end = bytes.indexOf(HEAD_END, start);
        if (end === -1) {
            if (bytes.length - start > MAX_HEAD_BYTES) {
                throw new HttpWireError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
            }
            this.partial = Buffer.from(bytes.subarray(start));
            return -1;
        }
        // Where the head ends in this chunk's own positions (the buffered part came before `from`).
        const consumedFromChunk = bytes === chunk ? end + HEAD_END.length : end + HEAD_END.length - this.partial.length + from;
        this.partial = undefined;
        if (end - start > MAX_HEAD_BYTES)
            throw new HttpWireError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
        // A server sends the same head time after time (a Date header changes once a second):
        // comparing bytes is far cheaper than reading them again.
        const headBytes = bytes.subarray(start, end);
        let head;
        if (this.lastHead !== undefined && headBytes.equals(this.lastHead.bytes))
            head = this.lastHead.parsed;
        else {
            head = parseResponseHead(headBytes.toString('latin1'));
            this.lastHead = { bytes: Buffer.from(headBytes), parsed: head };
        }
        if (head.status >= 100 && head.status < 200) {
            if (head.status === 101)
                throw new HttpWireError('the server switched protocols (101), which a probe never asks for');
            return consumedFromChunk;
        }
        this.status = head.status;
        this.keepAlive = head.keepAlive;
        switch (head.framing) {
            case 'none':
                this.state = 'length';
                this.remaining = 0;
                break;
            case 'length':
                this.state = 'length';
                this.remaining = head.contentLength;
                break;
            case 'chunked':
                this.state = 'chunk-size';
                break;
            case 'until-close':
                this.state = 'until-close';
                break;
        }
        return consumedFromChunk;
    }
    /** Reads one CRLF-ended line (chunk-size, chunk end, trailer), across chunks if need be. */
    readLine(chunk, from) {
        const lf = chunk.indexOf(LF, from);
        if (lf === -1) {
            const sofar = this.partial === undefined
                ? chunk.subarray(from)
                : Buffer.concat([this.partial, chunk.subarray(from)]);
            if (sofar.length > MAX_LINE_BYTES)
                throw new HttpWireError(`chunked framing line longer than ${MAX_LINE_BYTES} bytes`);
            this.partial = Buffer.from(sofar);
            return undefined;
        }
        const line = this.partial === undefined
            ? chunk.subarray(from, lf)
            : Buffer.concat([this.partial, chunk.subarray(from, lf)]);
        this.partial = undefined;
        if (line.length === 0 || line[line.length - 1] !== CR)
            throw new HttpWireError('chunked framing line not ended by CRLF');
        return { text: line.toString('latin1', 0, line.length - 1), next: lf + 1 };
    }
}


/***/ }),

/***/ 8886:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  XM: () => (/* binding */ armGet),
  qz: () => (/* binding */ describeArm),
  wg: () => (/* binding */ openArms),
  $4: () => (/* binding */ proxyArmTargets),
  ld: () => (/* binding */ servicePort),
  Rn: () => (/* binding */ serviceProxyPath),
  ly: () => (/* binding */ urlArmTarget)
});

// UNUSED EXPORTS: ARM_HEADER, apiServerConnection

// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 876 modules
var dist = __webpack_require__(13857);
// EXTERNAL MODULE: ./src/load/http1.ts
var http1 = __webpack_require__(87779);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
// EXTERNAL MODULE: external "node:tls"
var external_node_tls_ = __webpack_require__(41692);
;// CONCATENATED MODULE: ./src/load/keep-alive-pool.ts
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
 */




/** Granularity of the timeout sweep: timeouts fire up to this late. */
const SWEEP_MS = 50;
class Connection {
    /** Set once, right after construction (the socket's read callback needs the connection first). */
    socket;
    parser = new http1/* ResponseParser */.nf();
    exchange;
    /** Exchanges finished on this socket: a failure on a reused one may be the keep-alive race. */
    served = 0;
    open = true;
}
class KeepAlivePool {
    /** The Host header's value for this origin. */
    host;
    origin;
    url;
    options;
    connections = new Set();
    idle = [];
    waiting = [];
    sweeper;
    /** Where plain sockets read into; see connect(). */
    readBuffer = Buffer.allocUnsafe(64 * 1024);
    closing = false;
    constructor(origin, options) {
        this.url = new URL(origin);
        if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
            throw new Error(`expected an http:// or https:// origin; got '${origin}'`);
        }
        if (!(options.connections >= 1))
            throw new RangeError('connections must be ≥ 1');
        this.origin = this.url.origin;
        this.host = this.url.host;
        this.options = options;
    }
    /** Sends pre-encoded request bytes; exactly one of the handler's end or fail is called. */
    send(request, handler, timeoutMs) {
        const exchange = {
            request,
            handler,
            timeoutMs,
            deadline: external_node_perf_hooks_.performance.now() + timeoutMs,
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
    get size() {
        return this.connections.size;
    }
    /** Ends every connection; exchanges still running or waiting fail as network errors. */
    async close() {
        this.closing = true;
        if (this.sweeper !== undefined)
            clearInterval(this.sweeper);
        this.sweeper = undefined;
        for (const exchange of this.waiting.splice(0)) {
            exchange.handler.fail('network', `connection pool to ${this.origin} was closed`);
        }
        const closed = [...this.connections].map((connection) => {
            const gone = new Promise((resolve) => {
                if (connection.socket.destroyed)
                    resolve();
                else
                    connection.socket.once('close', () => resolve());
            });
            this.drop(connection, `connection pool to ${this.origin} was closed`);
            return gone;
        });
        await Promise.all(closed);
    }
    assign(exchange) {
        for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
            if (connection.open) {
                this.start(connection, exchange);
                return;
            }
        }
        if (this.connections.size < this.options.connections)
            this.start(this.connect(), exchange);
        else
            this.waiting.push(exchange);
    }
    start(connection, exchange) {
        connection.exchange = exchange;
        connection.parser.reset();
        connection.socket.write(exchange.request);
    }
    connect() {
        const port = Number(this.url.port) || (this.url.protocol === 'https:' ? 443 : 80);
        // URL keeps IPv6 literals in brackets; sockets want them bare.
        const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
        const tls = this.options.tls;
        const connection = new Connection();
        const socket = this.url.protocol === 'https:'
            ? (0,external_node_tls_.connect)({
                host,
                port,
                ...tls,
                // SNI takes names only; the kubeconfig's tls-server-name wins when it has one.
                ...(tls?.servername === undefined && (0,external_node_net_.isIP)(host) === 0 ? { servername: host } : {}),
                ALPNProtocols: ['http/1.1'],
            })
            : (0,external_node_net_.connect)({
                host,
                port,
                // Plain sockets read straight into one buffer the pool reuses (bytes are parsed before
                // the next read), which skips the stream machinery and a Buffer per read: at the top
                // rates that was a tenth of the generator's time. TLS sockets have no such option.
                onread: {
                    buffer: this.readBuffer,
                    callback: (length) => {
                        this.received(connection, this.readBuffer.subarray(0, length));
                        return true;
                    },
                },
            });
        socket.setNoDelay(true);
        connection.socket = socket;
        this.connections.add(connection);
        if (this.url.protocol === 'https:')
            socket.on('data', (chunk) => this.received(connection, chunk));
        socket.on('error', (error) => this.lost(connection, describeSocketError(error)));
        socket.on('close', () => this.lost(connection, 'the server closed the connection before the response ended'));
        return connection;
    }
    received(connection, chunk) {
        const exchange = connection.exchange;
        if (exchange === undefined) {
            this.drop(connection, 'unexpected bytes on an idle connection');
            return;
        }
        exchange.deadline = external_node_perf_hooks_.performance.now() + exchange.timeoutMs;
        let end;
        try {
            end = connection.parser.push(chunk, exchange.handler.body);
        }
        catch (error) {
            this.drop(connection, `invalid HTTP response from ${this.origin}: ${error.message}`);
            return;
        }
        if (end === -1)
            return;
        // Read before the connection moves on to a waiting request, which resets the parser.
        const { status, keepAlive } = connection.parser;
        connection.exchange = undefined;
        connection.served++;
        const reusable = keepAlive && end === chunk.length && !this.closing;
        if (!reusable)
            this.drop(connection, '');
        else {
            const next = this.waiting.shift();
            if (next !== undefined)
                this.start(connection, next);
            else
                this.idle.push(connection);
        }
        exchange.handler.end(status);
    }
    /** The socket failed or closed: settles its exchange (or retries it once) and forgets it. */
    lost(connection, reason) {
        if (!this.connections.delete(connection))
            return;
        connection.open = false;
        const exchange = connection.exchange;
        connection.exchange = undefined;
        if (exchange !== undefined) {
            if (connection.parser.closed())
                exchange.handler.end(connection.parser.status);
            else if (connection.served > 0 && !connection.parser.started && !exchange.retried && !this.closing) {
                exchange.retried = true;
                this.assign(exchange);
            }
            else
                exchange.handler.fail('network', `${this.origin}: ${reason}`);
        }
        // A request waiting for a socket gets the one just freed.
        const next = this.connections.size < this.options.connections ? this.waiting.shift() : undefined;
        if (next !== undefined)
            this.assign(next);
    }
    /** Closes a connection on purpose; its exchange (if any) fails as `kind` with `reason`. */
    drop(connection, reason, kind = 'network') {
        const exchange = connection.exchange;
        connection.exchange = undefined;
        this.lost(connection, reason);
        connection.socket.destroy();
        if (exchange !== undefined)
            exchange.handler.fail(kind, reason);
    }
    sweep() {
        const now = external_node_perf_hooks_.performance.now();
        for (const connection of this.connections) {
            const exchange = connection.exchange;
            if (exchange !== undefined && now > exchange.deadline) {
                this.drop(connection, `${this.origin}: no answer within ${exchange.timeoutMs} ms`, 'timeout');
            }
        }
        for (let index = 0; index < this.waiting.length;) {
            const exchange = this.waiting[index];
            if (now > exchange.deadline) {
                this.waiting.splice(index, 1);
                exchange.handler.fail('timeout', `${this.origin}: no free connection within ${exchange.timeoutMs} ms`);
            }
            else
                index++;
        }
    }
}
/** A socket error in words that name the cause (ECONNREFUSED, a certificate problem, …). */
function describeSocketError(error) {
    return error.code !== undefined && !error.message.includes(error.code)
        ? `${error.message} (${error.code})`
        : error.message;
}
/** One whole exchange as a promise (for the few requests outside the load): status and body. */
function requestWhole(pool, request, timeoutMs) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        pool.send(request, {
            body: (chunk) => chunks.push(Buffer.from(chunk)),
            end: (status) => resolve({ status, body: Buffer.concat(chunks) }),
            fail: (_kind, message) => reject(new Error(message)),
        }, timeoutMs);
    });
}

;// CONCATENATED MODULE: ./src/load/targets.ts



/** The header a `url` target's router matches to send a request to one arm. */
const ARM_HEADER = 'x-model-canary-arm';
/** The API server's proxy path to a Service port (name or number), without a trailing slash. */
function serviceProxyPath(namespace, service, port) {
    return `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(String(port))}/proxy`;
}
/** The user's URL for one arm: its origin, its path as prefix, and the arm header. */
function urlArmTarget(url, arm) {
    const parsed = new URL(url);
    return {
        arm,
        origin: parsed.origin,
        pathPrefix: parsed.pathname.replace(/\/+$/, ''),
        headers: { [ARM_HEADER]: arm },
    };
}
/** What can be logged about an arm's target: where it goes, never what it carries. */
function describeArm(target) {
    return `${target.arm}: ${target.origin}${target.pathPrefix || '/'}`;
}
/**
 * Reads the current context's server, CA, client certificate/key and token (exec and auth-provider
 * plugins included) through client-node's own option builder, so auth behaves as its API calls do.
 */
async function apiServerConnection(kube) {
    const cluster = kube.getCurrentCluster();
    if (cluster === null)
        throw new Error('the kubeconfig has no current cluster');
    const options = { headers: {} };
    await kube.applyToHTTPSOptions(options);
    const headers = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    if (options.auth !== undefined)
        headers['authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    const origin = new URL(cluster.server).origin;
    if (!origin.startsWith('https:'))
        return { origin, headers };
    const tls = {};
    if (options.ca !== undefined)
        tls.ca = options.ca;
    if (options.cert !== undefined)
        tls.cert = options.cert;
    if (options.key !== undefined)
        tls.key = options.key;
    if (options.rejectUnauthorized !== undefined)
        tls.rejectUnauthorized = options.rejectUnauthorized;
    if (cluster.tlsServerName)
        tls.servername = cluster.tlsServerName;
    return { origin, headers, tls };
}
/** The first port of a Service, by name when it has one (what the service proxy path takes). */
async function servicePort(kube, namespace, service) {
    const found = await kube.makeApiClient(dist/* CoreV1Api */.f5Y).readNamespacedService({ name: service, namespace });
    const port = found.spec?.ports?.[0];
    if (port === undefined)
        throw new Error(`service ${namespace}/${service} has no ports`);
    return port.name ? port.name : port.port;
}
/** Both arms through the API server's service proxy, with the kubeconfig's credentials. */
async function proxyArmTargets(kube, namespace, services) {
    const connection = await apiServerConnection(kube);
    const arms = ['canary', 'stable'];
    return Promise.all(arms.map(async (arm) => {
        const port = await servicePort(kube, namespace, services[arm]);
        return {
            arm,
            origin: connection.origin,
            pathPrefix: serviceProxyPath(namespace, services[arm], port),
            headers: { ...connection.headers },
            ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
        };
    }));
}
/** Opens one keep-alive pool per arm, with at most `connections` sockets each. */
function openArms(targets, connections) {
    const pools = targets.map((target) => new KeepAlivePool(target.origin, {
        connections,
        ...(target.tls !== undefined ? { tls: target.tls } : {}),
    }));
    return {
        endpoints: targets.map((target, index) => ({
            pool: pools[index],
            pathPrefix: target.pathPrefix,
            headers: target.headers,
        })),
        close: async () => {
            await Promise.all(pools.map((pool) => pool.close()));
        },
    };
}
/** A JSON GET against one arm (readiness and metadata before the measurement). */
function armGet(endpoint, timeoutMs) {
    return async (path) => {
        const request = (0,http1/* encodeRequest */.kf)({
            method: 'GET',
            path: endpoint.pathPrefix + path,
            host: endpoint.pool.host,
            headers: { ...endpoint.headers, accept: 'application/json' },
        });
        const { status, body } = await requestWhole(endpoint.pool, request, timeoutMs);
        let json;
        try {
            json = JSON.parse(body.toString('utf8'));
        }
        catch {
            json = undefined;
        }
        return { status, json };
    };
}


/***/ })

};
