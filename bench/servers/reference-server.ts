/**
 * The load benchmark's reference server, run in its own process (pinned by the suite to its own
 * core): answers every request with a small body after a fixed delay, optionally stops answering
 * for a while (the coordinated-omission stall), and records its own arrival-to-response time of
 * each request so the suite can compare the generator's percentiles with the server's for the same
 * requests.
 *
 * It is a measuring instrument, so it does as little as it can between the moment a request's
 * bytes reach it and the moment its answer leaves: raw keep-alive sockets, no HTTP library, canned
 * answers, arrival stamped as the bytes are read, and recordings in a preallocated array (no
 * garbage, so no collector pause it would miss). Only bodiless requests (GET) are understood.
 *
 *   node bench/servers/reference-server.ts [--delay-ms 5] [--stall-at-ms 5000 --stall-ms 1000] [--record]
 *
 * Prints `listening <port>` once ready (port 0 = any free port on 127.0.0.1). The clock of the
 * stall starts at the first request. GET /__records returns the recordings as JSON
 * ({ sequence: serviceMs }, keyed by the x-load-sequence header) and clears them.
 */
import { createServer, type Socket } from 'node:net';
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

const ANSWER = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}',
  'latin1',
);
const REQUEST_END = '\r\n\r\n';
const SEQUENCE_FIELD = `\r\n${SEQUENCE_HEADER}: `;
/** Sequences beyond this are not recorded (the suite sends about 11,000 per run). */
const MAX_RECORDS = 1 << 20;
const serviceMs = new Float64Array(MAX_RECORDS).fill(NaN);
let firstRequestNs: number | undefined;

const nowNs = (): number => Number(process.hrtime.bigint());

function answer(socket: Socket, sequence: number, arrivedNs: number): void {
  socket.write(ANSWER);
  if (values.record && sequence >= 0 && sequence < MAX_RECORDS)
    serviceMs[sequence] = (nowNs() - arrivedNs) / 1e6;
}

function answerRecords(socket: Socket): void {
  const records: Record<number, number> = {};
  serviceMs.forEach((ms, sequence) => {
    if (!Number.isNaN(ms)) records[sequence] = ms;
  });
  serviceMs.fill(NaN);
  const body = Buffer.from(JSON.stringify(records));
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
  socket.write(body);
}

/** The x-load-sequence value of one request head, or -1. */
function sequenceOf(head: string): number {
  const at = head.indexOf(SEQUENCE_FIELD);
  if (at === -1) return -1;
  const from = at + SEQUENCE_FIELD.length;
  const end = head.indexOf('\r\n', from);
  return Number(head.slice(from, end === -1 ? undefined : end));
}

function received(socket: Socket, head: string, arrivedNs: number): void {
  if (head.startsWith('GET /__records ')) {
    answerRecords(socket);
    return;
  }
  firstRequestNs ??= arrivedNs;
  let waitMs = delayMs;
  if (stallAtMs !== undefined) {
    // Requests arriving during the stall are all held until it ends, as a paused server would.
    const sinceStartMs = (arrivedNs - firstRequestNs) / 1e6;
    if (sinceStartMs >= stallAtMs && sinceStartMs < stallAtMs + stallMs) {
      waitMs += stallAtMs + stallMs - sinceStartMs;
    }
  }
  const sequence = values.record ? sequenceOf(head) : -1;
  if (waitMs <= 0) answer(socket, sequence, arrivedNs);
  else setTimeout(answer, waitMs, socket, sequence, arrivedNs);
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let unfinished = '';
  socket.on('data', (chunk) => {
    const arrivedNs = nowNs();
    const text = unfinished + chunk.toString('latin1');
    let from = 0;
    for (let end = text.indexOf(REQUEST_END); end !== -1; end = text.indexOf(REQUEST_END, from)) {
      received(socket, text.slice(from, end), arrivedNs);
      from = end + REQUEST_END.length;
    }
    unfinished = text.slice(from);
  });
  socket.on('error', () => socket.destroy());
});
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address !== null ? address.port : ''}`);
});
// Open keep-alive sockets would hold close() open; the suite is done with them when it signals.
process.on('SIGTERM', () => process.exit(0));
// The suite holds our stdin open; when it ends (the suite exited or crashed) so do we.
process.stdin.on('end', () => process.exit(0)).resume();
