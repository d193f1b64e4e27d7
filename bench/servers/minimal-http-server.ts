/**
 * The max-rate benchmark's server: keep-alive HTTP/1.1 answering every request with the same
 * small body, with as little work per request as Node allows (no HTTP parser: it counts request
 * ends and writes canned responses), so on its own core it outpaces any one-core client and the
 * figure measures the client. Only bodiless requests (GET) are understood.
 *
 *   node bench/servers/minimal-http-server.ts     # prints `listening <port>` (127.0.0.1)
 */
import { createServer } from 'node:net';

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nkeep-alive: timeout=60\r\n\r\n{"ok":true}',
  'latin1',
);
const REQUEST_END = '\r\n\r\n';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let unfinished = '';
  socket.on('data', (chunk) => {
    const text = unfinished + chunk.toString('latin1');
    let requests = 0;
    let from = 0;
    for (let end = text.indexOf(REQUEST_END); end !== -1; end = text.indexOf(REQUEST_END, from)) {
      requests++;
      from = end + REQUEST_END.length;
    }
    unfinished = text.slice(from);
    if (requests === 1) socket.write(RESPONSE);
    else if (requests > 1) socket.write(Buffer.concat(Array.from({ length: requests }, () => RESPONSE)));
  });
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address !== null ? address.port : ''}`);
});
// Open keep-alive sockets would hold close() open; the suite is done with them when it signals.
process.on('SIGTERM', () => process.exit(0));
// The suite holds our stdin open; when it ends (the suite exited or crashed) so do we.
process.stdin.on('end', () => process.exit(0)).resume();
