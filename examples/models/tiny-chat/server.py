"""A tiny deterministic text model served over the OpenAI chat protocol, standard library only.

The "model" is a word-level language model: two score matrices over a 48-word vocabulary (the
weights file), decoded greedily from the last two words of the prompt, so one prompt always gets
the same answer (as an LLM at temperature 0 with a fixed seed does). It answers

  GET  /health                 200 once the weights are loaded (liveness and readiness)
  GET  /v1/models              the one model, named by MODEL_NAME (default tiny-chat)
  POST /v1/chat/completions    non-streamed JSON, or server-sent events with "stream": true

Usage: python3 server.py WEIGHTS.json   (PORT, default 8000; TOKEN_DELAY_MS per generated word)
"""

import json
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

END = "."


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
        words = generate(prompt, WEIGHTS, max_tokens)
        ident, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
        if request.get("stream") is True:
            return self.stream(words, ident, created)
        time.sleep(TOKEN_DELAY * len(words))
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(words)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        finish = "stop" if words and words[-1] == END else "length"
        self.reply(200, {
            "id": ident, "object": "chat.completion", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer_text(words)}, "finish_reason": finish}],
            "usage": usage,
        })

    def stream(self, words, ident, created):
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
    TOKEN_DELAY = float(os.environ.get("TOKEN_DELAY_MS", "1")) / 1000
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
