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
export class HttpWireError extends Error {
  override name = 'HttpWireError';
}

/** RFC 9110 token characters: what a header name may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CR, LF and NUL would end the header early and let a value inject headers of its own. */
const UNSAFE_IN_VALUE = /[\r\n\0]/;
/** The generator frames requests itself; a caller's copy of these would contradict it. */
const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);

export interface RequestToEncode {
  method: string;
  /** origin-form target: path and query, starting with '/' */
  path: string;
  /** the Host header: host[:port] of the origin */
  host: string;
  headers: Readonly<Record<string, string>>;
  body?: string | Buffer;
}

/**
 * The request's bytes: head (Host, the caller's headers, Content-Length when there is a body) and
 * body. Throws naming the header when a name or value could not be sent as is.
 */
export function encodeRequest(request: RequestToEncode): Buffer {
  if (!request.path.startsWith('/') || /[\s]/.test(request.path)) {
    throw new HttpWireError(`request path must start with '/' and contain no spaces; got '${request.path}'`);
  }
  let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${request.host}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!TOKEN.test(name)) throw new HttpWireError(`header name '${name}' is not a valid HTTP token`);
    if (UNSAFE_IN_VALUE.test(value)) {
      throw new HttpWireError(`header '${name}' has a line break or NUL in its value; remove it`);
    }
    if (FRAMING_HEADERS.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : request.body;
  if (body !== undefined) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body === undefined ? headBytes : Buffer.concat([headBytes, body]);
}

/**
 * A request encoded for an origin server, rewritten for a forward proxy: the target in absolute
 * form (`GET http://host:port/path HTTP/1.1`) and the proxy's credentials, when it has some, as
 * the first header. Only requests to http:// origins go this way (https ones use a tunnel).
 */
export function toProxyForm(request: Buffer, origin: string, proxyAuthorization?: string): Buffer {
  const targetAt = request.indexOf(' ') + 1;
  const lineEnd = request.indexOf('\r\n') + 2;
  if (targetAt === 0 || lineEnd === 1 || request[targetAt] !== 0x2f) {
    throw new HttpWireError('toProxyForm takes a request in origin form (METHOD /path HTTP/1.1)');
  }
  return Buffer.concat([
    request.subarray(0, targetAt),
    Buffer.from(origin, 'latin1'),
    request.subarray(targetAt, lineEnd),
    ...(proxyAuthorization !== undefined
      ? [Buffer.from(`proxy-authorization: ${proxyAuthorization}\r\n`, 'latin1')]
      : []),
    request.subarray(lineEnd),
  ]);
}

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Longer heads are refused rather than buffered without bound (undici's default is 16 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longer chunk-size or trailer lines are refused for the same reason. */
const MAX_LINE_BYTES = 8 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;

/** Where the line starting at `start` ends (its CR), or the text's end for the last line. */
function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\r\n', start);
  return end === -1 ? text.length : end;
}

/** The last item of a comma-separated header value, trimmed and lower-cased. */
function lastListItem(value: string): string {
  return value
    .slice(value.lastIndexOf(',') + 1)
    .trim()
    .toLowerCase();
}

type BodyFraming = 'none' | 'length' | 'chunked' | 'until-close';
type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'trailers' | 'until-close';

/** What the head said: the status, the body's framing, and whether the connection stays open. */
interface ParsedHead {
  status: number;
  framing: BodyFraming;
  contentLength: number;
  keepAlive: boolean;
}

/** Reads a head's text (status line and header lines, without the blank line). */
export function parseResponseHead(text: string): ParsedHead {
  // Line by line with indexOf rather than split and regular expressions: this runs once per
  // probe, and only three header names matter, so the others are skipped by their length.
  const statusEnd = lineEnd(text, 0);
  const statusLine = STATUS_LINE.exec(text.slice(0, statusEnd));
  if (statusLine === null) {
    throw new HttpWireError(`not an HTTP/1.x status line: '${text.slice(0, Math.min(statusEnd, 80))}'`);
  }
  const status = Number(statusLine[2]);
  let keepAlive = statusLine[1] === '1';
  let contentLength: number | undefined;
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
      } else if (name === 'transfer-encoding') {
        transferEncoded = true;
        chunked = lastListItem(value) === 'chunked';
      } else if (name === 'connection') {
        const options = value.split(',').map((option) => option.trim().toLowerCase());
        if (options.includes('close')) keepAlive = false;
        else if (options.includes('keep-alive')) keepAlive = true;
      }
    }
    start = end + 2;
  }
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, framing: 'none', contentLength: 0, keepAlive };
  }
  if (transferEncoded) {
    // A length beside a transfer coding is a smuggling vector (RFC 9112 §6.3): trust neither after.
    if (contentLength !== undefined) keepAlive = false;
    return chunked
      ? { status, framing: 'chunked', contentLength: 0, keepAlive }
      : { status, framing: 'until-close', contentLength: 0, keepAlive: false };
  }
  if (contentLength !== undefined) {
    return { status, framing: contentLength === 0 ? 'none' : 'length', contentLength, keepAlive };
  }
  return { status, framing: 'until-close', contentLength: 0, keepAlive: false };
}

/** Receives body bytes (a view into the socket's chunk: copy it to keep it). */
export type BodySink = (data: Buffer) => void;

/**
 * One response at a time, fed chunk by chunk. `push` returns where in the chunk the response
 * ended, or -1 while it goes on; `closed` tells whether the connection's end completes it.
 */
export class ResponseParser {
  status = 0;
  keepAlive = true;
  private state: State = 'head';
  /** Head bytes (or a chunk-size/trailer line) that arrived without their end yet. */
  private partial: Buffer | undefined;
  private remaining = 0;
  /** The last head read on this connection and what it said (heads repeat; see readHead). */
  private lastHead: { bytes: Buffer; parsed: ParsedHead } | undefined;

  /** Readies the parser for the next response on the connection. */
  reset(): void {
    this.status = 0;
    this.keepAlive = true;
    this.state = 'head';
    this.partial = undefined;
    this.remaining = 0;
  }

  /** True once some part of a response head has been seen (a retry would then be unsafe). */
  get started(): boolean {
    return this.state !== 'head' || this.partial !== undefined;
  }

  push(chunk: Buffer, sink?: BodySink): number {
    let position = 0;
    while (position < chunk.length) {
      switch (this.state) {
        case 'head': {
          position = this.readHead(chunk, position);
          if (position === -1) return -1;
          if (this.state === 'head') continue; // an interim 1xx answer: the real head follows
          if (this.state === 'length' && this.remaining === 0) return position; // no body
          break;
        }
        case 'length':
          position = this.readBody(chunk, position, sink);
          if (this.remaining === 0) return position;
          break;
        case 'until-close':
          sink?.(chunk.subarray(position));
          return -1;
        case 'chunk-size': {
          const line = this.readLine(chunk, position);
          if (line === undefined) return -1;
          position = line.next;
          const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line.text);
          if (size === null) throw new HttpWireError(`invalid chunk size line '${line.text.slice(0, 40)}'`);
          this.remaining = parseInt(size[1]!, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data':
          position = this.readBody(chunk, position, sink);
          if (this.remaining === 0) this.state = 'chunk-data-end';
          break;
        case 'chunk-data-end': {
          const line = this.readLine(chunk, position);
          if (line === undefined) return -1;
          if (line.text !== '') throw new HttpWireError('chunk data longer than its declared size');
          position = line.next;
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const line = this.readLine(chunk, position);
          if (line === undefined) return -1;
          position = line.next;
          if (line.text === '') return position;
          break;
        }
      }
    }
    return -1;
  }

  /** The connection ended: true when that is how this response's body ends (no length given). */
  closed(): boolean {
    return this.state === 'until-close';
  }

  /** Passes on the body bytes of the current length or chunk; returns the position after them. */
  private readBody(chunk: Buffer, from: number, sink: BodySink | undefined): number {
    const take = Math.min(this.remaining, chunk.length - from);
    sink?.(chunk.subarray(from, from + take));
    this.remaining -= take;
    return from + take;
  }

  /** Parses a head ending in this chunk; returns the position after it, or -1 to wait for more. */
  private readHead(chunk: Buffer, from: number): number {
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
    const consumedFromChunk =
      bytes === chunk ? end + HEAD_END.length : end + HEAD_END.length - this.partial!.length + from;
    this.partial = undefined;
    if (end - start > MAX_HEAD_BYTES)
      throw new HttpWireError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
    // A server sends the same head time after time (a Date header changes once a second):
    // comparing bytes is far cheaper than reading them again.
    const headBytes = bytes.subarray(start, end);
    let head: ParsedHead;
    if (this.lastHead !== undefined && headBytes.equals(this.lastHead.bytes)) head = this.lastHead.parsed;
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
  private readLine(chunk: Buffer, from: number): { text: string; next: number } | undefined {
    const lf = chunk.indexOf(LF, from);
    if (lf === -1) {
      const sofar =
        this.partial === undefined
          ? chunk.subarray(from)
          : Buffer.concat([this.partial, chunk.subarray(from)]);
      if (sofar.length > MAX_LINE_BYTES)
        throw new HttpWireError(`chunked framing line longer than ${MAX_LINE_BYTES} bytes`);
      this.partial = Buffer.from(sofar);
      return undefined;
    }
    const line =
      this.partial === undefined
        ? chunk.subarray(from, lf)
        : Buffer.concat([this.partial, chunk.subarray(from, lf)]);
    this.partial = undefined;
    if (line.length === 0 || line[line.length - 1] !== CR)
      throw new HttpWireError('chunked framing line not ended by CRLF');
    return { text: line.toString('latin1', 0, line.length - 1), next: lf + 1 };
  }
}
