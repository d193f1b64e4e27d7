/**
 * The load benchmark's server, run in its own process (pinned by the suite to its own core):
 * answers every request with a small body after a fixed delay, optionally stops answering for a
 * while (the coordinated-omission stall), and records its own arrival-to-response time of each
 * request so the suite can compare the generator's percentiles with the server's for the same
 * requests.
 *
 *   node bench/servers/reference-server.ts [--delay-ms 5] [--stall-at-ms 5000 --stall-ms 1000] [--record]
 *
 * Prints `listening <port>` once ready (port 0 = any free port on 127.0.0.1). The clock of the
 * stall starts at the first request. GET /__records returns the recordings as JSON
 * ({ sequence: serviceMs }, keyed by the x-load-sequence header) and clears them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

export const SEQUENCE_HEADER = 'x-load-sequence';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'delay-ms': { type: 'string', default: '0' },
    'stall-at-ms': { type: 'string' },
    'stall-ms': { type: 'string', default: '0' },
    record: { type: 'boolean', default: false },
  },
});
const delayMs = Number(values['delay-ms']);
const stallAtMs = values['stall-at-ms'] === undefined ? undefined : Number(values['stall-at-ms']);
const stallMs = Number(values['stall-ms']);
const body = Buffer.from('{"ok":true}');
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
const records = new Map<string, number>();
let firstRequestNs: bigint | undefined;

function answer(request: IncomingMessage, response: ServerResponse, arrivedNs: bigint): void {
  response.writeHead(200, headers);
  response.end(body);
  if (values.record) {
    const sequence = request.headers[SEQUENCE_HEADER];
    if (typeof sequence === 'string')
      records.set(sequence, Number(process.hrtime.bigint() - arrivedNs) / 1e6);
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const arrivedNs = process.hrtime.bigint();
  if (request.url === '/__records') {
    const text = JSON.stringify(Object.fromEntries(records));
    records.clear();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(text);
    return;
  }
  firstRequestNs ??= arrivedNs;
  let waitMs = delayMs;
  if (stallAtMs !== undefined) {
    // Requests arriving during the stall are all held until it ends, as a paused server would.
    const sinceStartMs = Number(arrivedNs - firstRequestNs) / 1e6;
    if (sinceStartMs >= stallAtMs && sinceStartMs < stallAtMs + stallMs) {
      waitMs += stallAtMs + stallMs - sinceStartMs;
    }
  }
  if (waitMs <= 0) answer(request, response, arrivedNs);
  else setTimeout(answer, waitMs, request, response, arrivedNs);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address !== null ? address.port : ''}`);
});
// Open keep-alive sockets would hold close() open; the suite is done with them when it signals.
process.on('SIGTERM', () => process.exit(0));
// The suite holds our stdin open; when it ends (the suite exited or crashed) so do we.
process.stdin.on('end', () => process.exit(0)).resume();
