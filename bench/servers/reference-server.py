#!/usr/bin/env python3
"""The load benchmark's reference server: the instrument the generator's accuracy is judged by.

Answers every request with a small body after a fixed delay, optionally stops answering for a
while (the coordinated-omission stall), and records each request's service time so the suite can
compare the generator's percentiles with the server's for the same requests. With --stream-tokens
it answers as an OpenAI chat stream instead: the first token after the delay, then one token every
--token-gap-ms, and records when each token was handed to the kernel (time to first token from the
arrival stamp, and the gaps between tokens) for the generator's TTFT and inter-token times.

Why Python, and why kernel timestamps: a server that stamps a request's arrival when it reads it
cannot see its own pauses before that read (the machine taking its core away for a few
milliseconds, which this 2-core VM does; a collector pause), yet the client sees them, and they
would pass for generator error. Linux stamps every received TCP segment (SO_TIMESTAMPNS); this
server reads each request on its own so the stamp it gets back is that request's, and records
service time = the moment its answer was handed to the kernel minus the kernel's arrival stamp.
Node has no way to ask for those stamps; Python's recvmsg does.

    python3 bench/servers/reference-server.py [--delay-ms 5] [--stall-at-ms 5000 --stall-ms 1000] [--record]
        [--stream-tokens 8 --token-gap-ms 5]

Prints `listening <port>` once ready (port 0 = any free port on 127.0.0.1). The stall's clock
starts at the first request. GET /__records returns the recordings as JSON
({ sequence: serviceMs }, keyed by the x-load-sequence header; for streams
{ sequence: { "ttftMs": …, "gapsMs": […] } }) and clears them. Only bodiless
requests (GET) are understood. Exits when its stdin ends (the suite holds it open).
"""
import argparse
import heapq
import itertools
import json
import selectors
import socket
import struct
import sys
import time

# Linux's values; Python's socket module does not export them.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
TIMESPEC = struct.Struct("@ll")
REQUEST_END = b"\r\n\r\n"
SEQUENCE_FIELD = b"\r\nx-load-sequence: "
ANSWER = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
PEEK_BYTES = 65536
STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
TOKEN_EVENT = b'data: {"choices":[{"index":0,"delta":{"content":" tok"}}]}\n\n'
STREAM_END = b"data: [DONE]\n\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--stall-at-ms", type=float)
    parser.add_argument("--stall-ms", type=float, default=0.0)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--stream-tokens", type=int, default=0)
    parser.add_argument("--token-gap-ms", type=float, default=0.0)
    return parser.parse_args()


class ReferenceServer:
    def __init__(self, options):
        self.options = options
        self.selector = selectors.DefaultSelector()
        self.records = {}
        self.first_request_ns = None
        # A heap of (due_ns, order, connection, sequence, arrived_ns, token): the sends due, in due
        # order. A plain answer is one send (token 0); a stream's tokens are one send each, and the
        # tokens of streams in flight interleave, so arrival order is not due order.
        self.pending = []
        self.order = itertools.count()
        self.running = True

    def listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.options.port))
        listener.listen(1024)
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ, self.accept)
        self.selector.register(sys.stdin, selectors.EVENT_READ, self.stdin_readable)
        print(f"listening {listener.getsockname()[1]}", flush=True)

    def accept(self, listener):
        connection, _ = listener.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        connection.setblocking(False)
        self.selector.register(connection, selectors.EVENT_READ, self.readable)

    def stdin_readable(self, stdin):
        if not stdin.buffer.read1(4096):
            self.running = False

    def readable(self, connection):
        while True:
            try:
                waiting = connection.recv(PEEK_BYTES, socket.MSG_PEEK)
            except BlockingIOError:
                return
            except OSError:
                self.close(connection)
                return
            if not waiting:
                self.close(connection)
                return
            end = waiting.find(REQUEST_END)
            if end == -1:
                if len(waiting) >= PEEK_BYTES:
                    self.close(connection)
                return  # the rest of this request has not arrived yet
            # Take exactly one request, so the kernel's stamp is that of the segment it ends in.
            head, ancillary, _, _ = connection.recvmsg(end + len(REQUEST_END), socket.CMSG_SPACE(TIMESPEC.size))
            arrived_ns = time.time_ns()
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                    seconds, nanoseconds = TIMESPEC.unpack(data[: TIMESPEC.size])
                    arrived_ns = seconds * 1_000_000_000 + nanoseconds
            self.received(connection, head, arrived_ns)

    def received(self, connection, head, arrived_ns):
        if head.startswith(b"GET /__records "):
            body = json.dumps(self.records).encode()
            self.records = {}
            # Large, and sent once per run: blocking is simpler than resuming a partial send.
            connection.setblocking(True)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body) + body
            )
            connection.setblocking(False)
            return
        if self.first_request_ns is None:
            self.first_request_ns = arrived_ns
        due_ns = arrived_ns + int(self.options.delay_ms * 1e6)
        if self.options.stall_at_ms is not None:
            # Requests arriving during the stall are all held until it ends, as a paused server would.
            stall_start_ns = self.first_request_ns + int(self.options.stall_at_ms * 1e6)
            stall_end_ns = stall_start_ns + int(self.options.stall_ms * 1e6)
            if stall_start_ns <= arrived_ns < stall_end_ns:
                due_ns += stall_end_ns - arrived_ns
        self.due(due_ns, connection, self.sequence_of(head), arrived_ns, 0)

    def due(self, due_ns, connection, sequence, arrived_ns, token):
        heapq.heappush(self.pending, (due_ns, next(self.order), connection, sequence, arrived_ns, token))

    def sequence_of(self, head):
        if not self.options.record:
            return None
        at = head.find(SEQUENCE_FIELD)
        if at == -1:
            return None
        start = at + len(SEQUENCE_FIELD)
        return head[start : head.find(b"\r\n", start)].decode("ascii")

    def answer_due(self):
        while self.pending and self.pending[0][0] <= time.time_ns():
            due_ns, _, connection, sequence, arrived_ns, token = heapq.heappop(self.pending)
            if connection.fileno() == -1:
                continue
            try:
                connection.sendall(self.send_of(token))
            except OSError:
                self.close(connection)
                continue
            sent_ns = time.time_ns()
            if self.options.stream_tokens > 0 and token + 1 < self.options.stream_tokens:
                self.due(due_ns + int(self.options.token_gap_ms * 1e6), connection, sequence, arrived_ns, token + 1)
            if sequence is not None:
                self.record(sequence, token, sent_ns, arrived_ns)

    def send_of(self, token):
        if self.options.stream_tokens == 0:
            return ANSWER
        data = (STREAM_HEAD if token == 0 else b"") + chunk(TOKEN_EVENT)
        if token + 1 == self.options.stream_tokens:
            data += chunk(STREAM_END) + b"0\r\n\r\n"
        return data

    def record(self, sequence, token, sent_ns, arrived_ns):
        if self.options.stream_tokens == 0:
            self.records[sequence] = (sent_ns - arrived_ns) / 1e6
        elif token == 0:
            self.records[sequence] = {"ttftMs": (sent_ns - arrived_ns) / 1e6, "gapsMs": [], "lastNs": sent_ns}
        else:
            stream = self.records[sequence]
            stream["gapsMs"].append((sent_ns - stream["lastNs"]) / 1e6)
            stream["lastNs"] = sent_ns

    def close(self, connection):
        if connection.fileno() != -1:
            self.selector.unregister(connection)
            connection.close()

    def serve(self):
        while self.running:
            self.answer_due()
            timeout = None
            if self.pending:
                timeout = max(0.0, (self.pending[0][0] - time.time_ns()) / 1e9)
            for key, _ in self.selector.select(timeout):
                key.data(key.fileobj)


def main():
    server = ReferenceServer(arguments())
    server.listen()
    server.serve()


if __name__ == "__main__":
    main()
