"""A tiny deterministic text model served over the OpenAI chat protocol, standard library only.

The "model" is a word-level language model: two score matrices over a 48-word vocabulary (the
weights file), decoded greedily from the last two words of the prompt, so one prompt always gets
the same answer (as an LLM at temperature 0 with a fixed seed does). It answers

  GET  /health                 200 once the weights are loaded (liveness and readiness)
  GET  /v1/models              the one model, named by MODEL_NAME (default tiny-chat)
  POST /v1/chat/completions    non-streamed JSON, or server-sent events with "stream": true
  GET  /metrics                Prometheus text format, under vLLM's metric names (below)

Like vLLM's engine, a scheduler admits waiting requests in batches: every BATCH_INTERVAL_MS (0:
at once), and at most MAX_NUM_SEQS running at a time. The time a request waits for admission is
its queue time, measured, not made up: a longer batch interval really queues requests longer.

The metrics are vLLM's (labelled model_name, as vLLM labels them): the histograms
vllm:time_to_first_token_seconds, vllm:inter_token_latency_seconds,
vllm:e2e_request_latency_seconds and vllm:request_queue_time_seconds; the gauges
vllm:num_requests_running, vllm:num_requests_waiting and vllm:kv_cache_usage_perc (the tokens of
running requests over KV_CACHE_TOKENS); the counters vllm:request_success_total,
vllm:prompt_tokens_total and vllm:generation_tokens_total. A tiny model's times are milliseconds,
so its buckets are finer than vLLM's (25 % apart, from 0.25 ms).

Usage: python3 server.py WEIGHTS.json   (PORT, default 8000; PREFILL_DELAY_MS before the first
word, as an LLM reads its prompt; TOKEN_DELAY_MS per generated word; BATCH_INTERVAL_MS,
MAX_NUM_SEQS, KV_CACHE_TOKENS). With the delays set apart, a canary can be made slower to its
first token (prefill) or between tokens (decode) alone.
"""

import json
import math
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

END = "."

# Histogram upper edges in seconds: 0.25 ms × 1.25^k up to a minute, rounded to 3 digits.
BUCKETS = sorted({float(f"{0.00025 * 1.25 ** k:.3g}") for k in range(int(math.log(240000) / math.log(1.25)) + 2)})


class Histogram:
    """A Prometheus histogram: cumulative counts per upper edge, a sum and a count."""

    def __init__(self, name, help_text):
        self.name, self.help = name, help_text
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds):
        index = next((i for i, edge in enumerate(BUCKETS) if seconds <= edge), len(BUCKETS))
        self.counts[index] += 1
        self.sum += seconds

    def exposition(self, labels):
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for edge, count in zip(BUCKETS + [math.inf], self.counts):
            running += count
            le = "+Inf" if edge == math.inf else repr(edge)
            lines.append(f'{self.name}_bucket{{{labels},le="{le}"}} {running}')
        lines.append(f"{self.name}_sum{{{labels}}} {self.sum!r}")
        lines.append(f"{self.name}_count{{{labels}}} {running}")
        return lines


class Engine:
    """The scheduler and what it counts: waiting and running requests, their KV-cache tokens, the metrics."""

    def __init__(self, batch_interval, max_running, kv_tokens):
        self.batch_interval, self.max_running, self.kv_tokens = batch_interval, max_running, kv_tokens
        self.lock = threading.Condition()
        self.waiting = 0
        self.running = {}
        self.success = self.prompt_tokens = self.generation_tokens = 0
        self.ttft = Histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.")
        self.itl = Histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.")
        self.e2e = Histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.")
        self.queue = Histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.")

    def admit(self, ident, prompt_tokens):
        """Waits for the next batch tick and a free slot; returns the seconds waited (the queue time)."""
        arrived = time.monotonic()
        with self.lock:
            self.waiting += 1
        if self.batch_interval > 0:
            time.sleep(self.batch_interval - (time.monotonic() % self.batch_interval))
        with self.lock:
            while len(self.running) >= self.max_running:
                self.lock.wait()
            self.waiting -= 1
            self.running[ident] = prompt_tokens
        waited = time.monotonic() - arrived
        with self.lock:
            self.queue.observe(waited)
        return waited

    def generated(self, ident):
        with self.lock:
            self.running[ident] += 1

    def finish(self, ident, prompt_tokens, words, first_token, token_times, started):
        with self.lock:
            del self.running[ident]
            self.lock.notify()
            self.success += 1
            self.prompt_tokens += prompt_tokens
            self.generation_tokens += len(words)
            if first_token is not None:
                self.ttft.observe(first_token - started)
            for before, after in zip(token_times, token_times[1:]):
                self.itl.observe(after - before)
            self.e2e.observe(time.monotonic() - started)

    def exposition(self, model):
        labels = f'model_name="{model}"'
        with self.lock:
            used = sum(self.running.values()) / self.kv_tokens
            lines = []
            for kind, name, help_text, value in [
                ("gauge", "vllm:num_requests_running", "Number of requests in model execution batches.", len(self.running)),
                ("gauge", "vllm:num_requests_waiting", "Number of requests waiting to be processed.", self.waiting),
                ("gauge", "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", min(1.0, used)),
                ("counter", "vllm:request_success_total", "Count of successfully processed requests.", self.success),
                ("counter", "vllm:prompt_tokens_total", "Number of prefill tokens processed.", self.prompt_tokens),
                ("counter", "vllm:generation_tokens_total", "Number of generation tokens processed.", self.generation_tokens),
            ]:
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name}{{{labels}}} {value}"]
            for histogram in (self.ttft, self.itl, self.e2e, self.queue):
                lines += histogram.exposition(labels)
        return "\n".join(lines) + "\n"


def load_weights(path):
    with open(path, encoding="utf-8") as file:
        weights = json.load(file)
    return weights["vocabulary"], weights["current"], weights["previous"]


def word_id(word, vocabulary):
    """A word's index; a word outside the vocabulary maps to a fixed one (a stable hash, not Python's)."""
    if word in vocabulary:
        return vocabulary.index(word)
    return sum((i + 1) * ord(c) for i, c in enumerate(word)) % len(vocabulary)


def generate(prompt, weights, max_tokens):
    """Greedy decoding from the prompt's last two words: the same prompt, the same words."""
    vocabulary, current, previous = weights
    words = [w.strip(".,;:!?\"'()").lower() for w in prompt.split()]
    ids = [word_id(w, vocabulary) for w in words if w] or [0]
    before, last = (ids[-2] if len(ids) > 1 else ids[-1]), ids[-1]
    out = []
    for _ in range(max_tokens):
        scores = [c + 0.5 * p for c, p in zip(current[last], previous[before])]
        chosen = max(range(len(scores)), key=scores.__getitem__)
        out.append(vocabulary[chosen])
        if vocabulary[chosen] == END:
            break
        before, last = last, chosen
    return out


def answer_text(words):
    """Words joined as text: the end mark sticks to the word before it."""
    return " ".join(words).replace(" " + END, END)


def prompt_of(request):
    """The text of the last user message (the content parts of a list joined)."""
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list")
    content = messages[-1].get("content", "")
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise ValueError("message content must be text")
    return content


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/metrics":
            data = ENGINE.exposition(MODEL_NAME).encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        if self.path == "/health":
            return self.reply(200, {"status": "ok"})
        if self.path == "/v1/models":
            return self.reply(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "model-canary"}]})
        self.reply(404, {"error": {"message": "not found: " + self.path}})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "not found: " + self.path}})
        try:
            request = json.loads(body)
            prompt = prompt_of(request)
            max_tokens = int(request.get("max_tokens") or 16)
        except (ValueError, AttributeError, TypeError) as error:
            return self.reply(400, {"error": {"message": str(error), "type": "invalid_request_error"}})
        started = time.monotonic()
        ident, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
        prompt_tokens = len(prompt.split())
        # Decoding the tiny model is instant; its words are paced by TOKEN_DELAY_MS once admitted.
        words = generate(prompt, WEIGHTS, max_tokens)
        ENGINE.admit(ident, prompt_tokens)
        time.sleep(PREFILL_DELAY)
        token_times = []
        try:
            if request.get("stream") is True:
                return self.stream(words, ident, created, token_times)
            for _ in words:
                time.sleep(TOKEN_DELAY)
                ENGINE.generated(ident)
                token_times.append(time.monotonic())
        finally:
            ENGINE.finish(ident, prompt_tokens, words, token_times[0] if token_times else None, token_times, started)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        finish = "stop" if words and words[-1] == END else "length"
        self.reply(200, {
            "id": ident, "object": "chat.completion", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer_text(words)}, "finish_reason": finish}],
            "usage": usage,
        })

    def stream(self, words, ident, created, token_times):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def event(delta, finish=None):
            chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.chunk("data: " + json.dumps(chunk) + "\n\n")

        event({"role": "assistant", "content": ""})
        for index, word in enumerate(words):
            time.sleep(TOKEN_DELAY)
            ENGINE.generated(ident)
            token_times.append(time.monotonic())
            piece = word if index == 0 or word == END else " " + word
            event({"content": piece})
        event({}, "stop" if words and words[-1] == END else "length")
        self.chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


if __name__ == "__main__":
    WEIGHTS = load_weights(sys.argv[1])
    MODEL_NAME = os.environ.get("MODEL_NAME", "tiny-chat")
    PREFILL_DELAY = float(os.environ.get("PREFILL_DELAY_MS", "0")) / 1000
    TOKEN_DELAY = float(os.environ.get("TOKEN_DELAY_MS", "1")) / 1000
    ENGINE = Engine(
        float(os.environ.get("BATCH_INTERVAL_MS", "0")) / 1000,
        int(os.environ.get("MAX_NUM_SEQS", "64")),
        int(os.environ.get("KV_CACHE_TOKENS", "4096")),
    )
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
